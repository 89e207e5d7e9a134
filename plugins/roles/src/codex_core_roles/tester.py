"""The tester: the repository's ``diagnostics`` as a child run, in the work tree.

The child run has its own manifest (``parent_run_id``), is listed in this run's ``child_runs[]``
and named by the stage's ``sub_run_id``. With ``--worktree`` it runs in the worktree (the
kernel's ``start_child_run(pipeline, repo=...)``: the worktree's config and adapters, this run's
store). Failing diagnostics fail this stage, which the ``implement`` pipeline allows, so that the
reviewer still runs and decides.
"""

from __future__ import annotations

from codex_core.errors import UsageError
from codex_core.stage_api import StageOutcome

from .job import RoleJob

PIPELINE = "diagnostics"
REASON_CHILD_FAILED = "child-run-failed"
REASON_NO_DIAGNOSTICS = "no-diagnostics"


class Tester:
    name = "tester"

    async def run(self, job: RoleJob) -> StageOutcome:
        ctx = job.ctx
        base = job.workdir_record
        try:
            if job.goal.worktree:
                child = await ctx.start_child_run(PIPELINE, repo=job.workdir)
            else:
                child = await ctx.start_child_run(PIPELINE)
        except UsageError as err:  # no adapter recognises the repo, a broken config, ...
            job.records.write("test", {"status": "error", "error": str(err)})
            return StageOutcome(
                "failed", summary=f"cannot run {PIPELINE}: {err}", reason=REASON_NO_DIAGNOSTICS,
                details={"error": str(err)}, record={**base, "tests": {"status": "error"}},
            )  # fmt: skip
        manifest = child.manifest_path.relative_to(ctx.repo).as_posix()
        tests = {
            "status": child.status,
            "pipeline": PIPELINE,
            "run_id": child.run_id,
            "manifest": manifest,
        }
        job.records.write("test", tests)
        record = {**base, "tests": tests}
        if child.status == "succeeded":
            return StageOutcome(
                "succeeded", summary=f"{PIPELINE} passed (run {child.run_id})",
                sub_run_id=child.run_id, record=record,
            )  # fmt: skip
        return StageOutcome(
            "failed", summary=f"{PIPELINE} {child.status} (run {child.run_id})",
            reason=REASON_CHILD_FAILED, sub_run_id=child.run_id, details=tests, record=record,
        )  # fmt: skip
