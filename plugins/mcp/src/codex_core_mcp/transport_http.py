"""The ``http`` transport: a server reached over streamable HTTP, with the SDK's own client.

Two things differ from using the SDK's ``streamable_http_client`` directly:

- The SDK's transport fails by crashing its task group (a refused connection, a server that drops
  a response stream), which cancels whatever code runs inside it: a caller in the middle of a tool
  call would see a bare cancellation instead of an error. Here the SDK transport runs in a task of
  its own; when it fails, the failure is kept on the :class:`Connection` and the session simply sees
  the connection end, so the pending request fails with ``tool-invocation-error`` naming the cause.
- The SDK's default HTTP client gives up on a response stream that stays quiet for five minutes,
  which would cut a long build that reports nothing. Reads wait up to the server's
  ``session_timeout`` here (the call's own deadline, enforced by the MCP client, decides when
  waiting is over); connecting and writing are bounded by ``connect_timeout``.

The spec's ``headers`` go on every request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc
import httpx2
from mcp.client.streamable_http import streamable_http_client

from .spec import ServerSpec
from .transport import Connection


class HttpTransport:
    """Entry point ``http`` in ``codex_core.transports``."""

    name = "http"

    def connect(
        self,
        spec: ServerSpec,
        *,
        env: Mapping[str, str] | None = None,
        on_stderr: Callable[[str], None] | None = None,
    ) -> Any:
        return _connect(spec)


@asynccontextmanager
async def _connect(spec: ServerSpec) -> AsyncIterator[Connection]:
    if not spec.url:
        raise ValueError(f"MCP server {spec.name!r} has no url")
    done = anyio.Event()
    async with anyio.create_task_group() as tasks:
        connection: Connection = await tasks.start(_hold, spec, done)
        try:
            yield connection
        finally:
            done.set()


async def _hold(
    spec: ServerSpec, done: anyio.Event, *, task_status: anyio.abc.TaskStatus[Connection]
) -> None:
    """Keep the SDK transport open until ``done``; a failure of it ends up on the connection."""
    connection: Connection | None = None
    timeout = httpx2.Timeout(spec.connect_timeout, read=spec.session_timeout)
    try:
        async with (
            httpx2.AsyncClient(headers=dict(spec.headers), timeout=timeout) as http,
            streamable_http_client(spec.url or "", http_client=http) as (read, write),
        ):
            connection = Connection(read, write, None)
            task_status.started(connection)
            await done.wait()
    except Exception as exc:  # the SDK's task group crashed: the session sees the stream end
        if connection is None:
            raise
        connection.failure = exc
