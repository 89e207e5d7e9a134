"""A local HTTP server speaking the two OpenAI APIs the agents backend can use (chat completions
and responses), enough for one answer: how a test checks ``[agents] base_url``, ``model`` and
``api_key_env`` reach a real OpenAI client, with no hosted model involved."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

USAGE_CHAT = {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16}
USAGE_RESPONSES = {
    "input_tokens": 11, "output_tokens": 5, "total_tokens": 16,
    "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0},
}  # fmt: skip


def chat_completion(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
        "usage": USAGE_CHAT,
    }  # fmt: skip


def response(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "resp_1", "object": "response", "created_at": 0, "model": model, "status": "completed",
        "output": [{"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                    "content": [{"type": "output_text", "text": text, "annotations": []}]}],
        "parallel_tool_calls": False, "tool_choice": "auto", "tools": [], "usage": USAGE_RESPONSES,
    }  # fmt: skip


class Endpoint:
    def __init__(self, reply: str = "hello from the endpoint") -> None:
        self.reply = reply
        self.requests: list[dict[str, Any]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.requests.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "body": body,
                    }
                )
                model = body.get("model", "")
                if self.path.endswith("/chat/completions"):
                    data = chat_completion(model, endpoint.reply)
                elif self.path.endswith("/responses"):
                    data = response(model, endpoint.reply)
                else:
                    self.send_error(404)
                    return
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> Endpoint:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
