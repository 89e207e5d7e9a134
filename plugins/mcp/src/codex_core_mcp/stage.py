"""The ``mcp`` stage kind: call one tool of a configured MCP server.

::

    [mcp.servers.demo]
    command = ["python", "tools/server.py"]

    [pipelines.check]
    stages = [{ id = "lint-api", kind = "mcp", server = "demo", tool = "lint",
                arguments = { path = "api/" }, call_timeout = 120 }]

Options: ``server`` and ``tool`` (required), ``arguments`` (a table, default empty),
``call_timeout`` (seconds; the call's deadline, moved on by each progress notification; default the
server's ``call_timeout``, else its ``session_timeout``), ``reset_on_progress`` (default true).
The kernel's own ``timeout`` key stays what it is for every stage: a hard deadline for the whole
stage, progress or not.

What a run records: the tool's text content in the stage's log (with the server's stderr, its log
messages and its progress); ``mcp_tools_sha256`` and ``mcp_tools`` (the tool names) in the stage's
manifest record, so a tool set that changed between runs shows; every notification the server
sends as an ``mcp-notification`` event in ``events.jsonl``; and, when the stage fails, an error
artifact whose reason is ``tool-invocation-error`` (an error answer, an ``isError`` result, a server
that died or could not be reached), ``malformed-tool-response``, ``timed-out``, ``spawn-failed``,
``unknown-tool``, ``invalid-tool-arguments`` or ``policy-denied`` (a guardrail vetoed starting the
server or calling the tool).
"""

from __future__ import annotations

import json
import shlex
from typing import Any

import attrs
from codex_core.errors import ConfigError
from codex_core.hookspecs import Action
from codex_core.pipeline import StageSpec
from codex_core.stage_api import StageContext, StageOutcome

from .errors import REASON_INVALID_TOOL_ARGUMENTS, REASON_UNKNOWN_TOOL, McpServerError
from .spec import BUILTIN_TRANSPORTS, ServerSpec, servers_from_config

_OPTIONS = {"server", "tool", "arguments", "call_timeout", "reset_on_progress"}
_SUMMARY_CHARS = 200
REASON_POLICY_DENIED = "policy-denied"


@attrs.frozen
class McpStageOptions:
    server: str
    tool: str
    arguments: dict[str, Any]
    call_timeout: float | None
    reset_on_progress: bool


def stage_options(spec: StageSpec) -> McpStageOptions:
    """The ``mcp`` stage's own keys, checked. A ConfigError names the key; the kernel adds the
    pipeline and the stage."""
    if spec.command is not None:
        raise ConfigError("an mcp stage takes no 'command' (it calls 'tool' on 'server')")
    if spec.pipeline is not None:
        raise ConfigError("an mcp stage takes no 'pipeline'")
    options = spec.options
    unknown = set(options) - _OPTIONS
    if unknown:
        raise ConfigError(
            f"unknown key(s) for an mcp stage: {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(_OPTIONS))})"
        )
    for key in ("server", "tool"):
        value = options.get(key)
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{key}: an mcp stage needs '{key}' (a name), got {value!r}")
    arguments = options.get("arguments", {})
    if not isinstance(arguments, dict):
        raise ConfigError(f"arguments: expected a table, got {arguments!r}")
    call_timeout = options.get("call_timeout")
    if call_timeout is not None and (
        isinstance(call_timeout, bool)
        or not isinstance(call_timeout, int | float)
        or call_timeout <= 0
    ):
        raise ConfigError(
            f"call_timeout: expected a positive number of seconds, got {call_timeout!r}"
        )
    reset = options.get("reset_on_progress", True)
    if not isinstance(reset, bool):
        raise ConfigError(f"reset_on_progress: expected true or false, got {reset!r}")
    return McpStageOptions(
        server=options["server"],
        tool=options["tool"],
        arguments=dict(arguments),
        call_timeout=float(call_timeout) if call_timeout is not None else None,
        reset_on_progress=reset,
    )


