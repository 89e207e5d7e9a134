"""Running one function over many files in worker processes without losing a file to a crash.

``run_tasks(fn, tasks, jobs=N)`` calls ``fn(*args)`` for every ``(rel, args)`` task, one task per
future on a :class:`concurrent.futures.ProcessPoolExecutor` (libcst's own parallel runner does the
same; a file's parse costs milliseconds, so per-file dispatch is noise). ``fn`` turns every
exception into a ``failed`` result itself (see :mod:`codex_core_patterns.work`); what this module
adds is what happens when a worker *process* dies (a segfault, ``os._exit``, the OOM killer):

- the executor reports the pool broken and fails every unfinished future; nothing hangs;
- each worker records in shared memory which task it is running, so the tasks that were in
  progress when the pool broke are known: each of those is re-run alone in a fresh process, and
  if that process dies too the file is ``failed`` (``worker-died``, with its exit code or
  signal). The other unfinished tasks go to a fresh pool; the run goes on;
- the executor then terminates the other workers (SIGTERM); a worker holds SIGTERM back while
  it writes a file, so it dies before or after a write, never in the middle (no temp file left),
  and a file it wrote but could not report is re-run (codemods are idempotent) and still
  reported ``applied``. Only the process that dies on its own (SIGKILL) mid-write can leave
  ``write_atomic``'s temp file beside its target.

Workers die with the process that started them (``PR_SET_PDEATHSIG``), so a runner killed by
SIGKILL leaves no worker behind editing files. Workers ignore SIGINT: Ctrl-C reaches the parent,
which stops submitting and lets each worker finish its current file (so no file is left
half-done). ``cancel`` (a ``threading.Event``) does the same from another thread: the stage kinds
set it when trio cancels the stage.

Workers are forked when the parent has one thread (cheap: libcst and the codemod are already
imported), else started from a fork server (forking a multi-threaded process is unsafe). Even
``jobs=1`` uses a worker process, so a crash is always contained; ``in_process=True`` (API only)
runs the tasks in the caller.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import attrs

from .results import WORKER_DIED, WORKER_ERROR, FileResult

__all__ = ["default_jobs", "run_tasks"]

Task = tuple[str, tuple[Any, ...]]
#: pool restarts allowed for tasks that were merely waiting when a pool broke
MAX_ROUNDS = 5

_SLOTS: Any = None  # shared array: per worker, the index of the task it runs (-1: idle)
_APPLIED: Any = None  # shared array: per task, 1 once a worker applied it
_SLOT = -1


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _die_with_parent(parent: int | None) -> None:
    """Linux: SIGTERM this worker when the process that started it dies (even by SIGKILL), so a
    killed runner leaves no worker behind still editing files. SIGTERM, not SIGKILL: a worker
    holds SIGTERM back while it writes, so it still never leaves a torn file. A fork server's
    workers are tied to the fork server, which exits when the runner does (``parent`` None)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if parent is not None and os.getppid() != parent:  # the parent died before the prctl
        os._exit(1)


def _init_worker(slots: Any, applied: Any, counter: Any, parent: int | None) -> None:
    global _SLOTS, _APPLIED, _SLOT
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    with counter.get_lock():
        _SLOT = counter.value
        counter.value += 1
    _SLOTS, _APPLIED = slots, applied


def _call(index: int, fn: Callable[..., FileResult], args: tuple[Any, ...]) -> FileResult:
    from . import work

    def written() -> None:
        _APPLIED[index] = 1

    work.on_written = written
    _SLOTS[_SLOT] = index
    result = fn(*args)
    _SLOTS[_SLOT] = -1
    return result


def _solo_main(
    conn: Any, fn: Callable[..., FileResult], args: tuple[Any, ...], parent: int | None
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    conn.send(fn(*args))
    conn.close()


def _context(
    preload: Sequence[str], start_method: str | None = None
) -> multiprocessing.context.BaseContext:
    if start_method is not None and start_method != "forkserver":
        return multiprocessing.get_context(start_method)
    if (
        start_method is None
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and threading.current_thread() is threading.main_thread()
    ):
        return multiprocessing.get_context("fork")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["codex_core_patterns.work", *preload])
    return ctx


def _parent(ctx: Any) -> int | None:
    return os.getpid() if ctx.get_start_method() == "fork" else None


def _crashed(rel: str, detail: str) -> FileResult:
    return FileResult(
        rel, "failed", reason=WORKER_DIED,
        error=f"worker process died while processing this file ({detail})",
    )  # fmt: skip


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _from_exception(rel: str, exc: BaseException) -> FileResult:
    # An exception outside fn (a result that cannot be pickled, say): its remote traceback is
    # the exception's cause when the worker sent one.
    cause = exc.__cause__
    return FileResult(
        rel, "failed", reason=WORKER_ERROR,
        error=f"{type(exc).__name__}: {exc}".splitlines()[0],
        traceback=str(cause) if cause is not None else None,
    )  # fmt: skip


