"""A conformance check for transports (the ``codex_core.transports`` capability kind), for plugin
authors and for codex-core-mcp's own tests; the MCP counterpart of :mod:`codex_core.testing`.

Use it from a plugin's test suite (async tests under trio, as codex-core runs them)::

    from codex_core_mcp.testing import check_transport

    async def test_my_transport_conforms() -> None:
        await check_transport(MyTransport())

Everything here is real: the check connects, over the transport under test, to a real MCP server
(by default :mod:`codex_core_mcp.testing_server`, started with this interpreter as
``python -m codex_core_mcp.testing_server``, on stdio) and talks to it with the package's own
client (:func:`~codex_core_mcp.client.open_client`). A transport that does not start the server
itself (HTTP, say) is given a spec pointing at a running server instead; the testing server serves
streamable HTTP with ``python -m codex_core_mcp.testing_server --http PORT``::

    spec = ServerSpec.http("conformance", f"http://127.0.0.1:{port}/mcp")
    await check_transport(MyHttpTransport(), spec)

The server must offer an ``echo`` tool that returns its ``text`` argument. Checks raise
``AssertionError`` with a message saying what is wrong.
"""

from __future__ import annotations

import inspect
import os
import shlex
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import attrs

from .errors import McpServerError
from .spec import ServerSpec
from .transport import Connection

__all__ = ["TransportCheck", "check_transport", "conformance_server_spec"]

#: after the context exits, how long the server process and its group get to disappear (a signal
#: takes a moment to be delivered, a killed process a moment to be reaped)
_SETTLE = 1.0
_POLL = 0.05
_PROC = Path("/proc")


@attrs.frozen
class TransportCheck:
    """What :func:`check_transport` saw: the transport's name, the server's ``server_info``
    (``{"name", "version"}``) and protocol version, the tools it listed (sorted), the pid of the
    server process of each session the check opened (none for a transport that starts no process),
    and how long leaving the context took while the caller was being cancelled."""

    transport: str
    server_info: dict[str, Any] | None
    protocol_version: str
    tools: tuple[str, ...]
    server_pids: tuple[int, ...]
    cancelled_exit_seconds: float


def conformance_server_spec(**fields: Any) -> ServerSpec:
    """A spec for :mod:`codex_core_mcp.testing_server` on stdio, started with this interpreter;
    ``fields`` override the spec's (``transport``, ``options``, timeouts, ...)."""
    fields.setdefault("connect_timeout", 30.0)
    fields.setdefault("session_timeout", 60.0)
    fields.setdefault("shutdown_grace", 1.0)
    return ServerSpec(
        **{
            "name": "conformance",
            "command": (sys.executable, "-m", "codex_core_mcp.testing_server"),
            **fields,
        }
    )