def server_for(options: McpStageOptions, config: Any) -> ServerSpec:
    """The server the stage names, from the repo's ``[mcp.servers]``."""
    servers = servers_from_config(config)
    if options.server not in servers:
        known = ", ".join(sorted(servers)) or "none"
        raise ConfigError(
            f"server: no MCP server named {options.server!r} is configured "
            f"(configured: {known}; add [mcp.servers.{options.server}])"
        )
    return servers[options.server]


class McpStage:
    """Entry point ``mcp`` in ``codex_core.stages``."""

    def validate(self, spec: StageSpec, kernel: Any = None) -> None:
        """Plan time: the options, and that ``server`` names a configured server.

        The config is the planning kernel's (the kernel passes itself to a ``validate`` that
        takes it); called with the spec alone, it is the one the latest pipeline lookup saw
        (:mod:`codex_core_mcp.plugin`), and without either only the options are checked here
        (``run`` then finds an unknown server).
        """
        from .plugin import remembered_config

        options = stage_options(spec)
        config = kernel.config if kernel is not None else remembered_config()
        if config is None:
            return
        server = server_for(options, config)
        if server.transport not in BUILTIN_TRANSPORTS:
            from codex_core.discovery import installed

            names = {info.name for info in installed(["codex_core.transports"])}
            if server.transport not in names:
                raise ConfigError(
                    f"server: MCP server {server.name!r} uses transport "
                    f"{server.transport!r}, which no installed plugin provides"
                )

    async def run(self, ctx: StageContext) -> StageOutcome:
        options = stage_options(ctx.spec)
        server = server_for(options, ctx.config)
        if server.transport == "stdio" and server.cwd is None:
            server = attrs.evolve(server, cwd=ctx.cwd)
        return await _StageRun(ctx, server, options).run()


