"""The MCP client other plugins use: one session with one server, on the ``mcp`` SDK, under trio.

::

    async with open_client(spec, on_notification=record) as client:
        tools = await client.list_tools()            # also sets client.tools_sha256
        result = await client.call_tool("build", {"target": "all"}, timeout=600)
        print(result.text)

Every way a server can let the caller down ends in a :class:`~codex_core_mcp.errors.McpServerError`
carrying its reason, in bounded time, and leaving the ``async with`` stops the server (its whole
process group for a stdio server):

- a JSON-RPC error, an ``isError`` tool result, a server that exits or closes the connection
  mid-request, a server that cannot be reached: ``ToolInvocationError`` (``tool-invocation-error``);
- anything on the wire that is not a valid MCP message, or an answer of the wrong shape:
  ``MalformedResponseError`` (``malformed-tool-response``); the session is unusable afterwards;
- no answer in time: ``McpTimeoutError`` (``timed-out``).

Deadlines. The handshake has ``connect_timeout``. A tool call has its ``timeout`` (default: the
server's ``call_timeout``, else ``session_timeout``), moved on to "now + timeout" whenever the
server sends a progress notification for that call, and never beyond ``session_timeout`` after the
call started; every other request has ``session_timeout``. The SDK's own per-request timeout is
not used: the deadlines are cancel scopes here, so a progress notification can move them.

Notifications. Every notification the server sends (progress, log messages, and methods the SDK
does not know, such as the ``codex/event`` stream of ``codex mcp-server``) is passed, as it
arrives and in order, to ``on_notification`` as a :class:`Notification`. They are taken off the
wire before the SDK looks at them, because the SDK silently drops methods it does not know.
"""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, TypeVar

import anyio
import attrs
import mcp_types
from mcp import Client, MCPError
from pydantic import ValidationError

from .errors import MalformedResponseError, McpServerError, McpTimeoutError, ToolInvocationError
from .spec import ServerSpec
from .tools import ToolInfo, tools_sha256
from .transport import Connection, Transport, find_transport

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
_MAX_PAGES = 100
_EXIT_WAIT = 1.0  # after a connection closes, how long to wait for the server's exit code

NotificationHandler = Callable[["Notification"], Awaitable[None] | None]
ProgressHandler = Callable[[float, float | None, str | None], Awaitable[None] | None]


@attrs.frozen
class Notification:
    """One notification from the server: its JSON-RPC ``method`` and ``params``, as sent."""

    server: str
    method: str
    params: dict[str, Any] | None = None


@attrs.frozen
class ToolResult:
    """What a tool call returned. ``content`` holds the content blocks as JSON objects."""

    tool: str
    is_error: bool
    content: list[dict[str, Any]] = attrs.field(factory=list)
    structured_content: dict[str, Any] | None = None
    elapsed_seconds: float = 0.0
    progress_notifications: int = 0

    @property
    def text(self) -> str:
        """The text blocks of ``content``, joined by newlines."""
        return "\n".join(b["text"] for b in self.content if b.get("type") == "text" and "text" in b)