async def check_transport(
    transport: Any,
    spec: ServerSpec | None = None,
    *,
    timeout: float = 30.0,
    exit_timeout: float | None = None,
) -> TransportCheck:
    """Check a transport object (or a class, instantiated as codex-core does) against a real MCP
    server: by default the stdio :mod:`codex_core_mcp.testing_server`; else the server ``spec``
    describes (it must offer ``echo``).

    Asserts that the transport has a non-empty ``name`` and a ``connect`` method whose result is
    an async context manager yielding a :class:`~codex_core_mcp.transport.Connection`; that over
    it the MCP session initializes, ``tools/list`` returns the server's tools and a call of
    ``echo`` returns its argument; and that when the context exits, a server process the transport
    started (``Connection.process``) has exited, been waited for, and left nothing running in its
    process group (the testing server's ``spawn_child`` tool puts a child there first). A second
    session is then left while the caller is being cancelled: the exit must still clean up as
    above, within ``exit_timeout`` seconds (default: twice the spec's ``shutdown_grace``, plus 5),
    and the cancellation must reach the caller.

    ``timeout`` caps each request of the check. Call it from an async test under trio; bound the
    test too, as a transport that blocks forever inside a shielded scope cannot be interrupted.
    Returns a :class:`TransportCheck`.
    """
    if isinstance(transport, type):
        transport = transport()
    name = getattr(transport, "name", None)
    assert isinstance(name, str) and name.strip(), (
        f"{transport!r}: a transport needs a non-empty string `name` (the entry point's name in "
        f"codex_core.transports), got {name!r}"
    )
    assert callable(getattr(transport, "connect", None)), (
        f"transport {name!r} needs a method connect(spec, *, env=None, on_stderr=None)"
    )
    default_server = spec is None
    if spec is None:
        spec = conformance_server_spec(transport=name)
    if exit_timeout is None:
        exit_timeout = 2 * spec.shutdown_grace + 5.0
    label = f"transport {name!r} ({_where(spec)})"
    observed = _Observed(transport, label)
    stderr: list[str] = []
    pids: list[int] = []

    # 1. a session: handshake, tools/list, a call; then everything it started is gone
    async with _session(observed, spec, timeout, stderr) as client:
        connection, pgid = observed.connection, observed.pgid
        assert client.server_info is not None and client.protocol_version, (
            f"{label}: the MCP session did not initialize (no server info or protocol version)"
        )
        server_info = client.server_info
        protocol_version = client.protocol_version
        tools = tuple(sorted(t.name for t in await client.list_tools()))
        if default_server:
            from .testing_server import SERVER_NAME, TOOLS

            assert server_info.get("name") == SERVER_NAME, (
                f"{label}: the session reached {server_info!r}, not the testing server"
            )
            assert tools == TOOLS, (
                f"{label}: tools/list returned {list(tools)}, the testing server offers "
                f"{list(TOOLS)}"
            )
        assert "echo" in tools, (
            f"{label}: the server must offer an `echo` tool; tools/list returned {list(tools)}"
        )
        token = f"conformance {uuid.uuid4().hex}"
        result = await client.call_tool("echo", {"text": token}, timeout=timeout)
        assert result.text == token and not result.is_error, (
            f"{label}: echo({token!r}) returned {result.content!r}"
            + (" (isError)" if result.is_error else "")
        )
        if connection.process is not None and "spawn_child" in tools:
            child = await client.call_tool("spawn_child", timeout=timeout)
            assert child.text.strip().isdigit(), f"{label}: spawn_child returned {child.content!r}"
    await _assert_released(connection, pgid, label, "", stderr)
    if connection.process is not None:
        pids.append(connection.process.pid)

    # 2. a session left while the caller is being cancelled
    cancelled_at = anyio.current_time()
    with anyio.CancelScope() as scope:
        async with _session(observed, spec, timeout, stderr) as client:
            connection, pgid = observed.connection, observed.pgid
            await client.list_tools()
            scope.cancel()
            cancelled_at = anyio.current_time()
            await anyio.sleep_forever()
    took = anyio.current_time() - cancelled_at
    assert scope.cancelled_caught, (
        f"{label}: leaving the context swallowed the caller's cancellation; a transport must let "
        f"it propagate"
    )
    assert took <= exit_timeout, (
        f"{label}: leaving the context while the caller was being cancelled took {took:.1f}s "
        f"(at most {exit_timeout:g}s); every wait on the way out must be bounded"
    )
    await _assert_released(connection, pgid, label, " while the caller was being cancelled", stderr)
    if connection.process is not None:
        pids.append(connection.process.pid)
    return TransportCheck(
        transport=name,
        server_info=server_info,
        protocol_version=protocol_version,
        tools=tools,
        server_pids=tuple(pids),
        cancelled_exit_seconds=round(took, 3),
    )


class _ShapeError(Exception):
    """What the transport gave back does not follow the protocol (the message says how)."""


class _Observed:
    """The transport under test, as open_client sees it: checks and keeps what connect yields."""

    def __init__(self, inner: Any, label: str) -> None:
        self.inner = inner
        self.name: str = inner.name
        self.label = label
        self.problem: str | None = None
        self._connection: Connection | None = None
        self.pgid: int | None = None

    @property
    def connection(self) -> Connection:
        assert self._connection is not None
        return self._connection

    def _fail(self, problem: str) -> _ShapeError:
        self.problem = f"{self.label}: {problem}"
        return _ShapeError(self.problem)

    @asynccontextmanager
    async def connect(
        self,
        spec: ServerSpec,
        *,
        env: Mapping[str, str] | None = None,
        on_stderr: Callable[[str], None] | None = None,
    ) -> AsyncIterator[Connection]:
        self._connection = None
        self.pgid = None
        manager = self.inner.connect(spec, env=env, on_stderr=on_stderr)
        if not (hasattr(manager, "__aenter__") and hasattr(manager, "__aexit__")):
            if inspect.iscoroutine(manager):
                manager.close()
            raise self._fail(
                f"connect() must return an async context manager, got {type(manager).__name__}"
            )
        async with manager as connection:
            if not isinstance(connection, Connection):
                raise self._fail(
                    f"connect() must yield a codex_core_mcp.transport.Connection, got "
                    f"{type(connection).__name__}"
                )
            if connection.read_stream is None or connection.write_stream is None:
                raise self._fail("the Connection needs both read_stream and write_stream")
            process = connection.process
            if process is not None:
                missing = [
                    attr
                    for attr in ("returncode", "stderr_tail", "wait_exit")
                    if not hasattr(process, attr)
                ]
                if not isinstance(getattr(process, "pid", None), int) or missing:
                    raise self._fail(
                        "Connection.process needs an int `pid`, `returncode`, `stderr_tail()` "
                        f"and `async wait_exit(timeout)` (missing: {missing or ['pid']})"
                    )
                if process.returncode is not None:
                    raise self._fail(
                        f"the server process (pid {process.pid}) had already exited with "
                        f"{process.returncode} when connect() yielded"
                    )
                try:
                    self.pgid = os.getpgid(process.pid)
                except ProcessLookupError:
                    raise self._fail(
                        f"the server process (pid {process.pid}) does not exist"
                    ) from None
                if self.pgid == os.getpgrp():
                    raise self._fail(
                        f"the server process (pid {process.pid}) shares the caller's process "
                        "group; start it in its own (start_new_session=True) so that it and its "
                        "children can be stopped together"
                    )
            self._connection = connection
            yield connection


