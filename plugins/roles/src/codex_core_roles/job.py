"""The role protocol, and what a role gets to do its job (:class:`RoleJob`).

A role is a plugin in ``codex_core.roles`` (this distribution registers ``manager``,
``builder``, ``tester`` and ``reviewer``); the ``role`` stage kind loads the one its stage names
and calls it::

    class Role(Protocol):
        name: str
        async def run(self, job: RoleJob) -> StageOutcome: ...

A :class:`RoleJob` has the stage context, the goal, the work tree, the roles' records in the run
dir, the goal's budget, :meth:`RoleJob.session`, a session of the goal's backend wired to the
kernel's guardrail vote and the run's events, and :meth:`RoleJob.turn`, one turn within the
goal's budget, noted for the stage's manifest record (``agent_turns``: per turn its status, the
sandbox and approval policy it ran with, its token usage, and what the backend says of itself,
such as ``codex_version``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs
from codex_core.backend_api import TurnRequest
from codex_core.stage_api import StageContext, StageOutcome

from .backends import backend_context, load_backend
from .budget import GoalBudget, Metered
from .goal import Goal
from .records import RoleRecords


@attrs.define
class RoleJob:
    ctx: StageContext
    role: str
    goal: Goal
    backend_name: str
    workdir: Path
    records: RoleRecords
    budget: GoalBudget
    #: one note per turn this stage ran (see :func:`turn_note`)
    turns: list[dict[str, Any]] = attrs.field(factory=list)

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[Any]:
        """A session of the goal's backend, in the work tree."""
        backend = load_backend(self.ctx.kernel, self.backend_name)
        bctx = backend_context(self.ctx, self.workdir, on_event=self.budget.on_event)
        async with backend.session(bctx) as session:
            yield session

    async def turn(self, session: Any, request: TurnRequest) -> Metered:
        """One turn of ``session`` within the goal's budget, noted in :attr:`turns`."""
        metered = await self.budget.turn(session, request)
        self.turns.append(turn_note(len(self.turns) + 1, request, metered))
        return metered

    def request(
        self, prompt: str, *, sandbox: str | None = None, instructions: str | None = None
    ) -> TurnRequest:
        return TurnRequest(
            prompt=prompt, cwd=self.workdir, sandbox=sandbox or self.goal.sandbox,
            approval_policy=self.ctx.approval_policy, model=self.goal.model, instructions=instructions,
        )  # fmt: skip

    def log(self, text: str) -> None:
        self.ctx.log(text if text.endswith("\n") else text + "\n")

    @property
    def workdir_record(self) -> dict[str, Any]:
        return {
            "workdir": str(self.workdir),
            "worktree": self.goal.worktree,
            "backend": self.backend_name,
        }


#: what a backend's TurnResult.details may say that belongs in the manifest (each when present)
_NOTED = ("backend", "codex_version", "sandbox", "approval_policy", "model", "thread_id")


def turn_note(number: int, request: TurnRequest, metered: Metered) -> dict[str, Any]:
    """What the manifest keeps of one turn: how it ended, how it ran, what it cost."""
    result = metered.result
    note: dict[str, Any] = {"turn": number, "sandbox": request.sandbox}
    if result is None:  # never started, or cut short by a budget
        note["status"] = "stopped"
    else:
        note.update({k: result.details[k] for k in _NOTED if result.details.get(k) is not None})
        note.update(status=result.status, reason=result.reason)
        if result.usage is not None:
            note["usage"] = {
                "input_tokens": result.usage.input_tokens,
                "output_tokens": result.usage.output_tokens,
                "total_tokens": result.usage.total_tokens,
            }
    if metered.exceeded is not None:
        note["budget_exceeded"] = metered.exceeded.budget
    return note


@runtime_checkable
class Role(Protocol):
    name: str

    async def run(self, job: RoleJob) -> StageOutcome: ...