@asynccontextmanager
async def open_client(
    server: ServerSpec,
    *,
    session_timeout: float | None = None,
    on_notification: NotificationHandler | None = None,
    on_stderr: Callable[[str], None] | None = None,
    env: Mapping[str, str] | None = None,
    transport: Transport | None = None,
    kernel: Any = None,
) -> AsyncIterator[McpClient]:
    """Connect to ``server``, do the MCP handshake, and yield a :class:`McpClient`.

    ``session_timeout`` overrides the spec's. ``env`` is the environment a stdio server starts
    from (default: this process's; the spec's ``env`` goes on top); ``on_stderr`` gets each line
    it writes to stderr. ``transport`` is used as given; else the one named by the spec is
    found (through ``kernel``'s plugin loading when given, then the built-ins, then entry points).
    """
    spec = server
    if session_timeout is not None:
        spec = attrs.evolve(server, session_timeout=float(session_timeout))
    chosen = transport or find_transport(spec.transport, kernel)
    state = _SessionState(spec, on_notification)
    connection: Connection | None = None
    body_error: BaseException | None = None
    try:
        async with AsyncExitStack() as stack:
            state.connect_deadline = anyio.current_time() + spec.connect_timeout
            connection = await stack.enter_async_context(
                chosen.connect(spec, env=env, on_stderr=on_stderr)
            )
            sdk = Client(
                _TeeTransport(connection, state),
                mode=spec.protocol,
                log_level=spec.log_level,  # type: ignore[arg-type]
                read_timeout_seconds=None,  # deadlines are ours (cancel scopes), see above
                cache=None,
                client_info=mcp_types.Implementation(name="codex-core", version=_version()),
            )
            try:
                await stack.enter_async_context(sdk)
            except Exception as exc:
                raise await state.connect_error(exc, connection) from None
            state.connected = True
            try:
                yield McpClient(spec, sdk, connection, state)
            except BaseException as exc:
                body_error = exc
                raise
    except McpServerError:
        raise
    except Exception as exc:
        # The SDK's and the transports' task groups wrap what crosses them (trio's strict
        # exception groups), and a transport that fails (an HTTP connection refused or dropped)
        # does so by crashing its task group, which cancels the caller. Give the caller back the
        # one exception that says what happened.
        if body_error is not None and _contains(exc, body_error):
            raise body_error from None
        leaves = _leaves(exc)
        if not state.connected:
            raise await state.connect_error(exc, connection) from None
        if body_error is None:
            # the caller's work is done; the connection failed while being torn down
            logger.warning("MCP server %r: error while closing: %r", spec.name, leaves)
            return
        raise state.connection_lost(leaves) from None


