"""The ``codex-mcp`` backend: the ``codex`` tool of ``codex mcp-server`` (Codex <= 0.153).

Codex up to 0.153 could run as an MCP server whose ``codex`` tool runs one turn (arguments
``prompt``, ``sandbox``, ``approval-policy``, ``cwd``, ``model``, ...) and whose ``codex-reply``
tool continues the thread. It goes through codex-core-mcp's client (``open_client``), like any
MCP server. While the call runs, the server streams ``codex/event`` notifications (the
``exec_command_end`` of each command with its exit code, ``token_count``, ``task_complete``);
the turn's result is built from those, the tool's answer gives only the reply.

Approval requests of this server arrive as MCP elicitations, which codex-core-mcp's client does
not take: they are declined by the SDK, so the guardrails never see them. That is why this
backend's default approval policy is ``never`` (the user may choose ``on-request``: escalations
are then refused). Later Codex releases have no ``mcp-server``; use the ``codex`` backend.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import attrs
from codex_core.backend_api import (
    BackendContext,
    CommandExecution,
    FileChange,
    TurnRequest,
    TurnResult,
)

from .home import codex_home, session_environment
from .items import OUTPUT_TAIL_CHARS, TurnLedger, unwrap_shell
from .launch import (
    REASON_AGENT_ERROR,
    REASON_INVALID_CONFIG,
    REASON_SPAWN_FAILED,
    REASON_TIMED_OUT,
    CodexStartError,
    Launch,
    prepare,
    repo_relative,
)
from .stage import CommandStageRunner

TOOL = "codex"
REPLY_TOOL = "codex-reply"


class CodexMcpBackend(CommandStageRunner):
    """Entry point ``codex-mcp`` in ``codex_core.backends``."""

    name = "codex-mcp"

    def session(self, ctx: BackendContext) -> Any:
        return open_mcp_tool(ctx)


@asynccontextmanager
async def open_mcp_tool(ctx: BackendContext) -> AsyncIterator[McpToolSession]:
    from codex_core_mcp import McpServerError, ServerSpec, open_client

    launch = await prepare(ctx, "codex-mcp")
    settings = launch.settings
    with codex_home(settings.home, settings.config) as (home, overrides):
        spec = ServerSpec.stdio(
            "codex", [*launch.binary.argv, "mcp-server", *launch.strict(), *overrides],
            cwd=ctx.repo, session_timeout=settings.turn_timeout, log_level=None,
        )  # fmt: skip
        session = McpToolSession(ctx, launch)
        async with AsyncExitStack() as stack:
            try:
                client = await stack.enter_async_context(
                    open_client(
                        spec, env=session_environment(ctx.env, home),
                        on_notification=session.on_notification,
                        on_stderr=lambda line: ctx.log(f"codex: {line.rstrip()}\n"),
                    )
                )  # fmt: skip
                tools = {t.name: t for t in await client.list_tools()}
            except McpServerError as exc:
                raise CodexStartError(
                    f"codex mcp-server did not start: {exc}", REASON_SPAWN_FAILED, exc.details
                ) from None
            if TOOL not in tools:
                raise CodexStartError(
                    f"codex mcp-server of {launch.caps.version_line} has no {TOOL!r} tool "
                    f"(it has: {', '.join(sorted(tools))})",
                    REASON_INVALID_CONFIG,
                )
            session.client = client
            session.schema = dict(tools[TOOL].input_schema or {})
            ctx.log(f"codex: mcp-server tools {', '.join(sorted(tools))} (sha256 {client.tools_sha256})\n")  # fmt: skip
            yield session


class McpToolSession:
    def __init__(self, ctx: BackendContext, launch: Launch) -> None:
        self.ctx = ctx
        self.launch = launch
        self.client: Any = None
        self.schema: dict[str, Any] = {}
        self.thread_id: str | None = None
        self.ledger: TurnLedger | None = None
        self.usage_total: dict[str, int] = {}
        self.completed = False
        self.turns = 0

    def _tool_refuses(self, sandbox: str, approval: str) -> str | None:
        """What the installed tool's own inputSchema says about these values."""
        props = self.schema.get("properties", {})
        for key, value in (("sandbox", sandbox), ("approval-policy", approval)):
            allowed = props.get(key, {}).get("enum")
            if allowed and value not in allowed:
                return f"the {TOOL} tool of {self.launch.caps.version_line} does not accept {key} {value!r} (it accepts: {', '.join(allowed)})"  # fmt: skip
        return None

    async def turn(self, request: TurnRequest) -> TurnResult:
        from codex_core_mcp import McpServerError, McpTimeoutError

        settings = self.launch.settings
        sandbox = settings.sandbox_for(request.sandbox)
        approval = settings.approval_for(request.approval_policy, "codex-mcp")
        refused = self.launch.refuse(sandbox, approval)
        if refused is not None:
            return refused
        problem = self._tool_refuses(sandbox, approval)
        model = request.model or settings.model
        details = self.launch.details(sandbox=sandbox, approval_policy=approval, model=model)
        if problem is not None:
            return TurnResult(status="failed", error=problem, reason=REASON_INVALID_CONFIG, details=details)  # fmt: skip
        self.turns += 1
        self.ledger = ledger = TurnLedger()
        self.completed = False
        before = dict(self.usage_total)
        tool, arguments = self._call(request, sandbox, approval, model)
        timeout = request.timeout_seconds or settings.turn_timeout
        try:
            result = await self.client.call_tool(tool, arguments, timeout=timeout)
        except McpTimeoutError as exc:
            answer = ledger.result("interrupted", error=str(exc), details=details)
            return attrs.evolve(answer, reason=REASON_TIMED_OUT)
        except McpServerError as exc:
            answer = ledger.result("failed", error=str(exc), details={**details, **exc.details})
            return attrs.evolve(answer, reason=REASON_AGENT_ERROR)
        finally:
            self.ledger = None
        structured = result.structured_content or {}
        self.thread_id = structured.get("threadId") or self.thread_id
        reply = structured.get("content") or result.text
        if reply and (not ledger.messages or ledger.messages[-1] != reply):
            ledger.messages.append(reply)
        ledger.usage = {k: v - before.get(k, 0) for k, v in self.usage_total.items()}
        details = {**details, "thread_id": self.thread_id, "turn": self.turns}
        self.ctx.event("codex-turn", backend="codex-mcp", thread_id=self.thread_id, status="completed" if self.completed else "failed", usage=ledger.usage)  # fmt: skip
        return ledger.result("completed" if self.completed else "failed", details=details)

    def _call(
        self, request: TurnRequest, sandbox: str, approval: str, model: str | None
    ) -> tuple[str, dict[str, Any]]:
        if self.thread_id is not None:
            return REPLY_TOOL, {"threadId": self.thread_id, "prompt": request.prompt}
        props = self.schema.get("properties", {})
        arguments: dict[str, Any] = {
            "prompt": request.prompt, "sandbox": sandbox, "approval-policy": approval,
            "cwd": os.fspath(request.cwd),
        }  # fmt: skip
        if model:
            arguments["model"] = model
        if request.instructions:
            key = "developer-instructions" if "developer-instructions" in props else None
            if key:
                arguments[key] = request.instructions
            else:
                arguments["prompt"] = f"{request.instructions}\n\n{request.prompt}"
        return TOOL, arguments

    def on_notification(self, note: Any) -> None:
        if note.method != "codex/event":
            return
        msg = (note.params or {}).get("msg") or {}
        kind, ledger = msg.get("type"), self.ledger
        if kind == "token_count":
            total = ((msg.get("info") or {}).get("total_token_usage")) or {}
            self.usage_total = {k: v for k, v in total.items() if isinstance(v, int)}
        elif kind == "task_complete":
            self.completed = True
        elif ledger is None:
            return
        elif kind == "exec_command_begin":
            command = unwrap_shell(msg.get("command") or "")
            ledger.add_started_command(str(msg.get("call_id")), CommandExecution(command, None))
        elif kind == "exec_command_end":
            code = msg.get("exit_code")
            command = unwrap_shell(msg.get("command") or "")
            output = str(msg.get("aggregated_output") or "")[-OUTPUT_TAIL_CHARS:]
            status = "completed" if code == 0 else "failed"
            ledger.add_command(
                str(msg.get("call_id")), CommandExecution(command, code, status, output)
            )
            newline = "" if not output or output.endswith("\n") else "\n"
            self.ctx.log(f"$ {command}\n{output}{newline}[{status}, exit {code}]\n")
            self.ctx.event("codex-item", backend="codex-mcp", type="exec_command_end", item_id=msg.get("call_id"), command=command, exit_code=code, status=status)  # fmt: skip
        elif kind == "patch_apply_end":
            changes = tuple(
                FileChange(path=repo_relative(str(path), self.ctx.repo))
                for path in (msg.get("changes") or {})
            )
            status = "completed" if msg.get("success") else "failed"
            ledger.add_file_change(str(msg.get("call_id")), changes, status)
            self.ctx.event("codex-item", backend="codex-mcp", type="patch_apply_end", files=[c.path for c in changes], status=status)  # fmt: skip
        elif kind == "agent_message":
            ledger.messages.append(str(msg.get("message") or ""))
        elif kind in ("error", "stream_error"):
            ledger.errors.append(str(msg.get("message") or msg))
            self.ctx.log(f"codex {kind}: {msg.get('message')}\n")
        elif kind in ("exec_approval_request", "apply_patch_approval_request"):
            self.ctx.log(f"codex asked for approval ({kind}); this backend cannot answer, it is declined\n")  # fmt: skip
