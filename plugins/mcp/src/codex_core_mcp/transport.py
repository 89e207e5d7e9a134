"""The transport protocol (entry points in ``codex_core.transports``) and finding a transport.

A transport turns a :class:`~codex_core_mcp.spec.ServerSpec` into a live connection: the pair of
message streams the ``mcp`` SDK's client session runs on, and, for a server it started, the
process. Leaving the context closes the connection and, for a subprocess, makes sure it and its
whole process group are gone (bounded in time, even when the caller is being cancelled).

Entry point and protocol::

    [project.entry-points."codex_core.transports"]
    stdio = "codex_core_mcp.transport_stdio:StdioTransport"

    class MyTransport:
        name = "mine"
        def connect(self, spec, *, env=None, on_stderr=None) -> AsyncContextManager[Connection]: ...

``env`` is the environment a subprocess starts from (the spec's ``env`` goes on top);
``on_stderr`` gets each line a subprocess writes to stderr. Both are ignored where they mean
nothing (HTTP).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, runtime_checkable

import attrs

from .spec import ServerSpec

NAMESPACE = "codex_core.transports"


@runtime_checkable
class ServerProcessInfo(Protocol):
    """What a transport that started the server knows about its process."""

    pid: int

    @property
    def returncode(self) -> int | None: ...

    def stderr_tail(self) -> str: ...

    async def wait_exit(self, timeout: float) -> int | None: ...


@attrs.define
class Connection:
    """A live connection: the SDK's stream pair, and the server process when there is one.

    A transport that fails underneath the session (a dropped HTTP connection) ends the read stream
    and leaves what happened in ``failure``, for the error the client reports.
    """

    read_stream: Any
    write_stream: Any
    process: ServerProcessInfo | None = None
    failure: BaseException | None = None


@runtime_checkable
class Transport(Protocol):
    name: str

    def connect(
        self,
        spec: ServerSpec,
        *,
        env: Mapping[str, str] | None = None,
        on_stderr: Callable[[str], None] | None = None,
    ) -> AbstractAsyncContextManager[Connection]: ...


def builtin_transport(name: str) -> Transport | None:
    """The transports this distribution ships, without going through entry points."""
    if name == "stdio":
        from .transport_stdio import StdioTransport

        return StdioTransport()
    if name == "http":
        from .transport_http import HttpTransport

        return HttpTransport()
    return None


def find_transport(name: str, kernel: Any = None) -> Transport:
    """The transport called ``name``: through the kernel's plugin loading when given one, else
    the built-ins, else any installed entry point. Raises LookupError when none provides it."""
    if kernel is not None:
        found = kernel.load_namespace(NAMESPACE, [name]).get(name)
        if found is not None:
            return found
    found = builtin_transport(name)
    if found is not None:
        return found
    from codex_core import discovery

    objects, failures = discovery.load(NAMESPACE, [name])
    if name in objects:
        return objects[name]
    why = f" (it failed to load: {failures[0].error})" if failures else ""
    raise LookupError(f"no MCP transport named {name!r} is installed{why}")
