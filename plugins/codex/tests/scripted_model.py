"""A local HTTP server speaking the OpenAI Responses API, with the model's turns scripted.

The hosted model is the one thing these tests replace: Codex itself (the real binary from npm)
talks to this server through a custom model provider in its ``config.toml``
(``base_url = "http://127.0.0.1:PORT/v1"``, ``wire_api = "responses"``). Each
``POST /v1/responses`` takes the next step of the script and answers with the server-sent
events Codex reads: ``response.created``, one ``response.output_item.done`` per output item,
``response.completed`` with token usage. Every request is kept, so a test can check what
Codex sent (the tool call's output in the follow-up request, say).

Steps::

    run("echo hello > hello.txt")   # the model calls Codex's shell tool with this command
    patch(add_file("a.py", "x = 1\n"))  # the model edits files with Codex's apply_patch
    say("done")                     # the model answers with a message
    hold("done")                    # as say, once the test calls release(): a turn in progress

The shell tool's name and arguments follow what Codex offers in the request's ``tools``
(``exec_command {cmd, yield_time_ms}`` in Codex 0.153 and 0.169, ``shell {command: [...]}``
before). ``exec_command`` waits for a command only ``yield_time_ms`` (10 s when the model does not
say; Codex caps it at 30 s) and then leaves it running in the background: ``run`` asks for the
cap, so that a command slowed by a loaded machine still finishes inside its turn, and a test of
that background case passes a short ``yield_ms``.

``patch`` uses Codex's ``apply_patch`` tool when the request offers it: a freeform (``custom``)
tool that Codex 0.169 offers only for models its bundled catalog knows (``gpt-5.5``, say: see
:meth:`ScriptedModel.toml`'s ``model``); for any other model name (``test-model``) it offers no
such tool, and the step runs ``apply_patch`` through the shell tool as a heredoc, which Codex
intercepts and applies itself, the same way. Either way Codex reports a ``fileChange`` item
(and asks for approval, ``item/fileChange/requestApproval``, for a path its sandbox does not let
it write).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs

API_KEY_ENV = "CODEX_CORE_TEST_MODEL_KEY"
PROVIDER = "scripted"
MODEL = "test-model"
#: what every scripted response reports as its usage (so a turn of two responses used 240)
USAGE = {"input_tokens": 100, "output_tokens": 20, "total_tokens": 120}
#: the longest ``exec_command`` waits for a command before backgrounding it (Codex 0.169's cap)
MAX_YIELD_MS = 30_000
#: how long a held answer waits for release() at most (a test that forgets must not hang forever)
HOLD_LIMIT = 600.0


@attrs.frozen
class Step:
    kind: str  # "run", "patch", "say" or "hold"
    text: str
    yield_ms: int = MAX_YIELD_MS


def run(command: str, *, yield_ms: int = MAX_YIELD_MS) -> Step:
    return Step("run", command, yield_ms)


def patch(text: str) -> Step:
    """The model changes files with Codex's ``apply_patch`` (``text``: the patch, as
    :func:`add_file` writes one)."""
    return Step("patch", text)


def add_file(path: str, content: str) -> str:
    """An ``apply_patch`` patch that adds the file ``path`` holding ``content``."""
    lines = "".join(f"+{line}\n" for line in content.splitlines())
    return f"*** Begin Patch\n*** Add File: {path}\n{lines}*** End Patch\n"


def say(text: str) -> Step:
    return Step("say", text)


def hold(text: str) -> Step:
    """Answer ``text``, but only once the test calls :meth:`ScriptedModel.release`."""
    return Step("hold", text)


class ScriptedModel:
    def __init__(self) -> None:
        self.script: list[Step] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.port = 0
        #: set when a held answer is waiting; release() lets it go
        self.holding = threading.Event()
        self._released = threading.Event()

    def reply(self, *steps: Step) -> None:
        """Queue the next responses, in order."""
        with self.lock:
            self.script.extend(steps)

    def release(self) -> None:
        """Let a held answer go (and every later one)."""
        self._released.set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def codex_config(self) -> dict[str, Any]:
        """The ``[codex.config]`` table that points Codex at this server."""
        return {
            "model": MODEL,
            "model_provider": PROVIDER,
            "model_providers": {
                PROVIDER: {
                    "name": "scripted test model",
                    "base_url": self.base_url,
                    "wire_api": "responses",
                    "env_key": API_KEY_ENV,
                    "request_max_retries": 0,
                    "stream_max_retries": 0,
                }
            },
        }

    def toml(self, model: str = MODEL) -> str:
        """``codex-core.toml`` lines for :meth:`codex_config` (``model``: the name Codex is told,
        which decides the tools it offers)."""
        return (
            "[codex.config]\n"
            f'model = "{model}"\n'
            f'model_provider = "{PROVIDER}"\n'
            f"[codex.config.model_providers.{PROVIDER}]\n"
            'name = "scripted test model"\n'
            f'base_url = "{self.base_url}"\n'
            'wire_api = "responses"\n'
            f'env_key = "{API_KEY_ENV}"\n'
            "request_max_retries = 0\n"
            "stream_max_retries = 0\n"
        )

    # -- serving -----------------------------------------------------------------------------

    def respond(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        with self.lock:
            number = len(self.requests) + 1
            self.requests.append(body)
            step = self.script.pop(0) if self.script else say("(the script has no more turns)")
        if step.kind == "hold":
            self.holding.set()
            self._released.wait(HOLD_LIMIT)
        item = self._item(step, body, number)
        response = {"id": f"resp_{number}", "object": "response", "model": body.get("model")}
        usage = {
            **USAGE,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        }
        return [
            {"type": "response.created", "response": response},
            {"type": "response.output_item.added", "output_index": 0, "item": item},
            {"type": "response.output_item.done", "output_index": 0, "item": item},
            {"type": "response.completed", "response": {**response, "usage": usage}},
        ]

    def _item(self, step: Step, body: dict[str, Any], number: int) -> dict[str, Any]:
        if step.kind in ("say", "hold"):
            return {
                "type": "message",
                "id": f"msg_{number}",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": step.text, "annotations": []}],
            }
        tools = {t.get("name"): t.get("type") for t in body.get("tools") or ()}
        if step.kind == "patch" and tools.get("apply_patch") == "custom":
            return {
                "type": "custom_tool_call", "id": f"ctc_{number}", "call_id": f"call_{number}",
                "name": "apply_patch", "input": step.text, "status": "completed",
            }  # fmt: skip
        command = f"apply_patch <<'PATCH'\n{step.text}PATCH" if step.kind == "patch" else step.text
        if "exec_command" in tools or not tools:
            name, arguments = "exec_command", {"cmd": command, "yield_time_ms": step.yield_ms}
        elif "shell_command" in tools:
            name, arguments = "shell_command", {"command": command}
        else:
            name, arguments = "shell", {"command": ["bash", "-lc", command]}
        return {
            "type": "function_call",
            "id": f"fc_{number}",
            "call_id": f"call_{number}",
            "name": name,
            "arguments": json.dumps(arguments),
            "status": "completed",
        }

    def tool_outputs(self) -> list[str]:
        """The outputs of tool calls Codex sent back to the model, in order."""
        return [
            str(item.get("output"))
            for body in self.requests
            for item in body.get("input") or ()
            if isinstance(item, dict)
            and item.get("type") in ("function_call_output", "custom_tool_call_output")
        ]


@contextmanager
def serve_model() -> Iterator[ScriptedModel]:
    model = ScriptedModel()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not self.path.rstrip("/").endswith("/responses"):
                self._send(404, b'{"error": {"message": "only /v1/responses is scripted"}}')
                return
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                self._send(400, b'{"error": {"message": "not JSON"}}')
                return
            events = model.respond(body)
            data = b"".join(
                f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events
            )
            self._send(200, data, "text/event-stream")

        def do_GET(self) -> None:
            self._send(404, b'{"error": {"message": "not scripted"}}')

        def _send(self, status: int, data: bytes, kind: str = "application/json") -> None:
            try:
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # Codex went away (a killed run): nobody to answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    model.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="scripted-model", daemon=True)
    thread.start()
    try:
        yield model
    finally:
        model.release()  # a held answer must not keep the server from shutting down
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
