"""The builder: one backend turn per executable plan item, then ``diff.patch`` and its stat.

Before the first turn the work tree is snapshot (a git tree object), so ``diff.patch`` shows
exactly what the agent changed. Items already built by an earlier attempt (``roles/build.json``)
are not built again on resume. After every turn:

- a turn that failed (its commands failed, a write left the work tree, a guardrail vetoed the
  turn, ...) fails the build with the turn's reason;
- a change the backend reports outside the work tree or inside ``.git``, or any change to the
  parts of ``.git`` that steer git (config, hooks, info) or to the history (HEAD, any ref: a
  ``git commit``, ``git branch``, ``git update-ref``), fails the build ``path-escape``;
- a budget crossed stops the build ``budget-exceeded`` with the figures.

Whatever ends the build, what the agent changed stays in the work tree and is recorded in
``diff.patch`` (a cancelled build too).
"""

from __future__ import annotations

from typing import Any

import trio
from codex_core.backend_api import TurnResult
from codex_core.stage_api import StageOutcome

from .budget import REASON as BUDGET_EXCEEDED
from .budget import Metered
from .job import RoleJob
from .plan import Plan, PlanItem
from .workspace import (
    changed_git_files,
    git_fingerprint,
    outside_changes,
    record_diff,
    snapshot_tree,
)

REASON_PATH_ESCAPE = "path-escape"
REASON_NO_PLAN = "no-plan"
#: how long a cancelled build may take to write its diff.patch
RECORD_GRACE_SECONDS = 10


def build_prompt(goal: str, plan: Plan, item: PlanItem) -> str:
    return (
        f"Goal: {goal}\n\nThe plan:\n{plan.text()}\n\n"
        f"Carry out item {item.id} now: {item.title}\n"
        + (f"{item.details}\n" if item.details else "")
        + "\nMake the change in the repository with your tools (paths relative to the repository "
        "root; never touch .git or anything outside the repository). Reply with a one-paragraph "
        "summary of what you changed."
    )


def _turn_record(item: PlanItem, result: TurnResult | None) -> dict[str, Any]:
    """What ``roles/build.json`` keeps of one turn."""
    turn: dict[str, Any] = {"item": item.id, "status": result.status if result else "stopped"}
    if result is not None:
        turn.update(
            reason=result.reason,
            error=result.error,
            files=[{"path": c.path, "kind": c.kind} for c in result.file_changes],
            commands=[
                {"command": c.command, "exit_code": c.exit_code, "status": c.status}
                for c in result.commands
            ],
            vetoes=result.details.get("vetoes", []),
            reply=(result.reply or "")[-2000:],
        )
    return turn


def _judge(
    item: PlanItem, metered: Metered, touched: list[str], outside: list[str]
) -> StageOutcome | None:
    """Why the build must stop after this turn (the module docstring's rules), else None."""
    result = metered.result
    if touched or outside:
        what = ", ".join([f".git/{n}" for n in touched] + outside)
        return StageOutcome(
            "failed", summary=f"the agent changed {what}: outside the work tree or inside .git",
            reason=REASON_PATH_ESCAPE, details={"git_files": touched, "outside": outside, "item": item.id},
        )  # fmt: skip
    if result is not None and result.status != "completed":
        return StageOutcome(
            "failed", summary=f"item {item.id}: turn {result.status}: {result.error or result.reason}",
            reason=result.reason or "turn-failed",
            details={"item": item.id, "error": result.error, **result.details},
        )  # fmt: skip
    if metered.exceeded is not None:
        return StageOutcome(
            "failed", summary=f"item {item.id}: {metered.exceeded.summary}", reason=BUDGET_EXCEEDED,
            details={**metered.exceeded.as_json(), "item": item.id},
        )  # fmt: skip
    return None


class Builder:
    name = "builder"

    async def run(self, job: RoleJob) -> StageOutcome:
        saved_plan = job.records.read("plan")
        if saved_plan is None:
            return StageOutcome(
                "failed", summary="no plan to build (the plan stage has not succeeded)",
                reason=REASON_NO_PLAN, record=job.workdir_record,
            )  # fmt: skip
        plan = Plan.from_json(saved_plan)
        state: dict[str, Any] = job.records.read("build") or {"done": [], "turns": []}
        state.pop("budget", None)
        if not state.get("base_tree"):
            state["base_tree"] = await snapshot_tree(job.workdir, job.ctx.run_dir)
            job.records.write("build", state)
        failure: StageOutcome | None = None
        try:
            async with job.session() as session:
                for item in plan.executable:
                    if item.id in state["done"]:
                        job.log(f"item {item.id} was built by an earlier attempt: {item.title}")
                        continue
                    job.log(f"--- item {item.id}: {item.title}")
                    before = await trio.to_thread.run_sync(git_fingerprint, job.workdir)
                    request = job.request(build_prompt(job.goal.text, plan, item))
                    metered = await job.turn(session, request)
                    after = await trio.to_thread.run_sync(git_fingerprint, job.workdir)
                    result = metered.result
                    outside = outside_changes(job.workdir, result.file_changes) if result else []
                    state["turns"].append(_turn_record(item, result))
                    failure = _judge(item, metered, changed_git_files(before, after), outside)
                    if (
                        result is not None
                        and result.status == "completed"
                        and (failure is None or failure.reason == BUDGET_EXCEEDED)
                    ):
                        state["done"].append(item.id)  # built (a budget may be spent, still built)
                    if failure is not None and failure.reason == BUDGET_EXCEEDED:
                        state["budget"] = failure.details
                    job.records.write("build", state)
                    if failure is not None:
                        break
        except trio.Cancelled:
            # Cancelled (codex-core cancel, a stage timeout): still leave the record of the change.
            with trio.CancelScope(shield=True), trio.move_on_after(RECORD_GRACE_SECONDS):
                await record_diff(job.workdir, job.ctx.run_dir, state.get("base_tree"))
            raise
        return await self._finish(job, plan, state, failure)

    async def _finish(
        self, job: RoleJob, plan: Plan, state: dict[str, Any], failure: StageOutcome | None
    ) -> StageOutcome:
        patch, stat = await record_diff(job.workdir, job.ctx.run_dir, state.get("base_tree"))
        rel = patch.relative_to(job.ctx.repo).as_posix() if patch else None
        state["diff_patch"], state["diff_stat"] = rel, stat.as_json()
        state["status"] = "failed" if failure else "succeeded"
        job.records.write("build", state)
        job.log(f"diff: {stat.line}" + (f" ({rel})" if rel else ""))
        record = {
            **job.workdir_record,
            "diff_patch": rel,
            "diff_stat": stat.as_json(),
            "items_built": list(state["done"]),
            "turns": len(state["turns"]),
            "usage": job.budget.usage.as_json(),
        }
        if failure is not None and failure.reason == BUDGET_EXCEEDED:
            record["budget"] = {k: failure.details.get(k) for k in ("budget", "limit", "used")}
        if failure is not None:
            return StageOutcome(
                "failed", summary=failure.summary, reason=failure.reason,
                details={**failure.details, "diff_patch": rel, "diff_stat": stat.as_json()}, record=record,
            )  # fmt: skip
        built = len(state["done"])
        return StageOutcome(
            "succeeded", summary=f"{built} item(s) built; {stat.line}", record=record
        )
