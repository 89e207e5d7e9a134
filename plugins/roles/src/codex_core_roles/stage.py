"""The ``role`` stage kind: runs the role its stage names (``role = "builder"``) for the goal.

Entry point ``codex_core.stages:role``. Options: ``role`` (a ``codex_core.roles`` plugin:
``manager``, ``builder``, ``tester``, ``reviewer``, or a third party's) and the goal's keys
(:mod:`.goal`). The role is looked up at plan time, so a misspelled one stops the run before it
starts. With ``worktree = true`` the first role stage makes the git worktree the others use.
"""

from __future__ import annotations

from typing import Any

import attrs
from codex_core.errors import CodexCoreError, ConfigError
from codex_core.stage_api import StageOutcome

from .goal import check_options, goal_from_options

ROLES_NAMESPACE = "codex_core.roles"


class RoleStage:
    def validate(self, spec: Any) -> None:
        where = f"stage {spec.id!r} (kind role)"
        options = dict(spec.options)
        role = options.pop("role", None)
        if not isinstance(role, str) or not role:
            raise ConfigError(
                f'{where}: needs role = "manager" | "builder" | "tester" | "reviewer"'
            )
        check_options(options, where)

    async def run(self, ctx: Any) -> StageOutcome:
        from .backends import BackendUnavailable, resolve_backend_name
        from .budget import GoalBudget
        from .job import RoleJob
        from .records import RoleRecords
        from .workspace import GitError, ensure_worktree, worktree_path

        self.validate(ctx.spec)
        options = dict(ctx.spec.options)
        role_name = options.pop("role")
        goal = goal_from_options(options)
        role = ctx.kernel.load_namespace(ROLES_NAMESPACE, [role_name]).get(role_name)
        if role is None:
            return StageOutcome(
                "failed", summary=f"no role {role_name!r} is installed", reason="unknown-role"
            )
        workdir = ctx.repo
        if goal.worktree:
            try:
                workdir = await ensure_worktree(ctx.repo, worktree_path(ctx.run_dir))
            except GitError as err:
                return StageOutcome(
                    "failed", summary=f"cannot make the worktree: {err}", reason="worktree-failed"
                )
        records = RoleRecords(ctx.run_dir)
        try:
            backend = resolve_backend_name(ctx.kernel, goal.backend)
        except BackendUnavailable as err:
            return StageOutcome("failed", summary=str(err), reason=err.code)
        job = RoleJob(
            ctx=ctx, role=role_name, goal=goal, backend_name=backend, workdir=workdir,
            records=records, budget=GoalBudget(goal.budgets, records),
        )  # fmt: skip
        try:
            outcome = await role.run(job)
        except BackendUnavailable as err:
            return StageOutcome(
                "failed", summary=str(err), reason=err.code, record=job.workdir_record
            )
        except ConfigError as err:  # the backend's own configuration ([agents], [codex], ...)
            return StageOutcome(
                "failed", summary=str(err), reason=err.code, record=job.workdir_record
            )
        except CodexCoreError as err:  # the backend could not start (no Codex binary, ...)
            return StageOutcome(
                "failed", summary=str(err), reason=getattr(err, "reason", None) or err.code,
                details=dict(getattr(err, "details", None) or {}), record=job.workdir_record,
            )  # fmt: skip
        if not job.turns:
            return outcome
        # every turn the role ran, with the backend's own facts (Codex version, sandbox, usage)
        return attrs.evolve(outcome, record={**outcome.record, "agent_turns": job.turns})
