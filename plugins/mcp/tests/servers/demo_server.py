"""A real MCP server for codex-core-mcp's tests, written with the SDK's ``MCPServer``.

    python demo_server.py               serve on stdio
    python demo_server.py --http PORT   serve streamable HTTP on 127.0.0.1:PORT

Environment: ``DEMO_TOOLSET=2`` offers another tool set (one tool more, one reworded), so the
tools hash must change. ``DEMO_PID_FILE``: the ``hang`` tool writes "<server pid> <child pid>"
there before it blocks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import mcp.types as types
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

TOOLSET = os.environ.get("DEMO_TOOLSET", "1")
server = MCPServer("codex-core-test-demo", version="1.0")


if TOOLSET == "2":

    @server.tool()
    def echo(text: str) -> str:
        """Return the text unchanged (second edition)."""
        return text

    @server.tool()
    def extra(n: int) -> int:
        """A tool only the second tool set has."""
        return n * 2

else:

    @server.tool()
    def echo(text: str) -> str:
        """Return the text unchanged."""
        return text


@server.tool()
async def progress(steps: int, interval: float, ctx: Context) -> str:
    """Report progress `steps` times, `interval` seconds apart, then answer."""
    for step in range(1, steps + 1):
        await anyio.sleep(interval)
        await ctx.report_progress(step, steps, f"step {step}")
    return f"done after {steps} steps"


@server.tool()
def fail(why: str = "it broke") -> str:
    """Always fails: the answer is a result with isError set."""
    raise ToolError(why)


@server.tool()
async def chatter(ctx: Context) -> str:
    """Send a log message and a notification the SDK does not know (like codex/event)."""
    await ctx.log("info", "chatter says hello")
    event = types.Notification[dict[str, Any], str](
        method="codex/event",
        params={"msg": {"type": "agent_message", "message": "hi from chatter"}},
    )
    await ctx.session.send_notification(event, related_request_id=ctx.request_id)
    return "chattered"


@server.tool()
def crash(code: int = 3) -> str:
    """Exit the whole server in the middle of the call, without answering."""
    sys.stderr.write("demo server: crashing now\n")
    sys.stderr.flush()
    os._exit(code)


@server.tool()
async def hang() -> str:
    """Never answer, ignore SIGTERM, and leave a child process in the server's process group."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen(["sleep", "300"])
    pid_file = os.environ.get("DEMO_PID_FILE")
    if pid_file:
        Path(pid_file).write_text(f"{os.getpid()} {child.pid}\n")
    # blocks a worker thread the server cannot cancel: closing stdin will not end this process
    await anyio.to_thread.run_sync(time.sleep, 3600)
    return "never"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--http"]:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()
