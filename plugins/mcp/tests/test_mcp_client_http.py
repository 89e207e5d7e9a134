"""The client API against the demo MCPServer served over streamable HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import trio
from codex_core_mcp import (
    McpTimeoutError,
    Notification,
    ServerSpec,
    ToolInvocationError,
    open_client,
)
from mcp_test_helpers import DEMO, DEMO_TOOLS, free_port, http_demo_server, python_command

pytestmark = pytest.mark.slow
BOUND = 60


@pytest.fixture(scope="module")
def http_url() -> Iterator[str]:
    with http_demo_server() as url:
        yield url


async def test_http_session(http_url: str) -> None:
    """The demo MCPServer over streamable HTTP (a real server subprocess): tools, calls,
    progress, notifications; the same tools over stdio hash the same."""
    seen: list[Notification] = []
    spec = ServerSpec.http("remote", http_url, headers={"X-Codex-Core-Test": "1"})
    with trio.fail_after(BOUND):
        async with open_client(spec, on_notification=seen.append) as client:
            assert client.pid is None  # not ours to start or stop
            tools = await client.list_tools()
            assert sorted(t.name for t in tools) == DEMO_TOOLS
            assert (await client.call_tool("echo", {"text": "over http"})).text == "over http"
            result = await client.call_tool("progress", {"steps": 4, "interval": 0.5}, timeout=1.0)
            assert result.progress_notifications == 4
            assert (await client.call_tool("chatter")).text == "chattered"
            with pytest.raises(ToolInvocationError):
                await client.call_tool("fail")
            http_hash = client.tools_sha256
    methods = [n.method for n in seen]
    assert methods.count("notifications/progress") == 4
    assert "notifications/message" in methods and "codex/event" in methods

    # the same tools over stdio hash the same: the hash is about the tools, not the transport
    stdio = ServerSpec.stdio("local", python_command(DEMO), shutdown_grace=0.5)
    with trio.fail_after(BOUND):
        async with open_client(stdio) as client:
            await client.list_tools()
            assert client.tools_sha256 == http_hash


async def test_http_call_deadline(http_url: str) -> None:
    """A real HTTP MCP server whose progress is slower than the call deadline: the call times
    out, the session lives on."""
    spec = ServerSpec.http("remote", http_url)
    with trio.fail_after(BOUND):
        async with open_client(spec) as client:
            with pytest.raises(McpTimeoutError) as caught:
                await client.call_tool("progress", {"steps": 3, "interval": 1.5}, timeout=0.8)
            assert (await client.call_tool("echo", {"text": "after"})).text == "after"
    assert caught.value.details["timeout_seconds"] == 0.8


async def test_http_server_unreachable() -> None:
    """An HTTP MCP URL where nothing listens (a real closed port): a tool-invocation error
    naming the connect failure."""
    spec = ServerSpec.http("nowhere", f"http://127.0.0.1:{free_port()}/mcp", connect_timeout=5)
    with trio.fail_after(BOUND), pytest.raises(ToolInvocationError) as caught:
        async with open_client(spec):
            raise AssertionError("nothing listens there")
    assert "ConnectError" in caught.value.message


async def test_http_server_crashing_mid_call() -> None:
    """A real HTTP MCP server process that exits during tools/call: a tool-invocation error, not
    a hang."""
    with http_demo_server() as url:
        spec = ServerSpec.http("remote", url)
        with trio.fail_after(BOUND):
            async with open_client(spec) as client:
                with pytest.raises(ToolInvocationError) as caught:
                    await client.call_tool("crash", {"code": 5}, timeout=20)
    assert caught.value.reason == "tool-invocation-error"
    assert "the connection ended during tools/call 'crash'" in caught.value.message
