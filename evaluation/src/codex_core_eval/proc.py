"""Running the harness's subprocesses (uv, pytest, git, codex-core run) under trio.

Each runs in its own session, its output (stdout and stderr together) appended to a log file
in the scenario's result folder; on a timeout or a cancelled run the whole process group is
killed, so a test suite that started servers of its own leaves nothing behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs
import trio

__all__ = ["Completed", "run"]

KILL_GRACE_SECONDS = 2.0


@attrs.frozen
class Completed:
    argv: tuple[str, ...]
    #: None when the process was killed for running past its timeout
    returncode: int | None
    output: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    def tail(self, chars: int = 2000) -> str:
        return self.output[-chars:]


def _kill_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


async def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    log: Path,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Completed:
    """Run ``argv`` in ``cwd``; its output goes to ``log`` (appended) and into the result."""
    started = trio.current_time()
    full_env = {**os.environ, **(env or {})}
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as sink:
        sink.write(f"$ {' '.join(argv)}   (in {cwd})\n".encode())
        sink.flush()
        offset = sink.tell()
        process = await trio.lowlevel.open_process(
            list(argv), cwd=str(cwd), env=full_env, stdin=subprocess.DEVNULL,
            stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    returncode: int | None
    try:
        with trio.move_on_after(timeout if timeout is not None else float("inf")):
            await process.wait()
        if process.returncode is None:
            _kill_group(process.pid, signal.SIGKILL)
            await process.wait()
            returncode = None
        else:
            returncode = process.returncode
    finally:
        if process.returncode is None:  # cancelled: take the whole group down with us
            with trio.CancelScope(shield=True):
                _kill_group(process.pid, signal.SIGTERM)
                with trio.move_on_after(KILL_GRACE_SECONDS):
                    await process.wait()
                _kill_group(process.pid, signal.SIGKILL)
                await process.wait()
    _kill_group(process.pid, signal.SIGKILL)  # what the suite left running in its group
    with open(log, "rb") as handle:
        handle.seek(offset)
        output = handle.read().decode("utf-8", "replace")
    with open(log, "ab") as sink:
        status = "timed out" if returncode is None else f"exit {returncode}"
        sink.write(f"[{status} after {trio.current_time() - started:.1f}s]\n".encode())
    return Completed(tuple(argv), returncode, output, trio.current_time() - started)
