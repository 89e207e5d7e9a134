"""A goal and its options, as the ``implement`` pipeline's stages carry them.

The goal text and every option live in each role stage's ``options``, so they are part of the
run's pipeline snapshot (``pipeline.json``): ``codex-core resume`` re-runs the stages with the
goal they were started with, whatever the configuration says by then. Defaults come from the
repo's ``[roles]`` table::

    [roles]
    goal = "Add a --verbose flag"   # for `codex-core start implement` (run takes it as argument)
    backend = "agents"              # default: "auto" (codex when installed with a binary, else agents)
    sandbox = "workspace-write"     # read-only | workspace-write | danger-full-access
    worktree = false                # work in a fresh git worktree under the run dir
    model = "gpt-4.1"               # passed to the backend (TurnRequest.model)
    max_turns = 10                  # budgets for the whole goal (see codex_core_roles.budget)
    max_tokens = 200000
    time_limit = 1800               # seconds the agent may spend working
    model_review = true             # the reviewer also asks the backend for a review

Nothing here imports trio: the plugin's hooks run in every ``codex-core`` command.
"""

from __future__ import annotations

from typing import Any

import attrs
from codex_core.backend_api import Budgets
from codex_core.errors import ConfigError

ROLES = ("manager", "builder", "tester", "reviewer")
SANDBOX_MODES = ("read-only", "workspace-write", "danger-full-access")
AUTO_BACKEND = "auto"
SECTION = "roles"

_INTS = ("max_turns", "max_tokens")
_KEYS = {
    "goal", "backend", "sandbox", "worktree", "model", "max_turns", "max_tokens", "time_limit",
    "model_review",
}  # fmt: skip


@attrs.frozen
class Goal:
    text: str
    backend: str = AUTO_BACKEND
    sandbox: str = "workspace-write"
    worktree: bool = False
    model: str | None = None
    max_turns: int | None = None
    max_tokens: int | None = None
    time_limit: float | None = None
    model_review: bool = True

    def options(self) -> dict[str, Any]:
        """The stage options carrying this goal: every key, defaults included, so a resumed run
        keeps the values it started with even if a later version changes a default."""
        found: dict[str, Any] = {"goal": self.text}
        for field in attrs.fields(Goal):
            if field.name != "text":
                found[field.name] = getattr(self, field.name)
        return found

    @property
    def budgets(self) -> Budgets:
        """The goal's limits as the backend protocol's :class:`~codex_core.backend_api.Budgets`."""
        return Budgets(
            max_turns=self.max_turns, max_tokens=self.max_tokens, wall_clock_seconds=self.time_limit
        )


def check_options(options: dict[str, Any], where: str, *, need_goal: bool = True) -> dict[str, Any]:
    """The goal keys of ``options`` checked (ConfigError naming ``where`` and the key)."""
    unknown = set(options) - _KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown option(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(_KEYS))})"
        )
    goal = options.get("goal")
    if goal is None and need_goal:
        raise ConfigError(
            f'{where}: no goal (run `codex-core run "GOAL"`, or set [roles] goal for `start implement`)'
        )
    if goal is not None and (not isinstance(goal, str) or not goal.strip()):
        raise ConfigError(f"{where}.goal: expected the goal as a non-empty string")
    for key in ("backend", "model"):
        value = options.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ConfigError(f"{where}.{key}: expected a non-empty string, got {value!r}")
    sandbox = options.get("sandbox")
    if sandbox is not None and sandbox not in SANDBOX_MODES:
        raise ConfigError(
            f"{where}.sandbox: expected one of {', '.join(SANDBOX_MODES)}, got {sandbox!r}"
        )
    for key in ("worktree", "model_review"):
        if key in options and not isinstance(options[key], bool):
            raise ConfigError(f"{where}.{key}: expected true or false")
    for key in _INTS:
        value = options.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ConfigError(f"{where}.{key}: expected a whole number >= 1, got {value!r}")
    value = options.get("time_limit")
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
    ):
        raise ConfigError(
            f"{where}.time_limit: expected a positive number of seconds, got {value!r}"
        )
    return options


def goal_from_options(options: dict[str, Any]) -> Goal:
    known = {k: v for k, v in options.items() if k in _KEYS}
    text = known.pop("goal")
    if "time_limit" in known and known["time_limit"] is not None:
        known["time_limit"] = float(known["time_limit"])
    return Goal(text=text, **known)


def roles_section(config: Any) -> dict[str, Any]:
    """``[roles]`` of the repo's config, checked (the goal is optional there)."""
    if config is None:
        return {}
    table = config.section(SECTION)
    path = getattr(config, "path", None)
    prefix = "tool.codex-core." if path is not None and path.name == "pyproject.toml" else ""
    return check_options(dict(table), f"{path}: {prefix}{SECTION}", need_goal=False)
