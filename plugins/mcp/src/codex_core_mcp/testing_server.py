"""A tiny MCP server for :func:`codex_core_mcp.testing.check_transport`, written with the SDK's
``MCPServer``::

    python -m codex_core_mcp.testing_server               serve on stdio
    python -m codex_core_mcp.testing_server --http PORT   serve streamable HTTP on 127.0.0.1:PORT

Its tools:

- ``echo(text)``: returns ``text`` unchanged;
- ``spawn_child()``: starts a child process (in the server's process group) that sleeps for five
  minutes and outlives the server unless its transport stops the whole group; returns its pid.

On stdio it exits once its stdin is closed, as MCP asks of a stdio server.
"""

from __future__ import annotations

import subprocess
import sys

from mcp.server.mcpserver import MCPServer

SERVER_NAME = "codex-core-testing-server"
#: the tools this server offers, sorted
TOOLS = ("echo", "spawn_child")

server = MCPServer(SERVER_NAME, version="1.0")
_children: list[subprocess.Popen[bytes]] = []  # kept: they are meant to outlive the server


@server.tool()
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


@server.tool()
def spawn_child() -> str:
    """Start a child process that sleeps for five minutes, in this server's process group; return
    its pid. Only a transport that stops the server's whole process group stops it."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(300)"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _children.append(child)
    return str(child.pid)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--http"] and len(args) == 2:
        server.run("streamable-http", host="127.0.0.1", port=int(args[1]))
    elif not args:
        server.run()
    else:
        sys.exit("usage: python -m codex_core_mcp.testing_server [--http PORT]")


if __name__ == "__main__":
    main()
