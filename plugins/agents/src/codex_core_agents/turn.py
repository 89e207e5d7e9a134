"""One backend turn on the asyncio side: attach MCP servers, build the team, run, report.

Runs inside :func:`.bridge.run_on_asyncio`. The SDK's outcome is mapped onto a
:class:`~codex_core.backend_api.TurnResult`; what the agent did before a failure (commands, file
changes, usage) is reported either way. The turn is ``failed`` when the SDK run fails, when a
write tried to leave the work tree (``path-escape``), when the model-call limit is reached
(``budget-exceeded``), when the turn guardrail is vetoed (``policy-denied``), and when a command
the agent ran failed the last time it ran it (``command-failed``: an agent that fixes a failing
test and re-runs it green has not failed; one that leaves a red command behind has, whatever its
reply says).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import anyio
from agents import (
    InputGuardrailTripwireTriggered,
    MaxTurnsExceeded,
    RunConfig,
    RunHooks,
    Runner,
    ToolInputGuardrailTripwireTriggered,
)
from codex_core.backend_api import TokenUsage, TurnRequest, TurnResult
from codex_core_mcp.spec import ServerSpec

from .guardrails import tool_guardrail, turn_guardrail
from .mcp_servers import sdk_server
from .settings import AgentsSettings
from .state import TurnState
from .team import build_team


class _Hooks(RunHooks[TurnState]):
    """Usage, handoffs and agent changes, recorded and reported as run events as they happen."""

    def __init__(self, state: TurnState) -> None:
        self.state = state

    async def on_agent_start(self, context: Any, agent: Any) -> None:
        if not self.state.agents or self.state.agents[-1] != agent.name:
            self.state.agents.append(agent.name)

    async def on_handoff(self, context: Any, from_agent: Any, to_agent: Any) -> None:
        self.state.handoffs.append({"from": from_agent.name, "to": to_agent.name})
        self.state.event("agent-handoff", from_agent=from_agent.name, to_agent=to_agent.name)

    async def on_llm_end(self, context: Any, agent: Any, response: Any) -> None:
        s = self.state
        usage = response.usage
        s.model_calls += 1
        s.input_tokens += usage.input_tokens or 0
        s.output_tokens += usage.output_tokens or 0
        s.total_tokens += usage.total_tokens or (usage.input_tokens or 0) + (
            usage.output_tokens or 0
        )
        s.event(
            "agent-usage", agent=agent.name, model_calls=s.model_calls,
            input_tokens=s.input_tokens, output_tokens=s.output_tokens, total_tokens=s.total_tokens,
        )  # fmt: skip


def result_of(
    state: TurnState,
    status: str,
    *,
    reply: str | None = None,
    error: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> TurnResult:
    """The TurnResult of what ``state`` recorded, with the failure rules of the module docstring."""
    if status == "completed" and state.violations:
        status, reason = "failed", "path-escape"
        error = error or f"write outside the work tree refused: {state.violations[0]['path']!r}"
    if status == "completed":
        last: dict[str, Any] = {}
        for command in state.commands:
            last[command.command] = command
        red = [c for c in last.values() if c.exit_code not in (0, None) or c.status == "failed"]
        if red:
            status, reason = "failed", "command-failed"
            error = f"command failed: {red[-1].command} (exit {red[-1].exit_code})"
    return TurnResult(
        status=status,  # type: ignore[arg-type]
        reply=reply,
        commands=tuple(state.commands),
        file_changes=tuple(state.file_changes),
        usage=TokenUsage(state.input_tokens, state.output_tokens, state.total_tokens),
        error=error,
        reason=reason,
        details={
            "backend": "agents",
            "agents": list(state.agents),
            "handoffs": list(state.handoffs),
            "tool_calls": list(state.tool_calls),
            "vetoes": list(state.vetoes),
            "violations": list(state.violations),
            "model_calls": state.model_calls,
            **(details or {}),
        },
    )


async def run_turn(
    *,
    state: TurnState,
    request: TurnRequest,
    settings: AgentsSettings,
    model: Any,
    provider: Any,
    servers: list[ServerSpec],
    run_dir: Path | None,
) -> TurnResult:
    async with contextlib.AsyncExitStack() as stack:
        attached = []
        for spec in servers:
            errlog = None
            if run_dir is not None:
                (run_dir / "mcp").mkdir(exist_ok=True)
                errlog = stack.enter_context(open(run_dir / "mcp" / f"{spec.name}.stderr.log", "a"))
            try:
                server = sdk_server(spec, env=state.env, repo=state.root, errlog=errlog)
                stack.push_async_callback(server.cleanup)
                with anyio.fail_after(spec.connect_timeout):
                    await server.connect()
            except Exception as exc:
                return result_of(
                    state, "failed", reason="mcp-unavailable",
                    error=f"MCP server {spec.name!r} ({spec.describe()}): {type(exc).__name__}: {exc}",
                )  # fmt: skip
            attached.append(server)
        team = build_team(
            sandbox_mode=state.sandbox_mode,
            tool_guardrails=[tool_guardrail()],
            mcp_servers=attached,
            extra=settings.instructions,
            turn_instructions=request.instructions,
            input_guardrails=[turn_guardrail()],
        )
        config = RunConfig(
            model=model, tracing_disabled=True, workflow_name="codex-core",
            trace_include_sensitive_data=False,
            **({"model_provider": provider} if provider is not None else {}),
        )  # fmt: skip
        state.event("agent-turn-started", agent="manager", sandbox=state.sandbox_mode,
                    mcp_servers=[s.name for s in servers])  # fmt: skip
        try:
            run = await Runner.run(
                team["manager"], request.prompt, context=state, hooks=_Hooks(state),
                max_turns=settings.max_model_calls, run_config=config,
            )  # fmt: skip
        except ToolInputGuardrailTripwireTriggered as exc:
            info = exc.output.output_info or {}
            return result_of(
                state, "failed", reason="path-escape",
                error=f"{info.get('tool', 'a tool')} refused: {info.get('error', exc)}",
            )  # fmt: skip
        except InputGuardrailTripwireTriggered as exc:
            info = exc.guardrail_result.output.output_info or {}
            return result_of(
                state, "failed", reason="policy-denied",
                error="the turn was vetoed: " + "; ".join(info.get("vetoes", [])),
            )  # fmt: skip
        except MaxTurnsExceeded:
            return result_of(
                state, "failed", reason="budget-exceeded",
                error=f"the agents made {settings.max_model_calls} model calls ([agents] max_model_calls)",
                details={"budget": "max_model_calls", "limit": settings.max_model_calls},
            )  # fmt: skip
        except Exception as exc:
            return result_of(
                state, "failed", reason="agent-error", error=f"{type(exc).__name__}: {exc}"
            )
        reply = run.final_output
        text = reply if isinstance(reply, str) or reply is None else str(reply)
        return result_of(
            state, "completed", reply=text, details={"last_agent": run.last_agent.name}
        )
