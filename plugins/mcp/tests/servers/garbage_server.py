"""A hand-written stdio "MCP server" that breaks the protocol in one of three ways.

    python garbage_server.py greeting   write a line that is not JSON-RPC before anything else
    python garbage_server.py call       answer the handshake and tools/list properly, then answer
                                        tools/call with a line that is not JSON-RPC
    python garbage_server.py shape      ... answer tools/call with valid JSON-RPC whose result
                                        is not a CallToolResult (content is not a list)

(An ``MCPServer`` cannot do this: the SDK diverts fd 1 away from the wire while it serves.)
Writes its pid to the file named by ``DEMO_PID_FILE`` first. Never exits on its own.
"""

import json
import os
import signal
import sys
from pathlib import Path

MODE = sys.argv[1] if len(sys.argv) > 1 else "greeting"
TOOL = {
    "name": "broken",
    "description": "Answers with garbage.",
    "inputSchema": {"type": "object", "properties": {}},
}


def send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if os.environ.get("DEMO_PID_FILE"):
    Path(os.environ["DEMO_PID_FILE"]).write_text(f"{os.getpid()}\n")
if MODE == "greeting":
    sys.stdout.write("Hello! Welcome to my server.\n")
    sys.stdout.flush()
for line in sys.stdin:
    request = json.loads(line)
    method, rid = request.get("method"), request.get("id")
    if rid is None:
        continue  # a notification
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": rid, "result": {
            "protocolVersion": "2025-11-25",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "garbage", "version": "0"},
        }})  # fmt: skip
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": rid, "result": {"tools": [TOOL]}})
    elif method == "tools/call" and MODE == "call":
        sys.stdout.write("Traceback (most recent call last): this is not JSON-RPC\n")
        sys.stdout.flush()
    elif method == "tools/call" and MODE == "shape":
        send({"jsonrpc": "2.0", "id": rid, "result": {"content": "not a list"}})
    else:
        send(
            {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "Method not found"}}
        )
while True:  # stdin closed: linger until the client's shutdown kills us
    signal.pause()
