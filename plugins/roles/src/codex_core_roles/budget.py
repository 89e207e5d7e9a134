"""A goal's budgets: turns, tokens and wall-clock seconds, counted across all its roles.

``max_turns`` counts backend turns (one prompt to the agent and its answer: the plan, each plan
item built, the model review); ``max_tokens`` the tokens the backend reports; ``time_limit`` the
seconds spent inside turns. The count is kept in ``roles/usage.json`` and survives a resume: a
goal's budget is spent once.

A turn never starts over budget. A turn that crosses ``time_limit`` is cancelled at the deadline;
one that crosses ``max_tokens`` is cancelled as soon as the backend reports it (the agents backend
reports usage after every model call as ``agent-usage`` events), else when it ends. Either way the
agent stops, what it changed stays, and the stage fails ``budget-exceeded`` with the figures.
"""

from __future__ import annotations

import time
from typing import Any

import attrs
import trio
from codex_core.backend_api import Budgets, TurnRequest, TurnResult

from .records import RoleRecords

REASON = "budget-exceeded"


@attrs.define
class Usage:
    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


@attrs.frozen
class Exceeded:
    """Which budget was crossed, its limit, and everything spent so far."""

    budget: str
    limit: float
    used: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"budget": self.budget, "limit": self.limit, "used": self.used}

    @property
    def summary(self) -> str:
        spent = {"max_turns": "turns", "max_tokens": "total_tokens", "time_limit": "seconds"}
        return f"budget exceeded: {self.budget} {self.limit:g} (used {self.used[spent[self.budget]]:g})"


@attrs.frozen
class Metered:
    """A metered turn: its result (None when it was cut short) and the budget it crossed."""

    result: TurnResult | None
    exceeded: Exceeded | None


class GoalBudget:
    def __init__(self, budgets: Budgets, records: RoleRecords) -> None:
        limits = {
            "max_turns": budgets.max_turns,
            "max_tokens": budgets.max_tokens,
            "time_limit": budgets.wall_clock_seconds,
        }
        #: by the names the CLI uses (--max-turns, --max-tokens, --time-limit), set ones only
        self.limits: dict[str, float] = {k: v for k, v in limits.items() if v is not None}
        self.records = records
        saved = records.read("usage") or {}
        fields = {f.name for f in attrs.fields(Usage)}
        self.usage = Usage(**{k: v for k, v in saved.items() if k in fields})
        self._live_tokens = 0
        self._live: dict[str, int] = {}
        self._scope: trio.CancelScope | None = None
        self._crossed: Exceeded | None = None

    def save(self) -> None:
        self.records.write("usage", {**self.usage.as_json(), "limits": self.limits})

    def exceeded(self, *, extra_tokens: int = 0) -> Exceeded | None:
        """The first budget already used up (a turn may not start), else None."""
        used = self.usage.as_json()
        used["total_tokens"] += extra_tokens
        for budget, spent in (("max_turns", used["turns"]), ("max_tokens", used["total_tokens"]),
                              ("time_limit", used["seconds"])):  # fmt: skip
            limit = self.limits.get(budget)
            if limit is not None and spent >= limit:
                return Exceeded(budget, limit, used)
        return None

    def _over_tokens(self, extra_tokens: int) -> Exceeded | None:
        limit = self.limits.get("max_tokens")
        if limit is not None and self.usage.total_tokens + extra_tokens > limit:
            used = self.usage.as_json()
            used["total_tokens"] += extra_tokens
            return Exceeded("max_tokens", limit, used)
        return None

    def on_event(self, name: str, fields: dict[str, Any]) -> None:
        """A backend event: usage reported during a turn cancels it once over ``max_tokens``."""
        if name != "agent-usage" or self._scope is None:
            return
        self._live = {
            k: int(fields.get(k) or 0) for k in ("input_tokens", "output_tokens", "total_tokens")
        }
        self._live_tokens = self._live["total_tokens"]
        crossed = self._over_tokens(self._live_tokens)
        if crossed is not None and self._crossed is None:
            self._crossed = crossed
            self._scope.cancel()

    async def turn(self, session: Any, request: TurnRequest) -> Metered:
        """Run one turn within the budgets (see the module docstring)."""
        before = self.exceeded()
        if before is not None:
            return Metered(None, before)
        self._live_tokens, self._live, self._crossed = 0, {}, None
        limit = self.limits.get("time_limit")
        result: TurnResult | None = None
        started = time.monotonic()
        with trio.CancelScope() as scope:
            if limit is not None:
                scope.deadline = trio.current_time() + max(0.0, limit - self.usage.seconds)
            self._scope = scope
            try:
                result = await session.turn(request)
            finally:
                self._scope = None
                u = self.usage
                u.turns += 1
                u.seconds += time.monotonic() - started
                if result is not None and result.usage is not None:
                    u.input_tokens += result.usage.input_tokens
                    u.output_tokens += result.usage.output_tokens
                    u.total_tokens += result.usage.total_tokens or (
                        result.usage.input_tokens + result.usage.output_tokens
                    )
                else:  # cut short: what the backend reported so far
                    u.input_tokens += self._live.get("input_tokens", 0)
                    u.output_tokens += self._live.get("output_tokens", 0)
                    u.total_tokens += self._live_tokens
                self.save()
        if self._crossed is not None:
            return Metered(result, attrs.evolve(self._crossed, used=self.usage.as_json()))
        if scope.cancelled_caught:
            return Metered(result, Exceeded("time_limit", limit or 0, self.usage.as_json()))
        after = self._over_tokens(0)
        if after is None and limit is not None and self.usage.seconds >= limit:
            after = Exceeded("time_limit", limit, self.usage.as_json())
        return Metered(result, after)