class McpClient:
    """A live session with one MCP server (from :func:`open_client`)."""

    def __init__(
        self, spec: ServerSpec, sdk: Client, connection: Connection, state: _SessionState
    ) -> None:
        self.server = spec
        self._sdk = sdk
        self._connection = connection
        self._state = state
        #: the last ``tools/list`` answer, and its hash (see :mod:`codex_core_mcp.tools`)
        self.tools: tuple[ToolInfo, ...] | None = None
        self.tools_sha256: str | None = None

    @property
    def sdk(self) -> Client:
        """The ``mcp.Client`` underneath, for what this class does not cover."""
        return self._sdk

    @property
    def pid(self) -> int | None:
        """The server's process id, for a server this client started."""
        process = self._connection.process
        return process.pid if process is not None else None

    @property
    def protocol_version(self) -> str:
        return self._sdk.protocol_version

    @property
    def server_info(self) -> dict[str, Any] | None:
        info = self._sdk.server_info
        return {"name": info.name, "version": info.version} if info is not None else None

    @property
    def notifications_received(self) -> int:
        return self._state.notifications

    async def list_tools(self) -> list[ToolInfo]:
        """Every tool the server offers (all pages); sets :attr:`tools` and :attr:`tools_sha256`."""

        async def send() -> list[mcp_types.Tool]:
            found: list[mcp_types.Tool] = []
            cursor: str | None = None
            for _ in range(_MAX_PAGES):
                page = await self._sdk.list_tools(cursor=cursor)
                found.extend(page.tools)
                cursor = page.next_cursor
                if cursor is None:
                    break
            return found

        timeout = self.server.session_timeout
        scope = anyio.CancelScope(deadline=anyio.current_time() + timeout)
        listed = await self._request(
            "tools/list",
            send,
            scope,
            lambda elapsed: McpTimeoutError(
                f"MCP server {self.server.name!r} did not answer tools/list within {timeout:g}s",
                details={"timeout_seconds": timeout, "elapsed_seconds": round(elapsed, 3)},
            ),
        )
        tools = [
            ToolInfo(
                name=t.name, description=t.description, input_schema=dict(t.input_schema or {})
            )
            for t in listed
        ]
        self.tools = tuple(tools)
        self.tools_sha256 = tools_sha256(tools)
        return tools

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        reset_on_progress: bool = True,
        on_progress: ProgressHandler | None = None,
        raise_on_error: bool = True,
    ) -> ToolResult:
        """Call tool ``name``; its deadline is ``timeout`` seconds after the call or after the
        latest progress notification for it (``reset_on_progress``), and at most the session
        timeout after the call. An ``isError`` result raises ToolInvocationError (carrying the
        result) unless ``raise_on_error`` is False."""
        idle = (
            float(timeout)
            if timeout is not None
            else (self.server.call_timeout or self.server.session_timeout)
        )
        if not idle > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        started = anyio.current_time()
        hard = started + self.server.session_timeout
        scope = anyio.CancelScope(deadline=min(started + idle, hard))
        progress = _ProgressSeen(reset_at=started)

        async def progress_callback(value: float, total: float | None, message: str | None) -> None:
            progress.count += 1
            progress.last = {"progress": value, "total": total, "message": message}
            if reset_on_progress:
                progress.reset_at = anyio.current_time()
                scope.deadline = min(progress.reset_at + idle, hard)
            if on_progress is not None:
                outcome = on_progress(value, total, message)
                if inspect.isawaitable(outcome):
                    await outcome

        def timed_out(elapsed: float) -> McpTimeoutError:
            if hard < progress.reset_at + idle:
                why = f"the session timeout of {self.server.session_timeout:g}s"
            elif progress.count and reset_on_progress:
                why = f"{idle:g}s of its last progress notification"
            else:
                why = f"{idle:g}s"
            return McpTimeoutError(
                f"MCP server {self.server.name!r}: tool {name!r} did not answer within {why}",
                details={
                    "tool": name,
                    "timeout_seconds": idle,
                    "session_timeout_seconds": self.server.session_timeout,
                    "elapsed_seconds": round(elapsed, 3),
                    "progress_notifications": progress.count,
                    "last_progress": progress.last,
                    "reset_on_progress": reset_on_progress,
                },
            )

        raw = await self._request(
            f"tools/call {name!r}",
            lambda: self._sdk.call_tool(
                name, dict(arguments or {}), progress_callback=progress_callback
            ),
            scope,
            timed_out,
        )
        result = ToolResult(
            tool=name,
            is_error=bool(raw.is_error),
            content=[
                block.model_dump(by_alias=True, mode="json", exclude_none=True)
                for block in raw.content
            ],
            structured_content=raw.structured_content,
            elapsed_seconds=round(anyio.current_time() - started, 3),
            progress_notifications=progress.count,
        )
        if result.is_error and raise_on_error:
            text = result.text.strip()
            raise ToolInvocationError(
                f"tool {name!r} of MCP server {self.server.name!r} reported an error"
                + (f": {text.splitlines()[0][:300]}" if text else ""),
                details={"tool": name, "is_error": True, "content": result.content},
                result=result,
            )
        return result

    async def _request(
        self,
        what: str,
        send: Callable[[], Awaitable[_T]],
        scope: anyio.CancelScope,
        timed_out: Callable[[float], McpTimeoutError],
    ) -> _T:
        state = self._state
        if state.fault is not None:
            raise state.malformed(what, self._connection)
        started = anyio.current_time()
        done = False
        try:
            with scope:
                value = await send()
                done = True
        except MCPError as exc:
            raise await state.mcp_error(exc, what, self._connection) from None
        except ValidationError as exc:
            raise _wrong_shape(state.spec, what, exc) from None
        except RuntimeError as exc:
            # the SDK checks structuredContent against the tool's outputSchema this way
            if "structured content" not in str(exc) and "Invalid schema" not in str(exc):
                raise
            raise MalformedResponseError(
                f"MCP server {state.spec.name!r} answered {what} wrongly: {exc}",
                details={"problem": str(exc)},
            ) from None
        if done:
            return value
        if state.fault is not None:
            raise state.malformed(what, self._connection)
        raise timed_out(anyio.current_time() - started)


@attrs.define
class _ProgressSeen:
    reset_at: float
    count: int = 0
    last: dict[str, Any] | None = None


