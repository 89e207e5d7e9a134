"""The ``subpipeline`` stage kind: runs another pipeline as a child run and mirrors its status."""

from __future__ import annotations

from ..errors import ConfigError
from ..model import REASON_CHILD_RUN_FAILED
from ..pipeline import StageSpec
from ..stage_api import StageContext, StageOutcome


class SubpipelineStage:
    def validate(self, spec: StageSpec) -> None:
        if not spec.pipeline:
            raise ConfigError(f"stage {spec.id!r}: a subpipeline stage needs 'pipeline'")
        if spec.options:
            raise ConfigError(
                f"stage {spec.id!r}: unknown key(s) for a subpipeline stage: {', '.join(sorted(spec.options))}"
            )

    async def run(self, ctx: StageContext) -> StageOutcome:
        assert ctx.spec.pipeline is not None
        child = await ctx.start_child_run(ctx.spec.pipeline)
        ctx.log(f"child run {child.run_id} ({ctx.spec.pipeline}): {child.status}\n")
        summary = f"child run {child.run_id} {child.status}"
        if child.status == "succeeded":
            return StageOutcome("succeeded", summary=summary, sub_run_id=child.run_id)
        return StageOutcome(
            "failed",
            summary=summary,
            reason=REASON_CHILD_RUN_FAILED,
            details={"child_run_id": child.run_id, "child_status": child.status},
            sub_run_id=child.run_id,
        )
