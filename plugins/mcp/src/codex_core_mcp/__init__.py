"""codex-core-mcp: MCP client transports (stdio, streamable HTTP) on the ``mcp`` SDK under trio,
the client API other plugins use, and the ``mcp`` stage kind.

Importing this package is cheap: the names below are loaded on first use (the ``mcp`` SDK costs
over a second to import, and plan-time checks must not pay for it). See ``docs/mcp.md``.
"""

from __future__ import annotations

from typing import Any

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


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'codex_core_mcp' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
