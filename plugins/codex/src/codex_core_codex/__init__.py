"""codex-core-codex: the Codex CLI as a codex-core backend, and a stage kind that runs through it.

Backends (entry points in ``codex_core.backends``):

- ``codex``: ``codex app-server``, JSON-RPC over stdio; the supported path
  (:mod:`codex_core_codex.appserver`);
- ``codex-exec``: ``codex exec --json``, the fallback (:mod:`codex_core_codex.execjson`);
- ``codex-mcp``: the ``codex`` tool of ``codex mcp-server`` (Codex <= 0.153) through the MCP
  client of codex-core-mcp (:mod:`codex_core_codex.mcp_tool`).

The stage kind ``codex-command`` (:mod:`codex_core_codex.stage`) runs one shell command through
one Codex turn; the hook plugin :mod:`codex_core_codex.doctor` tells ``codex-core doctor`` which
Codex is installed and what it supports. Nothing here imports trio until a session starts.
"""

from __future__ import annotations

from codex_core.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "CodexBackend": "codex_core_codex.appserver",
    "CodexExecBackend": "codex_core_codex.execjson",
    "CodexMcpBackend": "codex_core_codex.mcp_tool",
    "CodexCommandStage": "codex_core_codex.stage",
    "CodexSettings": "codex_core_codex.settings",
    "CodexCapabilities": "codex_core_codex.capabilities",
    "find_binary": "codex_core_codex.binary",
    "probe": "codex_core_codex.capabilities",
    "backend_context": "codex_core_codex.context",
}

__all__ = ["__version__", *sorted(_EXPORTS)]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
