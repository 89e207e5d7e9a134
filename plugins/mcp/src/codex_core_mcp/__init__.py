"""codex-core-mcp: MCP client transports (stdio, streamable HTTP) on the ``mcp`` SDK under trio,
the client API other plugins use, and the ``mcp`` stage kind.

Importing this package is cheap: the names below are loaded on first use (the ``mcp`` SDK costs
over a second to import, and plan-time checks must not pay for it). See ``docs/mcp.md``.
"""

from __future__ import annotations

from codex_core.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "open_client": "codex_core_mcp.client",
    "McpClient": "codex_core_mcp.client",
    "Notification": "codex_core_mcp.client",
    "ToolResult": "codex_core_mcp.client",
    "ServerSpec": "codex_core_mcp.spec",
    "servers_from_config": "codex_core_mcp.spec",
    "server_from_table": "codex_core_mcp.spec",
    "ToolInfo": "codex_core_mcp.tools",
    "tools_sha256": "codex_core_mcp.tools",
    "canonical_tools_json": "codex_core_mcp.tools",
    "argument_problems": "codex_core_mcp.tools",
    "Connection": "codex_core_mcp.transport",
    "Transport": "codex_core_mcp.transport",
    "find_transport": "codex_core_mcp.transport",
    "McpServerError": "codex_core_mcp.errors",
    "ToolInvocationError": "codex_core_mcp.errors",
    "MalformedResponseError": "codex_core_mcp.errors",
    "McpTimeoutError": "codex_core_mcp.errors",
    "ServerStartError": "codex_core_mcp.errors",
}

__all__ = ["__version__", *sorted(_EXPORTS)]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
