"""The manager: one read-only turn that plans the goal; the plan goes into the manifest."""

from __future__ import annotations

from codex_core.stage_api import StageOutcome

from .budget import REASON as BUDGET_EXCEEDED
from .job import RoleJob
from .plan import PlanError, parse_plan, planning_prompt

REASON_PLAN_INVALID = "plan-invalid"


class Manager:
    name = "manager"

    async def run(self, job: RoleJob) -> StageOutcome:
        base = job.workdir_record
        async with job.session() as session:
            metered = await job.turn(
                session, job.request(planning_prompt(job.goal.text), sandbox="read-only")
            )
        result = metered.result
        if metered.exceeded is not None:
            return StageOutcome(
                "failed", summary=metered.exceeded.summary, reason=BUDGET_EXCEEDED,
                details=metered.exceeded.as_json(), record={**base, "budget": metered.exceeded.as_json()},
            )  # fmt: skip
        assert result is not None
        if result.status != "completed":
            return StageOutcome(
                "failed", summary=f"planning turn {result.status}: {result.error or result.reason}",
                reason=result.reason or "turn-failed", details={"error": result.error, **result.details},
                record=base,
            )  # fmt: skip
        try:
            plan = parse_plan(result.reply)
        except PlanError as err:
            job.log(f"the manager's answer:\n{result.reply}")
            return StageOutcome(
                "failed", summary=str(err), reason=REASON_PLAN_INVALID,
                details={"reply": (result.reply or "")[-4000:]}, record=base,
            )  # fmt: skip
        job.records.write("plan", plan.as_json())
        job.log(f"plan: {plan.summary}\n{plan.text()}")
        return StageOutcome(
            "succeeded",
            summary=f"{len(plan.executable)} executable item(s) of {len(plan.items)}: {plan.summary}"[
                :200
            ],
            record={
                **base,
                "plan_summary": plan.summary,
                "plan_items": [i.as_json() for i in plan.items],
            },
        )
