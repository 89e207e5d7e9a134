"""Which repository a plan-time check is for: the stage kind's ``validate`` is not told.

The kernel calls a stage kind's ``validate(spec)`` with the spec alone, so a check that depends
on the repo (its ``[codex]`` section, the Codex it pins in ``node_modules``) has nothing to go
on. It does call every plugin's ``codex_pipelines(repo, config)`` hook first, on the same
thread, each time it looks a pipeline up to check it; this plugin's hook records that
``(repo, config)`` here and ``CodexCommandStage.validate`` reads it. Without it (a caller that
validates a spec by hand), validation falls back to what needs no repo.
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Any

import attrs


@attrs.frozen
class PlanTarget:
    repo: Path
    config: Any


_current: ContextVar[PlanTarget | None] = ContextVar("codex_core_codex_plan_target", default=None)


def planning_for(repo: Path, config: Any) -> None:
    _current.set(PlanTarget(repo, config))


def plan_target() -> PlanTarget | None:
    return _current.get()
