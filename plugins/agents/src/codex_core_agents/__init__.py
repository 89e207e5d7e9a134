"""codex-core-agents: the OpenAI Agents SDK as a codex-core backend (entry point ``agents``).

The roles (manager, builder, tester, reviewer) are SDK agents handing off to one another; MCP
servers from ``[mcp.servers]`` are attached with the SDK's own server classes; the SDK's
guardrails ask codex-core's guardrail vote; file edits and shell commands are function tools
confined by the path sandbox. Any OpenAI-compatible endpoint and model (``[agents]``).

Modules: :mod:`.backend` (the protocol), :mod:`.bridge` (asyncio in a worker thread, under trio),
:mod:`.turn` (one turn), :mod:`.team` (the agents), :mod:`.tools`, :mod:`.guardrails`,
:mod:`.mcp_servers`, :mod:`.settings`, :mod:`.scripted` (the test-only scripted-model hook).
This module imports nothing heavy: the SDK is imported when a session runs a turn.
User documentation: ``docs/agents.md``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AgentsBackend"]


def __getattr__(name: str) -> Any:
    if name == "AgentsBackend":
        from .backend import AgentsBackend

        return AgentsBackend
    raise AttributeError(f"module 'codex_core_agents' has no attribute {name!r}")
