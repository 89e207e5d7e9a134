"""How an MCP server let us down: one exception type per reason, each carrying that reason.

The reasons are the ones a failed ``mcp`` stage writes into its error artifact, so a caller of the
client API and a reader of ``errors/NN-<stage>.json`` see the same vocabulary:

- ``tool-invocation-error``: the server answered with an error (a JSON-RPC error, or a tool result
  with ``isError``), could not be reached, or went away (crashed, exited) before answering;
- ``malformed-tool-response``: the server wrote something that is not a valid MCP message, or an
  answer that does not have the shape the protocol requires;
- ``timed-out``: no answer within the deadline (a call's deadline moves on with each progress
  notification the server sends for it);
- ``spawn-failed``: the stdio server's command could not be started at all.

Nothing here imports the ``mcp`` SDK: the stage kind and the config code use these names without
paying for it.
"""

from __future__ import annotations

from typing import Any

REASON_TOOL_INVOCATION_ERROR = "tool-invocation-error"
REASON_MALFORMED_TOOL_RESPONSE = "malformed-tool-response"
REASON_TIMED_OUT = "timed-out"
REASON_SPAWN_FAILED = "spawn-failed"
#: used by the ``mcp`` stage kind only: the configured tool is not in the server's ``tools/list``
REASON_UNKNOWN_TOOL = "unknown-tool"
#: used by the ``mcp`` stage kind only: the configured arguments do not fit the tool's inputSchema
REASON_INVALID_TOOL_ARGUMENTS = "invalid-tool-arguments"


class McpServerError(Exception):
    """Base of every failure the client reports; ``reason`` names it, ``details`` say more (JSON)."""

    reason = REASON_TOOL_INVOCATION_ERROR

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})


class ToolInvocationError(McpServerError):
    """The server answered with an error, could not be reached, or died before answering.

    ``result`` is the :class:`~codex_core_mcp.client.ToolResult` when the server answered a tool
    call with ``isError: true``, else None.
    """

    reason = REASON_TOOL_INVOCATION_ERROR

    def __init__(
        self, message: str, *, details: dict[str, Any] | None = None, result: Any = None
    ) -> None:
        super().__init__(message, details=details)
        self.result = result


class MalformedResponseError(McpServerError):
    """The server wrote something that is not a valid MCP message or answer."""

    reason = REASON_MALFORMED_TOOL_RESPONSE


class McpTimeoutError(McpServerError, TimeoutError):
    """No answer within the deadline."""

    reason = REASON_TIMED_OUT


class ServerStartError(McpServerError):
    """The stdio server's command could not be started (not found, not executable, bad cwd)."""

    reason = REASON_SPAWN_FAILED
