"""Codex's approval requests, answered by the kernel's guardrail vote.

When Codex wants to run a command or change files that its approval policy does not let it do
on its own, it asks. codex-core has no human at the keyboard: the question goes to every
guardrail (``ctx.approve(Action(...))``); no veto approves it, any veto declines it with the
vetoes' reasons. Every decision is an event (``codex-approval``) and a line in the stage's log,
and a declined one makes the turn fail (``policy-denied``): the agent did not do what it was
asked, whatever it says next.

A file change is checked before any guardrail is asked: a request whose files (or the
``grantRoot`` Codex wants write access to) resolve outside the work tree or into ``.git``
(:func:`codex_core.paths.is_contained`, symlinks resolved) is declined without a vote, recorded
the same way with the veto of the ``work-tree`` rule. No guardrail can approve such a change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codex_core.backend_api import BackendContext
from codex_core.hookspecs import Action
from codex_core.paths import is_contained

from .items import TurnLedger

#: who declines a file change that leaves the work tree (as a veto's ``guardrail``)
CONTAINMENT = "codex-approvals"


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

    def escapes(self, action: Action) -> list[str]:
        """Why a ``file-change`` action may not be made: each of its paths (a move's destination
        included, and its ``grant_root``) outside the work tree or inside ``.git``, or no paths
        at all (a change Codex never described cannot be checked). Relative paths are taken
        from the work tree's root."""
        if action.kind != "file-change":
            return []
        if not action.paths:
            return ["Codex did not say which files the change touches"]
        wanted = [*action.paths]
        grant_root = (action.details or {}).get("grant_root")
        if grant_root:
            wanted.append(str(grant_root))
        return [
            f"{p} is outside the work tree or inside .git"
            for p in wanted
            if not is_contained(self.ctx.repo, p)
        ]

    async def decide(self, action: Action, request: str, ledger: TurnLedger | None) -> bool:
        """Ask the guardrails; True approves. Records the decision either way.

        A file change outside the work tree or into ``.git`` is declined before the vote.
        """
        outside = self.escapes(action)
        if outside:
            found = [
                {"reason": why, "rule": "work-tree", "guardrail": CONTAINMENT} for why in outside
            ]
        else:
            vetoes = await self.ctx.approve(action)
            found = [{"reason": v.reason, "rule": v.rule, "guardrail": v.guardrail} for v in vetoes]
        decision = "decline" if found else "accept"
        what = f"`{action.command}`" if action.command else ", ".join(action.paths) or action.kind
        self.ctx.event(
            "codex-approval", backend=self.backend, request=request, action=action.kind,
            command=action.command, files=list(action.paths), decision=decision, vetoes=found,
        )  # fmt: skip
        why = "".join(f"\n  vetoed by {v['guardrail']}: {v['reason']}" for v in found)
        verb = {"command": "run", "file-change": "change"}.get(action.kind, action.kind)
        self.ctx.log(f"codex asked to {verb} {what}: {decision}{why}\n")
        if found and ledger is not None:
            reasons = "; ".join(v["reason"] for v in found)
            ledger.declined.append(
                {"summary": f"{action.kind} {what} declined: {reasons}", "vetoes": found}
            )
        return not found
