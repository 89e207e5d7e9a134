"""Running one shell command in its own process group, and killing the whole group.

Each command starts in a new session, so a timeout or a cancel can signal everything it started
(a shell's children included): TERM first, then KILL after a grace period. When the command's
own process exits, whatever it left running in its group is ended too, so a stray background
process can neither hold the stage open through an inherited pipe nor outlive the run.

The shell is spawned on the trio thread, not through ``trio.lowlevel.open_process``: that runs
``subprocess.Popen`` in a worker thread, and the two thread hand-offs cost more than the spawn
itself (5.4 ms against 2.0 ms per ``sh -c true`` from a minimal trio program on this 2-core
machine under load; ``bench/floor.py`` times the ``trio.run_process`` one). ``Popen`` forks with
``vfork``, so the trio thread is blocked only until the child has exec'ed, well under a
millisecond on a quiet machine. The exit is awaited on a pidfd (Linux; polled elsewhere) and the
output read through ``trio.lowlevel.FdStream``, all public trio API.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import trio

from ..model import REASON_COMMAND_FAILED, REASON_SPAWN_FAILED
from ..stage_api import CommandResult

TAIL_BYTES = 8 * 1024
KILL_GRACE_SECONDS = 2.0


class TailBuffer:
    """The last ``limit`` bytes written to it, and whether anything was dropped."""

    def __init__(self, limit: int = TAIL_BYTES) -> None:
        self.limit = limit
        self.data = bytearray()
        self.truncated = False

    def add(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > self.limit:
            del self.data[: len(self.data) - self.limit]
            self.truncated = True

    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


def _signal_group(pgid: int, sig: int) -> bool:
    """Signal a process group; False when it no longer exists."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member changed user: nothing more we may do
        return False
    return True


class ShellProcess:
    """A spawned command: its pid, and an awaitable exit (the slice of ``trio.Process`` we use)."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self._popen = popen
        self.pid = popen.pid
        try:
            self._pidfd: int | None = os.pidfd_open(popen.pid)
        except (AttributeError, OSError):  # not Linux, or a kernel older than 5.3: poll instead
            self._pidfd = None

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode

    async def wait(self) -> int:
        """Wait for the command's own process to exit and reap it; returns its exit status."""
        if self._popen.returncode is None:
            if self._pidfd is not None:
                await trio.lowlevel.wait_readable(self._pidfd)
            else:
                while self._popen.poll() is None:
                    await trio.sleep(0.005)
            # Readable pidfd: the child has exited, so this reaps it without blocking.
            self._popen.wait()
            self._close_pidfd()
        return self._popen.returncode

    def _close_pidfd(self) -> None:
        if self._pidfd is not None:
            trio.lowlevel.notify_closing(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None


def _spawn(command: str, cwd: Path, env: Mapping[str, str]) -> tuple[ShellProcess, int, int]:
    """Start ``/bin/sh -c command`` in a new session; returns it and its stdout/stderr read ends."""
    out_r, out_w = os.pipe()  # non-inheritable: the child gets them only through dup2
    err_r, err_w = os.pipe()
    try:
        popen = subprocess.Popen(
            command,
            shell=True,
            cwd=os.fspath(cwd),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out_w,
            stderr=err_w,
            start_new_session=True,
        )
    except BaseException:
        for fd in (out_r, err_r):
            os.close(fd)
        raise
    finally:
        os.close(out_w)
        os.close(err_w)
    return ShellProcess(popen), out_r, err_r


async def kill_group(process: ShellProcess, grace: float = KILL_GRACE_SECONDS) -> None:
    """TERM the process's group, wait up to ``grace`` for the leader, then KILL the group."""
    pgid = process.pid
    if _signal_group(pgid, signal.SIGTERM):
        with trio.move_on_after(grace):
            await process.wait()
    _signal_group(pgid, signal.SIGKILL)
    await process.wait()


async def _pump(
    stream: trio.abc.ReceiveStream, write: Callable[[bytes], None], tail: TailBuffer | None
) -> None:
    async with stream:
        while chunk := await stream.receive_some(65536):
            write(chunk)
            if tail is not None:
                tail.add(chunk)


async def run_shell(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    write: Callable[[bytes], None],
    grace: float = KILL_GRACE_SECONDS,
) -> CommandResult:
    """Run ``command`` with ``/bin/sh -c``; stdout and stderr go to ``write`` as they arrive.

    Cancellation (a timeout or a cancel of the surrounding scope) kills the whole process group
    and then propagates. Returns how the command ended; a non-zero exit is ``command-failed``.
    """
    await trio.lowlevel.checkpoint()  # a cancelled scope stops here, before anything is spawned
    try:
        process, out_fd, err_fd = _spawn(command, cwd, env)
    except OSError as exc:
        return CommandResult(
            exit_code=None,
            reason=REASON_SPAWN_FAILED,
            details={"error": str(exc), "cwd": os.fspath(cwd)},
        )
    stdout, stderr = trio.lowlevel.FdStream(out_fd), trio.lowlevel.FdStream(err_fd)
    tail = TailBuffer()
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_pump, stdout, write, None)
            nursery.start_soon(_pump, stderr, write, tail)
            await process.wait()
            # The command is done: end what it left behind so the pipes close.
            if _signal_group(process.pid, signal.SIGTERM):
                with trio.move_on_after(grace):
                    await _wait_group_gone(process.pid)
                _signal_group(process.pid, signal.SIGKILL)
    except BaseException:
        with trio.CancelScope(shield=True):
            await kill_group(process, grace)
        raise
    code = process.returncode
    assert code is not None
    reason = None if code == 0 else REASON_COMMAND_FAILED
    details = {"signal": signal.Signals(-code).name} if code < 0 else {}
    return CommandResult(
        exit_code=code,
        reason=reason,
        stderr_tail=tail.text(),
        stderr_truncated=tail.truncated,
        details=details,
    )


async def _wait_group_gone(pgid: int) -> None:
    while _signal_group(pgid, 0):
        await trio.sleep(0.01)