@asynccontextmanager
async def _session(
    observed: _Observed, spec: ServerSpec, timeout: float, stderr: list[str]
) -> AsyncIterator[Any]:
    """open_client over the observed transport; a failed session is an AssertionError."""
    from .client import open_client

    session_timeout = min(spec.session_timeout, timeout)
    try:
        async with open_client(
            spec, session_timeout=session_timeout, transport=observed, on_stderr=stderr.append
        ) as client:
            yield client
    except McpServerError as exc:
        if observed.problem is not None:
            raise AssertionError(observed.problem) from None
        raise AssertionError(
            f"{observed.label}: the MCP session failed ({exc.reason}): {exc.message}"
            + _stderr_note(stderr)
        ) from exc


async def _assert_released(
    connection: Connection, pgid: int | None, label: str, when: str, stderr: list[str]
) -> None:
    """The server process a transport started has exited and was waited for, and nothing is left
    running in its process group (allowing ``_SETTLE`` seconds for signals to land)."""
    process = connection.process
    if process is None:
        return
    pid = process.pid
    deadline = anyio.current_time() + _SETTLE
    while _alive(pid) and anyio.current_time() < deadline:
        await anyio.sleep(_POLL)
    assert not _alive(pid), (
        f"{label}: the server process (pid {pid}) is still running after the context exited"
        f"{when}; a transport must stop the server it started" + _stderr_note(stderr)
    )
    code = process.returncode
    assert code is not None, (
        f"{label}: the server process (pid {pid}) exited{when} but its transport never waited "
        f"for it (Connection.process.returncode is None): it is left a zombie"
    )
    assert await process.wait_exit(_SETTLE) == code, (
        f"{label}: Connection.process.wait_exit() does not give the exit code {code} of the "
        f"exited server"
    )
    assert isinstance(process.stderr_tail(), str), (
        f"{label}: Connection.process.stderr_tail() must return a str"
    )
    left: list[int] = []
    while pgid is not None and anyio.current_time() < deadline + _SETTLE:
        left = _group_members(pgid)
        if not left:
            break
        await anyio.sleep(_POLL)
    assert not left, (
        f"{label}: process(es) {left} of the server's process group {pgid} are still running "
        f"after the context exited{when}; a transport must stop the server's whole group"
    )


def _where(spec: ServerSpec) -> str:
    """The server, for messages: its command or URL, whatever the transport is called."""
    if spec.command:
        return f"server {spec.name!r}: {shlex.join(spec.command)}"
    if spec.url:
        return f"server {spec.name!r}: {spec.url}"
    return f"server {spec.name!r}"


def _stderr_note(stderr: list[str]) -> str:
    tail = "\n".join(stderr[-20:]).strip()
    return f"\nthe server's stderr (last lines):\n{tail}" if tail else ""


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, pgrp, ...)."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except (OSError, ProcessLookupError):
        return None
    return text.rsplit(")", 1)[1].split()


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie (exited, not yet waited for) does not."""
    if _PROC.is_dir():
        fields = _stat(pid)
        return fields is not None and fields[0] not in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _group_members(pgid: int) -> list[int]:
    """The processes still running in process group ``pgid`` (zombies are not running)."""
    if not _PROC.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        except PermissionError:
            pass
        return [pgid]
    members = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields is not None and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return sorted(members)