@attrs.define
class _Round:
    fn: Callable[..., FileResult]
    tasks: list[Task]
    workers: int
    ctx: Any
    results: dict[str, FileResult]
    on_result: Callable[[FileResult], None]
    cancel: threading.Event | None
    previously_applied: set[str]
    broken: list[int] = attrs.field(factory=list)
    cancelled: bool = False

    def run(self) -> list[int]:
        """Run the tasks on one pool; returns the indices of tasks that were running when it
        broke (the suspects). ``self.broken`` holds every task the broken pool did not finish."""
        slots = self.ctx.Array("q", [-1] * self.workers, lock=False)
        applied = self.ctx.Array("b", len(self.tasks), lock=False)
        counter = self.ctx.Value("i", 0)
        executor = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=self.ctx, initializer=_init_worker,
            initargs=(slots, applied, counter, _parent(self.ctx)),
        )  # fmt: skip
        futures: dict[Any, int] = {}
        try:
            for i, (_, args) in enumerate(self.tasks):
                futures[executor.submit(_call, i, self.fn, args)] = i
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                for future in done:
                    self._collect(future, futures.pop(future))
                if self.cancel is not None and self.cancel.is_set():
                    self.cancelled = True
                    break
        finally:
            # Cancelling drops what has not started; the files in progress finish first.
            executor.shutdown(wait=True, cancel_futures=True)
        for future, index in futures.items():  # finished while we were shutting down
            if future.done():
                self._collect(future, index)
        for i, (rel, _) in enumerate(self.tasks):
            if applied[i]:
                self.previously_applied.add(rel)
        broken = set(self.broken)
        return sorted({int(i) for i in slots if i >= 0 and int(i) in broken})

    def _collect(self, future: Any, index: int) -> None:
        if future.cancelled():
            return
        rel = self.tasks[index][0]
        exc = future.exception()
        if isinstance(exc, BrokenProcessPool):
            self.broken.append(index)
            return
        result = future.result() if exc is None else _from_exception(rel, exc)
        result = _upgrade(result, self.previously_applied)
        self.results[rel] = result
        self.on_result(result)


def _solo(ctx: Any, fn: Callable[..., FileResult], rel: str, args: tuple[Any, ...]) -> FileResult:
    """Run one task alone in a fresh process: the verdict on a suspect."""
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_solo_main, args=(send, fn, args, _parent(ctx)), daemon=True)
    process.start()
    send.close()
    try:
        result = receive.recv()
    except EOFError:
        result = None
    finally:
        receive.close()
        process.join()
    return result if result is not None else _crashed(rel, _describe_exit(process.exitcode))


def run_tasks(
    fn: Callable[..., FileResult],
    tasks: Sequence[Task],
    *,
    jobs: int,
    cancel: threading.Event | None = None,
    on_result: Callable[[FileResult], None] | None = None,
    preload: Sequence[str] = (),
    in_process: bool = False,
    start_method: str | None = None,
) -> tuple[dict[str, FileResult], bool]:
    """Run every task; returns ``(results by rel path, cancelled)``.

    A task missing from the results was not run because the run was cancelled. ``preload``
    names modules a fork server should import before forking workers. ``in_process`` runs the
    tasks in this process, one by one (for debugging and embedding: only Python exceptions are
    contained there, a crash takes the caller down). ``start_method`` forces a multiprocessing
    start method (the stage kinds ask for ``forkserver``: workers forked from a run's runner
    would inherit its open files, the runner lock among them).
    """
    report = on_result or (lambda result: None)
    results: dict[str, FileResult] = {}
    if in_process:
        for rel, args in tasks:
            if cancel is not None and cancel.is_set():
                return results, True
            results[rel] = fn(*args)
            report(results[rel])
        return results, False
    ctx = _context(preload, start_method)
    queue = list(tasks)
    applied: set[str] = set()
    for _ in range(MAX_ROUNDS):
        if not queue:
            break
        round_ = _Round(fn, queue, min(jobs, len(queue)), ctx, results, report, cancel, applied)
        suspects = round_.run()
        if round_.cancelled:
            return results, True
        for index in suspects:
            rel, args = queue[index]
            results[rel] = _upgrade(_solo(ctx, fn, rel, args), applied)
            report(results[rel])
        queue = [queue[i] for i in round_.broken if i not in set(suspects)]
    for rel, _ in queue:  # the pool kept breaking with no suspect to blame
        results[rel] = _crashed(rel, "the worker pool broke repeatedly")
        report(results[rel])
    return results, False


def _upgrade(result: FileResult, applied: set[str]) -> FileResult:
    if result.status == "unchanged" and result.path in applied:
        return attrs.evolve(
            result, status="applied",
            warnings=(*result.warnings, "applied by a worker stopped when the pool broke; re-checked"),
        )  # fmt: skip
    return result
