"""The ``stdio`` transport: an MCP server started as a subprocess, JSON-RPC a line on its stdio.

Written here rather than taken from the SDK's ``stdio_client`` for three things a run needs: the
server's stderr reaches the stage's log (a callback per line, and the last 8 KiB kept for error
details); the pid and exit code are known (a crash is reported with its exit code); and when the
connection ends the server's whole process group is killed, not only the process, so a server's
own children cannot outlive the stage. The message framing and parsing are the SDK's
(``SessionMessage``, ``jsonrpc_message_adapter``).

Shutdown, inside a shielded scope with every wait bounded by ``shutdown_grace``: close the
server's stdin (the MCP way to ask a stdio server to exit) and wait; SIGTERM the process group and
wait; SIGKILL the group. Whatever is still in the group after the server exited is SIGKILLed too.
A line on stdout that is not a JSON-RPC message is handed to the session as an exception (the
client turns it into ``malformed-tool-response``); stdout is drained to the end either way, so a
server blocked writing can always exit.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from typing import Any

import anyio
import anyio.abc
import mcp_types
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import SessionMessage

from .errors import ServerStartError
from .spec import ServerSpec
from .transport import Connection

STDERR_TAIL_BYTES = 8 * 1024
#: a stdout line longer than this is reported as malformed and dropped
MAX_LINE_BYTES = 64 * 1024 * 1024
_POLL_INTERVAL = 0.02
_KILL_WAIT = 2.0
# The SDK's own minimal environment for a server that should not inherit ours.
_SAFE_ENV_KEYS = ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "LC_ALL", "TMPDIR")


class MalformedLine(ValueError):
    """A line on the server's stdout that is not a JSON-RPC message; ``excerpt`` shows it."""

    def __init__(self, message: str, excerpt: str) -> None:
        super().__init__(message)
        self.excerpt = excerpt


class StdioTransport:
    """Entry point ``stdio`` in ``codex_core.transports``."""

    name = "stdio"

    def connect(
        self,
        spec: ServerSpec,
        *,
        env: Mapping[str, str] | None = None,
        on_stderr: Callable[[str], None] | None = None,
    ) -> Any:
        return _connect(spec, env, on_stderr)


