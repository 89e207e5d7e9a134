"""The reviewer: decides from the guardrails, the tests and, where it can, a model review.

Checks, each recorded with its outcome:

- ``tests``: the tester's ``diagnostics`` child run must have succeeded;
- ``spec-guard`` and ``diff-budget``: the guardrails plugin's stage kinds, run on the work tree
  (a kind that is not installed is recorded ``unavailable`` and does not count);
- ``model-review`` (unless ``model_review = false``): one read-only turn of the goal's backend,
  shown the goal, the plan, the checks and ``diff.patch``, whose first line must say ``APPROVE``
  or ``REQUEST_CHANGES``. An answer that says neither, a failed turn or a spent budget is
  recorded and does not decide.

The decision is ``approved`` when nothing failed, else ``rejected`` (the stage fails
``review-rejected``) unless the run was started with ``--override review --reason ... --approver
...``: then the override is recorded as an approval (``approvals[]``) and the change passes. The
decision, the checks and any approval are in the stage's manifest record (``review``) and in
``roles/review.json``.
"""

from __future__ import annotations

from typing import Any

import attrs
from codex_core.pipeline import StageSpec
from codex_core.stage_api import StageOutcome

from .job import RoleJob
from .plan import Plan

REASON_REJECTED = "review-rejected"
DIFF_SHOWN = 30_000
SOURCE = "codex-core-roles"
GUARDRAIL_KINDS = (("spec-guard", "Spec guard"), ("diff-budget", "Diff budget"))


def _short(details: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in details.items() if k not in ("traceback", "largest")}


async def run_guardrail(job: RoleJob, kind_name: str, title: str) -> dict[str, Any]:
    """Run a guardrail stage kind on the work tree, inside this stage; its outcome as a check."""
    kind = job.ctx.kernel.stage_kind(kind_name)
    if kind is None:
        return {
            "check": kind_name,
            "status": "unavailable",
            "summary": f"no {kind_name} stage kind installed",
        }
    spec = StageSpec(id=kind_name, kind=kind_name, title=title, guardrail=True, source=SOURCE)
    # The reviewer owns the override: the guardrail itself never consumes it.
    sub = attrs.evolve(job.ctx, spec=spec, repo=job.workdir, override=None, record_approval=None)
    try:
        outcome = await kind.run(sub)
    except Exception as exc:
        return {"check": kind_name, "status": "failed", "summary": f"{type(exc).__name__}: {exc}",
                "reason": "stage-error"}  # fmt: skip
    job.log(f"{kind_name}: {outcome.status}: {outcome.summary}")
    return {
        "check": kind_name, "status": outcome.status, "summary": outcome.summary,
        "reason": outcome.reason or outcome.skip_reason, "details": _short(outcome.details),
    }  # fmt: skip


def tests_check(job: RoleJob) -> dict[str, Any]:
    tests = job.records.read("test")
    if tests is None:
        return {"check": "tests", "status": "failed", "summary": "the tests did not run"}
    status = "succeeded" if tests.get("status") == "succeeded" else "failed"
    summary = f"diagnostics {tests.get('status')}" + (
        f" (run {tests['run_id']})" if tests.get("run_id") else f": {tests.get('error')}"
    )
    return {"check": "tests", "status": status, "summary": summary, "run_id": tests.get("run_id")}


def review_prompt(job: RoleJob, checks: list[dict[str, Any]]) -> str:
    plan_data = job.records.read("plan")
    plan = Plan.from_json(plan_data).text() if plan_data else "(no plan recorded)"
    patch_path = job.ctx.run_dir / "diff.patch"
    patch = patch_path.read_text(errors="replace") if patch_path.exists() else ""
    shown = patch[:DIFF_SHOWN] + (
        f"\n[... {len(patch) - DIFF_SHOWN} more characters]" if len(patch) > DIFF_SHOWN else ""
    )
    lines = "\n".join(f"- {c['check']}: {c['status']}: {c.get('summary') or ''}" for c in checks)
    return (
        f"Review this change against its goal.\n\nGoal: {job.goal.text}\n\nThe plan:\n{plan}\n\n"
        f"Automatic checks:\n{lines}\n\nThe change (diff.patch):\n```diff\n{shown or '(no change)'}\n```\n\n"
        "Is the change correct, complete and no larger than the goal needs? Answer with APPROVE or "
        "REQUEST_CHANGES alone on the first line, then your reasons."
    )  # fmt: skip


def read_verdict(reply: str | None) -> str:
    first = next((line.strip() for line in (reply or "").splitlines() if line.strip()), "")
    word = first.strip("*#`_ :").upper().replace(" ", "_")
    if word.startswith("APPROVE"):
        return "approve"
    if word.startswith(("REQUEST_CHANGES", "REJECT", "CHANGES_REQUESTED")):
        return "request-changes"
    return "unclear"


async def model_review(job: RoleJob, checks: list[dict[str, Any]]) -> dict[str, Any]:
    if not job.goal.model_review:
        return {"check": "model-review", "status": "skipped", "summary": "model_review = false"}
    spent = job.budget.exceeded()
    if spent is not None:
        return {
            "check": "model-review",
            "status": "skipped",
            "summary": f"not asked: {spent.summary}",
        }
    try:
        async with job.session() as session:
            metered = await job.turn(
                session, job.request(review_prompt(job, checks), sandbox="read-only")
            )
    except Exception as exc:  # a backend that cannot review leaves the decision to the guardrails
        return {
            "check": "model-review",
            "status": "unavailable",
            "summary": f"{type(exc).__name__}: {exc}",
        }
    result = metered.result
    if result is None or result.status != "completed":
        why = (
            metered.exceeded.summary
            if metered.exceeded
            else (result.error or result.reason if result else "")
        )
        return {"check": "model-review", "status": "unavailable", "summary": f"no review: {why}"}
    verdict = read_verdict(result.reply)
    job.log(f"model review ({verdict}):\n{result.reply}")
    status = {"approve": "succeeded", "request-changes": "failed"}.get(verdict, "unclear")
    return {
        "check": "model-review", "status": status, "verdict": verdict, "backend": job.backend_name,
        "summary": (result.reply or "").strip()[:2000],
    }  # fmt: skip


class Reviewer:
    name = "reviewer"

    async def run(self, job: RoleJob) -> StageOutcome:
        checks = [tests_check(job)]
        for kind_name, title in GUARDRAIL_KINDS:
            checks.append(await run_guardrail(job, kind_name, title))
        checks.append(await model_review(job, checks))
        findings = [
            {"check": c["check"], "summary": c.get("summary"), "reason": c.get("reason")}
            for c in checks
            if c["status"] == "failed"
        ]
        review: dict[str, Any] = {"checks": checks, "findings": findings}
        ctx = job.ctx
        if not findings:
            review["decision"] = "approved"
        elif ctx.override is not None and ctx.record_approval is not None:
            approval = ctx.record_approval(findings)
            review["decision"] = "approved"
            review["approval"] = {"approver": approval.approver, "reason": approval.reason,
                                  "actor": approval.actor}  # fmt: skip
        else:
            review["decision"] = "rejected"
        job.records.write("review", review)
        record = {**job.workdir_record, "review": review}
        named = ", ".join(f["check"] for f in findings)
        if review["decision"] == "rejected":
            return StageOutcome(
                "failed", summary=f"rejected: {named} failed", reason=REASON_REJECTED,
                details={"findings": findings}, record=record,
            )  # fmt: skip
        summary = "approved" + (
            f" by override of {review['approval']['approver']} ({named} failed)" if findings else ""
        )
        return StageOutcome("succeeded", summary=summary, record=record)