class _SessionState:
    """What the wire tap and the client share: the connect deadline, a fault, notifications."""

    def __init__(self, spec: ServerSpec, on_notification: NotificationHandler | None) -> None:
        self.spec = spec
        self.on_notification = on_notification
        self.connected = False
        self.connect_deadline = math.inf
        self.connect_timed_out = False
        self.fault: Exception | None = None
        self.notifications = 0

    async def notify(self, method: str, params: Mapping[str, Any] | None) -> None:
        self.notifications += 1
        if self.on_notification is None:
            return
        try:
            outcome = self.on_notification(
                Notification(self.spec.name, method, dict(params) if params is not None else None)
            )
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:  # a broken observer must not break the session
            logger.exception("MCP server %r: on_notification raised", self.spec.name)

    def malformed(self, what: str, connection: Connection | None) -> MalformedResponseError:
        fault = self.fault
        details: dict[str, Any] = {"problem": str(fault)}
        excerpt = getattr(fault, "excerpt", None)
        if excerpt is not None:
            details["line_excerpt"] = excerpt
        if connection is not None and connection.process is not None:
            details["stderr_tail"] = connection.process.stderr_tail()
        return MalformedResponseError(
            f"MCP server {self.spec.name!r} sent something that is not a valid MCP message "
            f"(during {what}): {fault}",
            details=details,
        )

    async def mcp_error(
        self, exc: MCPError, what: str, connection: Connection | None
    ) -> McpServerError:
        if self.fault is not None:
            return self.malformed(what, connection)
        if exc.code == mcp_types.CONNECTION_CLOSED:
            return await self.closed(what, connection, exc.message)
        details = {"error_code": exc.code, "error_message": exc.message, "error_data": exc.data}
        if exc.code == mcp_types.REQUEST_TIMEOUT:
            return McpTimeoutError(
                f"MCP server {self.spec.name!r}: {what} timed out ({exc.message})", details=details
            )
        return ToolInvocationError(
            f"MCP server {self.spec.name!r} answered {what} with error {exc.code}: {exc.message}",
            details=details,
        )

    async def closed(
        self, what: str, connection: Connection | None, message: str
    ) -> ToolInvocationError:
        process = connection.process if connection is not None else None
        if process is None:
            failure = await _failure_of(connection)
            cause = _describe(failure) if failure is not None else message
            return ToolInvocationError(
                f"MCP server {self.spec.name!r} ({self.spec.describe()}): the connection ended "
                f"during {what}: {cause}",
                details={"error": cause},
            )
        code = await process.wait_exit(_EXIT_WAIT)
        details = {"pid": process.pid, "exit_code": code, "stderr_tail": process.stderr_tail()}
        if code is None:
            how = "closed its stdout"
        elif code < 0:
            how = f"was killed by signal {-code}"
        else:
            how = f"exited with code {code}"
        return ToolInvocationError(
            f"MCP server {self.spec.name!r} {how} during {what}", details=details
        )

    def connection_lost(self, leaves: list[BaseException]) -> ToolInvocationError:
        first = leaves[0]
        return ToolInvocationError(
            f"MCP server {self.spec.name!r} ({self.spec.describe()}): the connection failed: "
            f"{type(first).__name__}: {first}",
            details={"error": f"{type(first).__name__}: {first}"},
        )

    async def connect_error(self, exc: Exception, connection: Connection | None) -> McpServerError:
        """What a failed handshake means (the SDK's Client has already unwound itself)."""
        what = "the MCP handshake"
        if self.fault is not None:
            return self.malformed(what, connection)
        if self.connect_timed_out:
            details: dict[str, Any] = {"connect_timeout_seconds": self.spec.connect_timeout}
            if connection is not None and connection.process is not None:
                details.update(
                    pid=connection.process.pid, stderr_tail=connection.process.stderr_tail()
                )
            return McpTimeoutError(
                f"MCP server {self.spec.name!r} did not complete the handshake within "
                f"{self.spec.connect_timeout:g}s",
                details=details,
            )
        leaves = _leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc]
        for leaf in leaves:
            if isinstance(leaf, McpServerError):
                return leaf
            if isinstance(leaf, MCPError):
                return await self.mcp_error(leaf, what, connection)
            if isinstance(leaf, ValidationError):
                return _wrong_shape(self.spec, what, leaf)
        first = leaves[0] if leaves else exc
        return ToolInvocationError(
            f"MCP server {self.spec.name!r} ({self.spec.describe()}) could not be reached: "
            f"{type(first).__name__}: {first}",
            details={"error": f"{type(first).__name__}: {first}"},
        )


