"""``codex_core_mcp.testing.check_transport`` against the built-in transports (real servers over
stdio and streamable HTTP) and against deliberately broken transports it must fail (trio tests)."""

from __future__ import annotations

import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
from codex_core_mcp import Connection, ServerSpec
from codex_core_mcp.testing import check_transport, conformance_server_spec
from codex_core_mcp.transport_http import HttpTransport
from codex_core_mcp.transport_stdio import StdioTransport
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp_test_helpers import DEMO, http_demo_server, http_server, python_command, wait_gone

pytestmark = pytest.mark.slow

# Every test is bounded: a stuck check fails the test instead of hanging the suite.
BOUND = 90


async def test_builtin_stdio_transport_passes() -> None:
    """The stdio transport against the packaged testing server: the session works, and both
    servers the check started (and their process groups) are gone when it returns."""
    with trio.fail_after(BOUND):
        result = await check_transport(StdioTransport())
    assert result.transport == "stdio"
    assert result.server_info == {"name": "codex-core-testing-server", "version": "1.0"}
    assert result.tools == ("echo", "spawn_child")
    assert len(result.server_pids) == 2
    assert wait_gone(*result.server_pids, timeout=0) == []
    assert result.cancelled_exit_seconds < 2 * conformance_server_spec().shutdown_grace + 5


async def test_builtin_stdio_transport_passes_against_another_server() -> None:
    """Given a spec, the check talks to that server (the tests' demo server, which has echo)."""
    spec = ServerSpec.stdio("demo", python_command(DEMO), shutdown_grace=0.5)
    with trio.fail_after(BOUND):
        result = await check_transport(StdioTransport, spec)  # a class is instantiated
    assert result.server_info == {"name": "codex-core-test-demo", "version": "1.0"}
    assert "echo" in result.tools and "spawn_child" not in result.tools
    assert wait_gone(*result.server_pids, timeout=0) == []


@pytest.fixture(scope="module")
def demo_http_url() -> Iterator[str]:
    with http_demo_server() as url:
        yield url


async def test_builtin_http_transport_passes(demo_http_url: str) -> None:
    """The http transport against the demo server over streamable HTTP: no process of its own."""
    spec = ServerSpec.http("remote", demo_http_url)
    with trio.fail_after(BOUND):
        result = await check_transport(HttpTransport(), spec)
    assert result.transport == "http"
    assert result.server_info == {"name": "codex-core-test-demo", "version": "1.0"}
    assert result.server_pids == ()


async def test_builtin_http_transport_passes_against_the_packaged_server_over_http() -> None:
    """What the docs tell an HTTP transport's author to do: serve the testing server over HTTP
    and point the check at it."""
    with http_server(
        lambda port: [sys.executable, "-m", "codex_core_mcp.testing_server", "--http", str(port)]
    ) as url:
        with trio.fail_after(BOUND):
            result = await check_transport(HttpTransport(), ServerSpec.http("conformance", url))
    assert result.server_info == {"name": "codex-core-testing-server", "version": "1.0"}
    assert result.tools == ("echo", "spawn_child")


# --- broken transports ---------------------------------------------------------------------------


class Nameless(StdioTransport):
    name = ""


async def test_fails_for_a_transport_without_a_name() -> None:
    with pytest.raises(AssertionError, match=r"non-empty string `name`"):
        await check_transport(Nameless())


class SdkTuple:
    """A transport that hands back what the SDK's stdio_client yields, not a Connection."""

    name = "sdk-tuple"

    def connect(self, spec: ServerSpec, *, env: Any = None, on_stderr: Any = None) -> Any:
        return stdio_client(
            StdioServerParameters(command=spec.command[0], args=[*spec.command[1:]])
        )


async def test_fails_for_a_transport_that_does_not_yield_a_connection() -> None:
    with (
        trio.fail_after(BOUND),
        pytest.raises(AssertionError, match=r"must yield .*Connection, got tuple"),
    ):
        await check_transport(SdkTuple())


