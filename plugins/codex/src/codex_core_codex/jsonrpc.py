"""JSON-RPC over JSON lines, in the Codex app-server's dialect (no ``"jsonrpc"`` field).

Both sides send requests: the client asks ``thread/start``, ``turn/start``...; the server asks
for approvals (``item/commandExecution/requestApproval``). :class:`JsonRpcPeer` reads messages in
order and dispatches them in order: a notification goes to a synchronous callback (so state
such as "which items has this turn started" is current before anything else runs), a request
from the server gets its own task whose answer is sent back when it is ready, and a response
wakes the caller that is waiting for it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from .process import LineReader

Notify = Callable[[str, dict[str, Any]], None]
Answer = Callable[[str, dict[str, Any]], Awaitable[Any]]


class RpcError(Exception):
    """The other side answered a request with an error."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        self.method = method
        self.code = error.get("code")
        self.data = error.get("data")
        super().__init__(f"{method}: {error.get('message', error)}")


class ConnectionClosed(Exception):
    """The other side went away (the process exited) before answering."""


class MethodNotFound(Exception):
    """Raised by a request handler for a method it does not serve."""


class _Pending:
    def __init__(self, method: str) -> None:
        self.method = method
        self.done = trio.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class JsonRpcPeer:
    def __init__(
        self,
        send_stream: trio.abc.SendStream,
        receive_stream: trio.abc.ReceiveStream,
        *,
        on_notification: Notify,
        on_request: Answer,
        on_garbage: Callable[[str], None] | None = None,
    ) -> None:
        self._send_stream = send_stream
        self._reader = LineReader(receive_stream)
        self._on_notification = on_notification
        self._on_request = on_request
        self._on_garbage = on_garbage or (lambda line: None)
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._send_lock = trio.Lock()
        self.closed = trio.Event()
        self.close_reason = "the connection closed"

    async def request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Send a request and wait for its result; raises RpcError or ConnectionClosed."""
        if self.closed.is_set():
            raise ConnectionClosed(f"{method}: {self.close_reason}")
        request_id = next(self._ids)
        pending = self._pending[request_id] = _Pending(method)
        message: dict[str, Any] = {"id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        try:
            await self._send(message)
            await pending.done.wait()
        finally:
            self._pending.pop(request_id, None)
        if pending.error is not None:
            raise pending.error
        return pending.result

    async def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        message: dict[str, Any] = {"method": method}
        if params is not None:
            message["params"] = params
        await self._send(message)

    async def _send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode()
        async with self._send_lock:
            try:
                await self._send_stream.send_all(data)
            except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                raise ConnectionClosed(f"cannot send {message.get('method', 'a response')}: {exc}") from None  # fmt: skip

    async def serve(self) -> None:
        """Read and dispatch until the stream ends; then fail whatever still waits."""
        try:
            async with trio.open_nursery() as nursery:
                while (line := await self._reader.next_line()) is not None:
                    self._dispatch(line, nursery)
        finally:
            self.closed.set()
            for pending in list(self._pending.values()):
                pending.error = ConnectionClosed(f"{pending.method}: {self.close_reason}")
                pending.done.set()

    def _dispatch(self, line: bytes, nursery: trio.Nursery) -> None:
        text = line.decode("utf-8", "replace").strip()
        if not text:
            return
        try:
            message = json.loads(text)
        except ValueError:
            self._on_garbage(text)
            return
        if not isinstance(message, dict):
            self._on_garbage(text)
            return
        method = message.get("method")
        if isinstance(method, str) and "id" in message:
            nursery.start_soon(self._answer, message["id"], method, message.get("params") or {})
        elif isinstance(method, str):
            self._on_notification(method, message.get("params") or {})
        elif "id" in message:
            pending = self._pending.get(message["id"])
            if pending is None:
                return
            if "error" in message:
                pending.error = RpcError(pending.method, message["error"] or {})
            else:
                pending.result = message.get("result")
            pending.done.set()
        else:
            self._on_garbage(text)

    async def _answer(self, request_id: Any, method: str, params: dict[str, Any]) -> None:
        try:
            result = await self._on_request(method, params)
        except MethodNotFound:
            reply: dict[str, Any] = {
                "id": request_id,
                "error": {"code": -32601, "message": f"codex-core does not serve {method}"},
            }
        except Exception as exc:  # a broken handler must not leave Codex waiting forever
            reply = {"id": request_id, "error": {"code": -32603, "message": f"{type(exc).__name__}: {exc}"}}  # fmt: skip
        else:
            reply = {"id": request_id, "result": result}
        try:
            await self._send(reply)
        except ConnectionClosed:
            pass
