"""What one backend turn's tools, guardrails and hooks share: the SDK run's context object.

A :class:`TurnState` lives on the asyncio side. It records what the agent did (commands, file
changes, tool calls, handoffs, vetoes, sandbox violations, token usage) for the
:class:`~codex_core.backend_api.TurnResult`, and reaches back into trio (the stage log, the run's
events, the kernel's guardrail vote) through a :class:`~.bridge.TrioPortal`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
from codex_core.backend_api import BackendContext, CommandExecution, FileChange
from codex_core.hookspecs import Action, Veto
from codex_core_guardrails.sandbox import Sandbox

from .bridge import TrioPortal


@attrs.define
class TurnState:
    root: Path
    #: where commands run (the request's cwd, inside ``root``)
    cwd: Path
    sandbox: Sandbox
    portal: TrioPortal
    backend: BackendContext
    env: dict[str, str]
    sandbox_mode: str
    command_timeout: float
    commands: list[CommandExecution] = attrs.field(factory=list)
    file_changes: list[FileChange] = attrs.field(factory=list)
    tool_calls: list[dict[str, Any]] = attrs.field(factory=list)
    handoffs: list[dict[str, str]] = attrs.field(factory=list)
    vetoes: list[dict[str, Any]] = attrs.field(factory=list)
    #: attempted writes outside the root or into .git: they fail the turn
    violations: list[dict[str, Any]] = attrs.field(factory=list)
    agents: list[str] = attrs.field(factory=list)
    model_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0

    # -- reaching trio ----------------------------------------------------------------------

    def log(self, text: str) -> None:
        self.portal.call_sync(self.backend.log, text)

    def event(self, name: str, **fields: Any) -> None:
        self.portal.call_sync(self.backend.event, name, **fields)

    def action(self, kind: str, *, agent: str, tool: str, **fields: Any) -> Action:
        details = {"agent": agent, "tool": tool, "backend": "agents", **fields.pop("details", {})}
        return Action(
            kind=kind,
            repo=self.backend.repo,
            run_id=self.backend.run_id,
            stage_id=self.backend.stage_id,
            details=details,
            **fields,
        )

    async def approve(self, action: Action) -> list[Veto]:
        """The kernel's guardrail vote on ``action`` (an empty list allows it); whoever answers
        ``approve`` logs and records the vetoes, the turn keeps them for its result."""
        vetoes = await self.portal.call_async(self.backend.approve, action)
        if vetoes:
            found = [{"reason": v.reason, "rule": v.rule, "guardrail": v.guardrail} for v in vetoes]
            self.vetoes.append(
                {
                    "kind": action.kind,
                    "tool": action.details.get("tool"),
                    "command": action.command,
                    "paths": list(action.paths),
                    "vetoes": found,
                }
            )
        return list(vetoes)
