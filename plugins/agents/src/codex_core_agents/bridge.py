"""Running asyncio code from trio: its own event loop in a worker thread, cancellation bridged.

The OpenAI Agents SDK is asyncio-only, and codex-core's engine is trio. A coroutine runs on a
fresh asyncio loop in a thread started with ``trio.to_thread.run_sync``; trio waits for it. When
the waiting trio task is cancelled (a stage timeout, ``codex-core cancel``, Ctrl-C, a budget),
:func:`run_on_asyncio` asks the asyncio task to stop with ``loop.call_soon_threadsafe(task.cancel)``
from a shielded scope, and waits until the thread has finished, so nothing the agent started
(MCP server processes, shell commands) outlives the cancelled stage. A task that swallows the
cancellation is asked again every :data:`RECANCEL_INTERVAL` seconds.

The other direction, asyncio code calling back into trio (a guardrail vote, a log line), goes
through :class:`TrioPortal`, which always passes the trio token: the call runs as a trio system
task, so it is served even while the trio side waits, shielded, for the thread to end.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import outcome
import trio

T = TypeVar("T")

#: how often a cancelled asyncio task that has not ended yet is cancelled again
RECANCEL_INTERVAL = 1.0


class _LoopHandle:
    """The asyncio loop and task of one call, shared by the trio side and the worker thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task[Any] | None = None
        self.cancel_requested = False

    def cancel(self) -> None:
        with self.lock:
            self.cancel_requested = True
            if self.loop is not None and self.task is not None:
                try:
                    self.loop.call_soon_threadsafe(self.task.cancel)
                except RuntimeError:  # the loop closed meanwhile: the task is over anyway
                    pass


def _run_loop(handle: _LoopHandle, make_coro: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """The worker thread: a new loop (``asyncio.Runner``: whatever tasks the coroutine left
    behind are cancelled and awaited, async generators and the executor shut down), the task."""

    async def main() -> T:
        with handle.lock:
            handle.loop, handle.task = asyncio.get_running_loop(), asyncio.current_task()
            if handle.cancel_requested:
                raise asyncio.CancelledError()
        return await make_coro()

    try:
        with asyncio.Runner() as runner:
            return runner.run(main())
    finally:
        with handle.lock:
            handle.loop = handle.task = None


async def run_on_asyncio(make_coro: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``make_coro()`` on its own asyncio loop in a worker thread and return its result.

    Cancelling the calling trio task cancels the asyncio task and waits for the thread to end
    before ``trio.Cancelled`` (the very one trio raised) propagates. Exceptions raised by the
    coroutine are re-raised here.
    """
    handle = _LoopHandle()
    finished = threading.Event()

    def worker() -> outcome.Outcome[T]:
        try:
            return outcome.capture(_run_loop, handle, make_coro)
        finally:
            finished.set()

    try:
        # abandon_on_cancel: trio hands us the Cancelled at once, and we do the waiting below.
        ended = await trio.to_thread.run_sync(
            worker, abandon_on_cancel=True, thread_name="codex-core-agents asyncio"
        )
    except trio.Cancelled:
        with trio.CancelScope(shield=True):
            while not finished.is_set():
                handle.cancel()
                await trio.to_thread.run_sync(finished.wait, RECANCEL_INTERVAL)
        raise
    if isinstance(ended, outcome.Error) and isinstance(ended.error, asyncio.CancelledError):
        # Nobody on the trio side asked for this: do not let asyncio's BaseException loose here.
        raise RuntimeError("the asyncio task was cancelled from inside its own loop")
    return ended.unwrap()


class TrioPortal:
    """Calls from the asyncio thread into the trio loop that started it.

    ``call_sync`` blocks the asyncio loop for the (short) duration of a synchronous trio-side
    call (writing a log line or an event). ``call_async`` runs an async trio function without
    blocking the asyncio loop (the wait happens in an executor thread).
    """

    def __init__(self, token: trio.lowlevel.TrioToken) -> None:
        self.token = token

    @classmethod
    def current(cls) -> TrioPortal:
        return cls(trio.lowlevel.current_trio_token())

    def call_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return trio.from_thread.run_sync(lambda: fn(*args, **kwargs), trio_token=self.token)

    async def call_async(self, afn: Callable[..., Awaitable[T]], *args: Any) -> T:
        async def call() -> T:
            return await afn(*args)

        return await asyncio.to_thread(trio.from_thread.run, call, trio_token=self.token)
