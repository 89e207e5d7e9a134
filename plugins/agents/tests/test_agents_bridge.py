"""The trio -> asyncio bridge: results, errors, and cancellation in both directions."""

from __future__ import annotations

import asyncio
import threading

import pytest
import trio
from codex_core_agents.bridge import TrioPortal, run_on_asyncio


async def test_the_coroutine_runs_on_its_own_loop_in_a_worker_thread():
    """The trio-to-asyncio bridge runs a real asyncio coroutine on its own loop in a worker
    thread."""

    async def work() -> tuple[str, bool]:
        await asyncio.sleep(0.01)
        return (
            threading.current_thread().name,
            threading.current_thread() is threading.main_thread(),
        )

    name, on_main = await run_on_asyncio(work)
    assert name == "codex-core-agents asyncio" and not on_main


async def test_an_exception_in_the_coroutine_is_raised_in_trio():
    """An exception in the asyncio coroutine comes out in trio as itself."""

    async def fail() -> None:
        raise ValueError("from asyncio")

    with pytest.raises(ValueError, match="from asyncio"):
        await run_on_asyncio(fail)


async def test_cancellation_reaches_the_asyncio_task_and_waits_for_its_cleanup():
    """Cancelling the trio side cancels the asyncio task and waits for its finally block."""
    cleaned = threading.Event()

    async def long() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            await asyncio.sleep(0.2)  # cleanup that needs the loop still running
            cleaned.set()

    started = trio.current_time()
    with trio.move_on_after(0.3):
        await run_on_asyncio(long)
    assert cleaned.is_set(), "trio went on before the asyncio side had stopped"
    assert trio.current_time() - started < 2


async def test_a_task_that_swallows_one_cancellation_is_cancelled_again():
    """An asyncio task that swallows the first cancellation is cancelled again until it stops."""

    async def stubborn() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            pass  # ignores the first request
        await asyncio.sleep(60)

    started = trio.current_time()
    with trio.move_on_after(0.2):
        await run_on_asyncio(stubborn)
    assert trio.current_time() - started < 4


async def test_the_portal_calls_back_into_trio_while_trio_waits():
    """Code on the asyncio thread calls back into trio through the portal while trio waits for
    it."""
    portal = TrioPortal.current()
    seen: list[str] = []

    async def trio_side(text: str) -> str:
        await trio.sleep(0)
        return text.upper()

    async def work() -> str:
        portal.call_sync(seen.append, "sync")
        return await portal.call_async(trio_side, "async")

    assert await run_on_asyncio(work) == "ASYNC"
    assert seen == ["sync"]


async def test_the_cancellation_comes_out_as_trios_own_not_in_a_group():
    """A cancelled bridge call raises trio.Cancelled itself, not an exception group."""

    async def long() -> None:
        await asyncio.sleep(60)

    seen: list[type[BaseException]] = []
    with trio.move_on_after(0.2):
        try:
            await run_on_asyncio(long)
        except BaseException as exc:
            seen.append(type(exc))
            raise
    assert seen == [trio.Cancelled]
