"""The SDK's guardrails, answered by codex-core's: every agent action goes to the kernel's vote.

Three SDK guardrails, each a thin mapping onto ``BackendContext.approve`` (the kernel's
``codex_guardrail_vote``, where every guardrail plugin votes and any veto blocks):

- :func:`tool_guardrail`, an SDK *tool input guardrail* on every function tool: the call becomes
  an :class:`~codex_core.hookspecs.Action` (``command`` for ``run_command``, so the command
  policy applies; ``file-write``, ``file-delete``, ``file-read`` with the path for the file
  tools). A veto rejects the call: the tool does not run and the model is told why
  (``reject_content``), and the veto is kept for the turn's result. A write that would leave the
  work tree or enter ``.git`` is not put to a vote at all: it trips the guardrail
  (``raise_exception``), which halts the agent run and fails the turn (``path-escape``).
- :func:`mcp_guardrail`, the same on every tool of an attached MCP server (kind ``mcp-tool``,
  with the server, tool and arguments in ``details``).
- :func:`turn_guardrail`, an SDK *input guardrail* on the starting agent (run before the first
  model call): kind ``agent-turn`` with the prompt; a veto trips it and the turn fails
  ``policy-denied`` before the model is asked anything.
"""

from __future__ import annotations

import json
from typing import Any

from agents import (
    Agent,
    GuardrailFunctionOutput,
    InputGuardrail,
    RunContextWrapper,
    ToolGuardrailFunctionOutput,
    ToolInputGuardrail,
    ToolInputGuardrailData,
)
from codex_core.backend_api import CommandExecution
from codex_core.errors import PathEscapeError
from codex_core.hookspecs import Action, Veto

from .state import TurnState
from .tools import WRITE_TOOLS

PROMPT_SHOWN = 4000


def _arguments(data: ToolInputGuardrailData) -> dict[str, Any]:
    try:
        value = json.loads(data.context.tool_arguments or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _denied(vetoes: list[Veto]) -> str:
    return "denied by codex-core guardrails: " + "; ".join(
        f"{v.guardrail or 'guardrail'}: {v.reason}" for v in vetoes
    )


def _action_for(state: TurnState, tool: str, agent: str, args: dict[str, Any]) -> Action:
    if tool == "run_command":
        return state.action(
            "command", agent=agent, tool=tool, command=str(args.get("command", "")), cwd=state.root
        )
    kind = {"write_file": "file-write", "delete_file": "file-delete"}.get(tool, "file-read")
    path = str(args.get("path", args.get("directory", "")))
    return state.action(kind, agent=agent, tool=tool, paths=(path,))


async def _vote_on_tool(data: ToolInputGuardrailData) -> ToolGuardrailFunctionOutput:
    state: TurnState = data.context.context
    tool, agent, args = data.context.tool_name, data.agent.name, _arguments(data)
    state.tool_calls.append({"agent": agent, "tool": tool})
    state.event("agent-tool-call", agent=agent, tool=tool)
    if tool in WRITE_TOOLS:
        path = str(args.get("path", ""))
        try:
            state.sandbox.resolve(path)
        except PathEscapeError as err:
            state.violations.append({"tool": tool, "path": path, "error": str(err)})
            state.log(f"refused {tool} {path!r}: {err}\n")
            state.event("agent-path-escape", agent=agent, tool=tool, path=path, error=str(err))
            return ToolGuardrailFunctionOutput.raise_exception(
                output_info={"tool": tool, "path": path, "error": str(err)}
            )
    vetoes = await state.approve(_action_for(state, tool, agent, args))
    if vetoes:
        if tool == "run_command":
            state.commands.append(CommandExecution(str(args.get("command", "")), None, "declined"))
        return ToolGuardrailFunctionOutput.reject_content(_denied(vetoes))
    return ToolGuardrailFunctionOutput.allow()


def tool_guardrail() -> ToolInputGuardrail[Any]:
    return ToolInputGuardrail(guardrail_function=_vote_on_tool, name="codex-core-vote")


def mcp_guardrail(server: str) -> ToolInputGuardrail[Any]:
    async def vote(data: ToolInputGuardrailData) -> ToolGuardrailFunctionOutput:
        state: TurnState = data.context.context
        tool, agent = data.context.tool_name, data.agent.name
        state.tool_calls.append({"agent": agent, "tool": tool, "server": server})
        state.event("agent-tool-call", agent=agent, tool=tool, server=server)
        action = state.action(
            "mcp-tool", agent=agent, tool=tool,
            details={"server": server, "arguments": _arguments(data)},
        )  # fmt: skip
        vetoes = await state.approve(action)
        if vetoes:
            return ToolGuardrailFunctionOutput.reject_content(_denied(vetoes))
        return ToolGuardrailFunctionOutput.allow()

    return ToolInputGuardrail(guardrail_function=vote, name=f"codex-core-vote-mcp-{server}")


def turn_guardrail() -> InputGuardrail[Any]:
    async def vote(
        ctx: RunContextWrapper[TurnState], agent: Agent[Any], prompt: str | list[Any]
    ) -> GuardrailFunctionOutput:
        state = ctx.context
        text = prompt if isinstance(prompt, str) else json.dumps(prompt, default=str)
        action = state.action(
            "agent-turn", agent=agent.name, tool="",
            details={"prompt": text[:PROMPT_SHOWN], "sandbox": state.sandbox_mode},
        )  # fmt: skip
        vetoes = await state.approve(action)
        return GuardrailFunctionOutput(
            output_info={"vetoes": [v.reason for v in vetoes]}, tripwire_triggered=bool(vetoes)
        )

    return InputGuardrail(
        guardrail_function=vote, name="codex-core-turn-vote", run_in_parallel=False
    )
