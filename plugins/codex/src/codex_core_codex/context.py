"""A :class:`BackendContext` for a stage: where Codex works, and how it asks and reports.

``approve`` is the stage's ``ctx.approve``: every guardrail votes, and the kernel logs and
records each veto (a ``guardrail-veto`` event, ``vetoes`` on the stage's record). A kernel
without it (older than ``StageContext.approve``) gets the bare vote.
"""

from __future__ import annotations

from typing import Any

from codex_core.backend_api import BackendContext
from codex_core.hookspecs import Action, Veto
from codex_core.stage_api import StageContext


def backend_context(ctx: StageContext) -> BackendContext:
    def event(name: str, **fields: Any) -> None:
        if ctx.event is not None:
            ctx.event(name, **fields)

    vote = getattr(ctx, "approve", None) or ctx.kernel.vote

    async def approve(action: Action) -> list[Veto]:
        return list(vote(action))

    return BackendContext(
        repo=ctx.repo,
        run_dir=ctx.run_dir,
        run_id=ctx.run_id,
        stage_id=ctx.spec.id,
        env=dict(ctx.env),
        log=ctx.log,
        event=event,
        approve=approve,
        config=ctx.config,
    )
