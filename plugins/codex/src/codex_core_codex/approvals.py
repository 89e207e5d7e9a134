"""Codex's approval requests, answered by the kernel's guardrail vote.

When Codex wants to run a command or change files that its approval policy does not let it do
on its own, it asks. codex-core has no human at the keyboard: the question goes to every
guardrail (``ctx.approve(Action(...))``); no veto approves it, any veto declines it with the
vetoes' reasons. Every decision is an event (``codex-approval``) and a line in the stage's log,
and a declined one makes the turn fail (``policy-denied``): the agent did not do what it was
asked, whatever it says next.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codex_core.backend_api import BackendContext
from codex_core.hookspecs import Action

from .items import TurnLedger


class ApprovalDesk:
    def __init__(self, ctx: BackendContext, backend: str) -> None:
        self.ctx = ctx
        self.backend = backend

    def action(
        self,
        kind: str,
        *,
        command: str | None = None,
        cwd: str | None = None,
        paths: tuple[str, ...] = (),
        details: dict[str, Any] | None = None,
    ) -> Action:
        return Action(
            kind=kind,
            repo=self.ctx.repo,
            run_id=self.ctx.run_id,
            stage_id=self.ctx.stage_id,
            command=command,
            cwd=Path(cwd) if cwd else None,
            paths=paths,
            details={"backend": self.backend, **(details or {})},
        )

    async def decide(self, action: Action, request: str, ledger: TurnLedger | None) -> bool:
        """Ask the guardrails; True approves. Records the decision either way."""
        vetoes = await self.ctx.approve(action)
        found = [{"reason": v.reason, "rule": v.rule, "guardrail": v.guardrail} for v in vetoes]
        decision = "decline" if vetoes else "accept"
        what = f"`{action.command}`" if action.command else ", ".join(action.paths) or action.kind
        self.ctx.event(
            "codex-approval", backend=self.backend, request=request, action=action.kind,
            command=action.command, files=list(action.paths), decision=decision, vetoes=found,
        )  # fmt: skip
        why = "".join(f"\n  vetoed by {v['guardrail']}: {v['reason']}" for v in found)
        verb = {"command": "run", "file-change": "change"}.get(action.kind, action.kind)
        self.ctx.log(f"codex asked to {verb} {what}: {decision}{why}\n")
        if vetoes and ledger is not None:
            reasons = "; ".join(v["reason"] for v in found)
            ledger.declined.append(
                {"summary": f"{action.kind} {what} declined: {reasons}", "vetoes": found}
            )
        return not vetoes