class StdioServerProcess:
    """The server's process: pid, exit code, the tail of its stderr, and stopping it."""

    def __init__(self, process: anyio.abc.Process, on_stderr: Callable[[str], None] | None):
        self._process = process
        self.pid: int = process.pid
        self._on_stderr = on_stderr
        self._stderr = bytearray()
        self._stopped = False

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    def stderr_tail(self) -> str:
        return bytes(self._stderr[-STDERR_TAIL_BYTES:]).decode("utf-8", "replace")

    async def wait_exit(self, timeout: float) -> int | None:
        """The exit code once the process has exited, or None if it is still running after
        ``timeout`` seconds. Polls (and so reaps) rather than ``wait()``: a grandchild holding
        the pipes open must not make an exited server look alive."""
        deadline = anyio.current_time() + timeout
        while self._process.returncode is None:
            if anyio.current_time() >= deadline:
                return None
            await anyio.sleep(_POLL_INTERVAL)
        return self._process.returncode

    def _signal_group(self, signum: int) -> None:
        # start_new_session made the server the leader of its own process group
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    async def stop(self, grace: float) -> None:
        """Close stdin, wait; SIGTERM the group, wait; SIGKILL the group. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self._process.stdin is not None:
            with suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                await self._process.stdin.aclose()
        if await self.wait_exit(grace) is None:
            self._signal_group(signal.SIGTERM)
            if await self.wait_exit(grace) is None:
                self._signal_group(signal.SIGKILL)
                await self.wait_exit(_KILL_WAIT)
        # what the server left behind in its group goes too
        self._signal_group(signal.SIGKILL)

    async def pump_stderr(self) -> None:
        stream = self._process.stderr
        assert stream is not None
        partial = b""
        with suppress(
            anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError, OSError
        ):
            while True:
                chunk = await stream.receive()
                self._stderr += chunk
                del self._stderr[:-STDERR_TAIL_BYTES]
                *lines, partial = (partial + chunk).split(b"\n")
                for line in lines:
                    self._emit(line)
                if len(partial) > STDERR_TAIL_BYTES:
                    self._emit(partial)
                    partial = b""
        if partial:
            self._emit(partial)

    def _emit(self, line: bytes) -> None:
        if self._on_stderr is None:
            return
        with suppress(Exception):  # a broken sink must not take the connection down
            self._on_stderr(line.decode("utf-8", "replace").rstrip("\r"))


def _environment(spec: ServerSpec, env: Mapping[str, str] | None) -> dict[str, str]:
    if spec.inherit_env:
        base = dict(os.environ if env is None else env)
    else:
        source = os.environ if env is None else env
        base = {k: source[k] for k in _SAFE_ENV_KEYS if k in source}
    return {**base, **spec.env}


@asynccontextmanager
async def _connect(
    spec: ServerSpec, env: Mapping[str, str] | None, on_stderr: Callable[[str], None] | None
) -> AsyncIterator[Connection]:
    if not spec.command:
        raise ServerStartError(f"MCP server {spec.name!r} has no command")
    try:
        process = await anyio.open_process(
            list(spec.command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=spec.cwd,
            env=_environment(spec, env),
            start_new_session=True,
        )
    except OSError as exc:
        raise ServerStartError(
            f"MCP server {spec.name!r} could not be started: {exc.strerror or exc}",
            details={
                "command": list(spec.command),
                "cwd": os.fspath(spec.cwd) if spec.cwd else None,
                "errno": exc.errno,
            },
        ) from None
    server = StdioServerProcess(process, on_stderr)
    # No await between the spawn and this try: a cancellation there would leak the process.
    read_send, read_recv = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_send, write_recv = anyio.create_memory_object_stream[SessionMessage](0)
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_pump_stdout, process, read_send)
            tasks.start_soon(_pump_stdin, process, write_recv)
            tasks.start_soon(server.pump_stderr)
            try:
                yield Connection(read_recv, write_send, server)
            finally:
                # the session is gone: nobody reads what the server still writes, so the
                # stdout pump drains it instead (a server blocked on a full pipe cannot exit)
                read_recv.close()
                write_send.close()
                with anyio.CancelScope(shield=True):
                    await server.stop(spec.shutdown_grace)
                tasks.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            await server.stop(spec.shutdown_grace)
            for stream in (read_send, read_recv, write_send, write_recv):
                stream.close()
            for pipe in (process.stdin, process.stdout, process.stderr):
                if pipe is not None:
                    with suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                        await pipe.aclose()


async def _pump_stdout(
    process: anyio.abc.Process, sink: MemoryObjectSendStream[SessionMessage | Exception]
) -> None:
    """Lines from the server's stdout to the session, parsed; drained to EOF whatever happens."""
    stream = process.stdout
    assert stream is not None
    buffer = b""
    delivering = True
    with sink:
        with suppress(
            anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError, OSError
        ):
            while True:
                chunk = await stream.receive()
                if not delivering:
                    continue
                *lines, buffer = (buffer + chunk).split(b"\n")
                if len(buffer) > MAX_LINE_BYTES:
                    lines.append(buffer)
                    buffer = b""
                for line in lines:
                    item = _parse(line)
                    if item is None:
                        continue
                    try:
                        await sink.send(item)
                    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                        delivering = False  # the session has gone; keep draining
                        break


def _parse(line: bytes) -> SessionMessage | Exception | None:
    if len(line) > MAX_LINE_BYTES:
        return MalformedLine(
            f"a line of more than {MAX_LINE_BYTES} bytes on stdout", _excerpt(line)
        )
    text = line.strip()
    if not text:
        return None
    try:
        return SessionMessage(mcp_types.jsonrpc_message_adapter.validate_json(text, by_name=False))
    except ValueError as exc:  # pydantic's ValidationError is a ValueError; so is bad JSON/UTF-8
        first = str(exc).strip().splitlines()
        return MalformedLine(
            f"not a JSON-RPC message on stdout ({first[0] if first else type(exc).__name__})",
            _excerpt(line),
        )


def _excerpt(line: bytes, limit: int = 200) -> str:
    text = line[: limit * 4].decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + "..."


async def _pump_stdin(
    process: anyio.abc.Process, source: MemoryObjectReceiveStream[SessionMessage]
) -> None:
    stream = process.stdin
    assert stream is not None
    with source:
        with suppress(anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            async for message in source:
                text = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                await stream.send(text.encode("utf-8") + b"\n")