class _StageRun:
    """One run of an ``mcp`` stage: the session, and what it logs, records and reports."""

    def __init__(self, ctx: StageContext, server: ServerSpec, options: McpStageOptions) -> None:
        self.ctx = ctx
        self.server = server
        self.options = options
        #: fields for the stage's manifest record, filled in as they become known
        self.record: dict[str, Any] = {
            "mcp_server": server.name,
            "mcp_tool": options.tool,
            "mcp_transport": server.transport,
        }

    async def run(self) -> StageOutcome:
        server = self.server
        if server.transport == "stdio":
            denied = self.vote("command", shlex.join(server.command))
            if denied is not None:
                return denied
        self.ctx.log(f"mcp: server {server.name} ({server.describe()}), tool {self.options.tool}\n")
        try:
            outcome = await self.session()
        except McpServerError as exc:
            refused = getattr(getattr(exc, "result", None), "text", "")
            if refused:
                self.ctx.log(refused.rstrip("\n") + "\n")
            self.ctx.log(f"mcp: {exc.reason}: {exc.message}\n")
            return self.failed(exc.reason, _first_line(exc.message), exc.details)
        if isinstance(outcome, StageOutcome):
            return outcome
        text = outcome.text
        if text:
            self.ctx.log(text.rstrip("\n") + "\n")
        elif outcome.structured_content is not None:
            self.ctx.log(json.dumps(outcome.structured_content, indent=2, default=str) + "\n")
        self.record["mcp_elapsed_seconds"] = outcome.elapsed_seconds
        self.record["mcp_progress_notifications"] = outcome.progress_notifications
        summary = _first_line(text) if text.strip() else "ok"
        return StageOutcome(
            "succeeded", summary=f"{self.options.tool}: {summary}", record=self.record
        )

    async def session(self) -> Any:
        """Connect, list the tools, check the call, make it: the ToolResult, or a failed outcome."""
        from .client import open_client
        from .tools import argument_problems

        server, options, record = self.server, self.options, self.record
        async with open_client(
            server,
            on_notification=self.on_notification,
            on_stderr=lambda line: self.ctx.log(f"[{server.name} stderr] {line}\n"),
            env=self.ctx.env,
            kernel=self.ctx.kernel,
        ) as client:
            self.event(
                "mcp-session-opened", server=server.name, transport=server.transport,
                pid=client.pid, protocol_version=client.protocol_version,
                server_info=client.server_info,
            )  # fmt: skip
            record["mcp_protocol_version"] = client.protocol_version
            tools = await client.list_tools()
            record["mcp_tools_sha256"] = client.tools_sha256
            record["mcp_tools"] = sorted(t.name for t in tools)
            self.ctx.log(f"tools/list: {len(tools)} tool(s), sha256 {client.tools_sha256}\n")
            tool = next((t for t in tools if t.name == options.tool), None)
            if tool is None:
                return self.failed(
                    REASON_UNKNOWN_TOOL,
                    f"MCP server {server.name!r} has no tool {options.tool!r}",
                    {"tools": record["mcp_tools"]},
                )
            problems = argument_problems(tool.input_schema, options.arguments)
            if problems:
                self.ctx.log("".join(f"invalid argument: {p}\n" for p in problems))
                return self.failed(
                    REASON_INVALID_TOOL_ARGUMENTS,
                    f"arguments do not fit tool {options.tool!r}: {problems[0]}",
                    {"problems": problems, "input_schema": tool.input_schema},
                )
            denied = self.vote(
                "mcp-tool-call", f"{server.name}/{options.tool}",
                tool=options.tool, arguments=options.arguments,
            )  # fmt: skip
            if denied is not None:
                return denied
            return await client.call_tool(
                options.tool,
                options.arguments,
                timeout=options.call_timeout,
                reset_on_progress=options.reset_on_progress,
                on_progress=self.on_progress,
            )

    def on_notification(self, note: Any) -> None:
        self.event("mcp-notification", server=note.server, method=note.method, params=note.params)
        if note.method == "notifications/message" and note.params:
            data = note.params.get("data")
            text = data if isinstance(data, str) else json.dumps(data, default=str)
            self.ctx.log(f"[{note.server} log {note.params.get('level', '?')}] {text}\n")

    def on_progress(self, value: float, total: float | None, message: str | None) -> None:
        amount = f"{value:g}/{total:g}" if total is not None else f"{value:g}"
        suffix = f" {message}" if message else ""
        self.ctx.log(f"[{self.server.name} progress] {amount}{suffix}\n")

    def event(self, name: str, **fields: Any) -> None:
        if self.ctx.event is not None:
            self.ctx.event(name, **fields)

    def failed(self, reason: str, summary: str, details: dict[str, Any]) -> StageOutcome:
        return StageOutcome(
            "failed",
            summary=summary,
            reason=reason,
            details={"server": self.server.name, "tool": self.options.tool, **details},
            record=self.record,
        )

    def vote(self, kind: str, command: str, **details: Any) -> StageOutcome | None:
        """Ask the guardrails about an action; a failed ``policy-denied`` outcome if vetoed."""
        ctx, server = self.ctx, self.server
        action = Action(
            kind=kind,
            repo=ctx.repo,
            run_id=ctx.run_id,
            stage_id=ctx.spec.id,
            command=command,
            cwd=server.cwd,
            details={"mcp_server": server.name, "transport": server.transport, **details},
        )
        vetoes = [
            {"reason": v.reason, "rule": v.rule, "guardrail": v.guardrail}
            for v in ctx.kernel.vote(action)
        ]
        if not vetoes:
            return None
        self.event("guardrail-veto", command=command, kind=kind, vetoes=vetoes)
        ctx.log("".join(f"denied by {v['guardrail']}: {v['reason']}\n" for v in vetoes))
        self.record["vetoes"] = vetoes  # where the kernel puts a shell command's vetoes
        what = "starting the MCP server" if kind == "command" else "the tool call"
        return self.failed(REASON_POLICY_DENIED, f"{what} was denied", {"vetoes": vetoes})


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= _SUMMARY_CHARS else line[: _SUMMARY_CHARS - 3] + "..."
