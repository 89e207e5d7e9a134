"""MCP servers for the agents: the SDK's own server classes, configured from ``[mcp.servers]``.

The server tables are read by the MCP plugin (:func:`codex_core_mcp.spec.servers_from_config`),
so a server is configured once for every backend::

    [mcp.servers.docs]
    command = ["python", "tools/docs_server.py"]
    env = { DOCS_ROOT = "docs" }

    [mcp.servers.search]
    url = "http://127.0.0.1:8765/mcp"

``stdio`` servers become :class:`agents.mcp.MCPServerStdio` (the server's stderr goes to
``<run dir>/mcp/<name>.stderr.log``), ``http`` ones :class:`agents.mcp.MCPServerStreamableHttp`.
``session_timeout`` (or ``call_timeout`` when set, the smaller of the two) is the SDK's per-request
timeout; ``connect_timeout`` bounds the HTTP connection. Keys only the MCP plugin's own trio
client uses (``protocol``, ``log_level``, ``shutdown_grace``) are ignored here. Other transports
are refused with a clear error. Every tool of every server sits behind the kernel's vote
(:func:`.guardrails.mcp_guardrail`).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TextIO

from agents.mcp import MCPServer, MCPServerStdio, MCPServerStreamableHttp
from codex_core.errors import ConfigError
from codex_core_mcp.spec import ServerSpec, servers_from_config
from mcp.client.stdio import stdio_client

from .guardrails import mcp_guardrail


class _LoggedStdio(MCPServerStdio):
    """``MCPServerStdio`` with the server's stderr in a file instead of the terminal's."""

    def __init__(self, *args: Any, errlog: TextIO, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._errlog = errlog

    def create_streams(self) -> AbstractAsyncContextManager[Any]:
        return stdio_client(self.params, errlog=self._errlog)


def configured_servers(config: Any, selected: tuple[str, ...] | None) -> list[ServerSpec]:
    """The ``[mcp.servers]`` the agents attach: ``selected`` ones (None: all), checked."""
    if config is None:
        return []
    servers = servers_from_config(config)
    if selected is None:
        return list(servers.values())
    missing = [name for name in selected if name not in servers]
    if missing:
        raise ConfigError(
            f"[agents] mcp_servers names unknown server(s) {', '.join(missing)} "
            f"(configured: {', '.join(sorted(servers)) or 'none'})"
        )
    return [servers[name] for name in selected]


def sdk_server(
    spec: ServerSpec, *, env: dict[str, str], repo: Path, errlog: TextIO | None
) -> MCPServer:
    """The SDK server object for ``spec`` (not connected yet)."""
    timeout = min(t for t in (spec.session_timeout, spec.call_timeout) if t is not None)
    guard = [mcp_guardrail(spec.name)]
    if spec.transport == "stdio":
        params: dict[str, Any] = {
            "command": spec.command[0],
            "args": list(spec.command[1:]),
            "env": {**(env if spec.inherit_env else {}), **spec.env},
            "cwd": str(spec.cwd or repo),
        }
        common = dict(
            name=spec.name, client_session_timeout_seconds=timeout, cache_tools_list=True,
            tool_input_guardrails=guard,
        )  # fmt: skip
        if errlog is not None:
            return _LoggedStdio(params, errlog=errlog, **common)  # type: ignore[arg-type]
        return MCPServerStdio(params, **common)  # type: ignore[arg-type]
    if spec.transport == "http":
        return MCPServerStreamableHttp(
            {"url": spec.url or "", "headers": dict(spec.headers), "timeout": spec.connect_timeout},
            name=spec.name, client_session_timeout_seconds=timeout, cache_tools_list=True,
            tool_input_guardrails=guard,
        )  # fmt: skip
    raise ConfigError(
        f"MCP server {spec.name!r}: transport {spec.transport!r} is not supported by the agents "
        "backend (stdio and http are)"
    )
