"""The ``command`` stage kind: one shell command; its exit code decides the stage."""

from __future__ import annotations

from ..errors import ConfigError
from ..model import SKIP_NO_COMMAND
from ..pipeline import StageSpec
from ..stage_api import StageContext, StageOutcome


class CommandStage:
    def validate(self, spec: StageSpec) -> None:
        if spec.options:
            raise ConfigError(
                f"stage {spec.id!r}: unknown key(s) for a command stage: {', '.join(sorted(spec.options))}"
            )

    async def run(self, ctx: StageContext) -> StageOutcome:
        if not ctx.spec.command:
            return StageOutcome(
                "skipped", skip_reason=SKIP_NO_COMMAND, summary="no command for this stage"
            )
        result = await ctx.run_command(ctx.spec.command)
        return StageOutcome.from_command(result)
