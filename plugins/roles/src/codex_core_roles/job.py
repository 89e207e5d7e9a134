"""The role protocol, and what a role gets to do its job (:class:`RoleJob`).

A role is a plugin in ``codex_core.roles`` (this distribution registers ``manager``,
``builder``, ``tester`` and ``reviewer``); the ``role`` stage kind loads the one its stage names
and calls it::

    class Role(Protocol):
        name: str
        async def run(self, job: RoleJob) -> StageOutcome: ...

A :class:`RoleJob` has the stage context, the goal, the work tree, the roles' records in the run
dir, the goal's budget, and :meth:`RoleJob.session`, a session of the goal's backend wired to the
kernel's guardrail vote and the run's events.
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
from .budget import GoalBudget
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

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[Any]:
        """A session of the goal's backend, in the work tree."""
        backend = load_backend(self.ctx.kernel, self.backend_name)
        bctx = backend_context(self.ctx, self.workdir, on_event=self.budget.on_event)
        async with backend.session(bctx) as session:
            yield session

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


@runtime_checkable
class Role(Protocol):
    name: str

    async def run(self, job: RoleJob) -> StageOutcome: ...