class _TeeTransport:
    """What the SDK's Client enters: the connection's streams, the read side tapped."""

    def __init__(self, connection: Connection, state: _SessionState) -> None:
        self._connection = connection
        self._state = state

    async def __aenter__(self) -> tuple[Any, Any]:
        read = _TappedReadStream(self._connection.read_stream, self._state)
        return read, self._connection.write_stream

    async def __aexit__(self, *exc_info: Any) -> None:
        return None  # the connection belongs to open_client's exit stack


class _TappedReadStream:
    """The read side of the connection, as the SDK's dispatcher sees it.

    Passes every notification to the session's observer before the SDK sees it; ends the stream
    (which fails every pending request with "connection closed") on the first thing that is not a
    valid message, and when the handshake overruns ``connect_timeout``.
    """

    def __init__(self, inner: Any, state: _SessionState) -> None:
        self._inner = inner
        self._state = state
        self._ended = False

    @property
    def last_context(self) -> Any:
        # the streamable HTTP transport's streams carry the sender's context; pass it through
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> Any:
        if self._ended:
            raise anyio.EndOfStream
        state = self._state
        while True:
            deadline = math.inf if state.connected else state.connect_deadline
            with anyio.CancelScope(deadline=deadline) as scope:
                item = await self._inner.receive()
            if not scope.cancelled_caught:
                break
            if not state.connected:
                state.connect_timed_out = True
                self._ended = True
                raise anyio.EndOfStream
        if isinstance(item, Exception):
            state.fault = item
            self._ended = True
            raise anyio.EndOfStream
        message = item.message
        if isinstance(message, mcp_types.JSONRPCNotification):
            await state.notify(message.method, message.params)
        return item

    def __aiter__(self) -> _TappedReadStream:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    def close(self) -> None:
        self._inner.close()

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _TappedReadStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()


def _wrong_shape(spec: ServerSpec, what: str, exc: ValidationError) -> MalformedResponseError:
    problems = [
        f"{'.'.join(str(p) for p in error['loc']) or '(answer)'}: {error['msg']}"
        for error in exc.errors()[:10]
    ]
    return MalformedResponseError(
        f"MCP server {spec.name!r} answered {what} with something that is not a valid answer"
        + (f" ({problems[0]})" if problems else ""),
        details={"problems": problems},
    )


async def _failure_of(connection: Connection | None) -> BaseException | None:
    """Why the connection ended, when its transport says so; it may take a moment to say it (the
    session can see the stream end before the transport's task has unwound)."""
    if connection is None:
        return None
    deadline = anyio.current_time() + _EXIT_WAIT / 2
    while connection.failure is None and anyio.current_time() < deadline:
        await anyio.sleep(0.02)
    return connection.failure


def _describe(exc: BaseException) -> str:
    leaf = _leaves(exc)[0]
    return f"{type(leaf).__name__}: {leaf}"


def _contains(exc: BaseException, target: BaseException) -> bool:
    if exc is target:
        return True
    return isinstance(exc, BaseExceptionGroup) and any(
        _contains(inner, target) for inner in exc.exceptions
    )


def _leaves(group: BaseException) -> list[BaseException]:
    if isinstance(group, BaseExceptionGroup):
        return [leaf for inner in group.exceptions for leaf in _leaves(inner)]
    return [group]


def _version() -> str:
    from . import __version__

    return __version__