class HeldStdio:
    """The built-in stdio connection, held open in a nursery the test owns, so that what leaving
    the context does is up to ``leave``; ``release()`` then ends every connection the proper way
    (the stdio transport's own shutdown), which is the tests' teardown."""

    name = "held-stdio"

    def __init__(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery
        self._releases: list[trio.Event] = []
        self.pids: list[int] = []

    @asynccontextmanager
    async def connect(
        self,
        spec: ServerSpec,
        *,
        env: Mapping[str, str] | None = None,
        on_stderr: Callable[[str], None] | None = None,
    ) -> AsyncIterator[Connection]:
        done, closed = trio.Event(), trio.Event()
        self._releases.append(done)
        connection = await self._nursery.start(self._hold, spec, env, on_stderr, done, closed)
        assert connection.process is not None
        self.pids.append(connection.process.pid)
        try:
            yield connection
        finally:
            await self.leave(connection, done, closed)

    async def _hold(
        self,
        spec: ServerSpec,
        env: Mapping[str, str] | None,
        on_stderr: Callable[[str], None] | None,
        done: trio.Event,
        closed: trio.Event,
        *,
        task_status: Any,
    ) -> None:
        try:
            async with StdioTransport().connect(spec, env=env, on_stderr=on_stderr) as connection:
                task_status.started(connection)
                await done.wait()
        finally:
            closed.set()

    async def leave(self, connection: Connection, done: trio.Event, closed: trio.Event) -> None:
        done.set()
        with trio.CancelScope(shield=True):
            await closed.wait()

    def release(self) -> None:
        for done in self._releases:
            done.set()


class LeavesServerRunning(HeldStdio):
    """Forgets to close the connection: the server keeps running after the context exits."""

    async def leave(self, connection: Connection, done: trio.Event, closed: trio.Event) -> None:
        return None


class StopsOnlyTheServer(HeldStdio):
    """Kills and reaps the server process, but not the rest of its process group."""

    async def leave(self, connection: Connection, done: trio.Event, closed: trio.Event) -> None:
        assert connection.process is not None
        os.kill(connection.process.pid, signal.SIGKILL)
        with trio.CancelScope(shield=True):
            await connection.process.wait_exit(5)


class NotCancelSafe(HeldStdio):
    """Closes properly, unless the caller is being cancelled: its first (unshielded) await on the
    way out then raises Cancelled and the server is never stopped."""

    async def leave(self, connection: Connection, done: trio.Event, closed: trio.Event) -> None:
        await trio.lowlevel.checkpoint()
        await super().leave(connection, done, closed)


async def run_broken(transport_class: type[HeldStdio], match: str) -> str:
    """The check fails for ``transport_class`` with ``match`` (returned: the message); afterwards
    every server it started is released and must be gone."""
    async with trio.open_nursery() as nursery:
        transport = transport_class(nursery)
        try:
            with trio.fail_after(BOUND), pytest.raises(AssertionError, match=match) as caught:
                await check_transport(transport)
            assert transport.pids
        finally:
            transport.release()
    assert wait_gone(*transport.pids) == []
    return str(caught.value)


async def test_fails_for_a_transport_that_leaves_its_server_running() -> None:
    await run_broken(
        LeavesServerRunning,
        r"the server process \(pid \d+\) is still running after the context exited;",
    )


async def test_fails_for_a_transport_that_leaves_the_servers_children_running() -> None:
    message = await run_broken(
        StopsOnlyTheServer,
        r"process\(es\) \[(\d+)\] of the server's process group \d+ are still running",
    )
    # the child the testing server spawned was named, and went with the proper shutdown
    child = int(re.search(r"process\(es\) \[(\d+)\]", message).group(1))  # type: ignore[union-attr]
    assert wait_gone(child) == []


async def test_fails_for_a_transport_that_does_not_clean_up_when_cancelled() -> None:
    await run_broken(
        NotCancelSafe,
        r"still running after the context exited while the caller was being cancelled",
    )
