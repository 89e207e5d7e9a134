"""Running one shell command in its own process group, and killing the whole group.

Each command starts in a new session, so a timeout or a cancel can signal everything it started
(a shell's children included): TERM first, then KILL after a grace period. When the command's
own process exits, whatever it left running in its group is ended too, so a stray background
process can neither hold the stage open through an inherited pipe nor outlive the run.
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


async def kill_group(process: trio.Process, grace: float = KILL_GRACE_SECONDS) -> None:
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
    try:
        process = await trio.lowlevel.open_process(
            command,
            shell=True,
            cwd=os.fspath(cwd),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        return CommandResult(
            exit_code=None,
            reason=REASON_SPAWN_FAILED,
            details={"error": str(exc), "cwd": os.fspath(cwd)},
        )
    tail = TailBuffer()
    try:
        async with trio.open_nursery() as nursery:
            assert process.stdout is not None and process.stderr is not None
            nursery.start_soon(_pump, process.stdout, write, None)
            nursery.start_soon(_pump, process.stderr, write, tail)
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
