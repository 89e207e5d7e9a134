"""Starting a Codex process in its own process group, and ending it with everything it started.

Codex runs the model's commands as its own children (and, through the npm wrapper, runs as a
child of ``node``): signalling one PID would leave the rest. Each Codex process therefore starts a
new session, and stopping it signals the whole group: close its stdin (app-server and
mcp-server exit on EOF), wait a moment, TERM, wait, KILL.
"""

from __future__ import annotations

import codecs
import os
import re
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import trio

KILL_GRACE_SECONDS = 2.0
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TAIL_CHARS = 8 * 1024


async def spawn(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], stdin_pipe: bool = True
) -> trio.Process:
    """Start ``argv`` in a new session with piped stdout/stderr (and stdin, or /dev/null)."""
    return await trio.lowlevel.open_process(
        list(argv),
        cwd=os.fspath(cwd),
        env=dict(env),
        stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


async def stop(process: trio.Process, grace: float = KILL_GRACE_SECONDS) -> None:
    """End ``process`` and its group; call from a shielded scope when cleaning up."""
    if process.stdin is not None:
        try:
            await process.stdin.aclose()
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass
    with trio.move_on_after(grace):
        await process.wait()
    if _signal_group(process.pid, signal.SIGTERM):
        with trio.move_on_after(grace):
            await process.wait()
    _signal_group(process.pid, signal.SIGKILL)
    await process.wait()


def _signal_group(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


class StderrTail:
    """Copies a process's stderr to a log as it arrives and keeps its last few KiB."""

    def __init__(self, log: Callable[[str], None], prefix: str = "") -> None:
        self.log = log
        self.prefix = prefix
        self.text = ""

    async def pump(self, stream: trio.abc.ReceiveStream) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        async with stream:
            while chunk := await stream.receive_some(65536):
                text = _ANSI.sub("", decoder.decode(chunk))
                if text:
                    self.text = (self.text + text)[-TAIL_CHARS:]
                    self.log("".join(f"{self.prefix}{line}\n" for line in text.splitlines()))

    def last_lines(self, count: int = 5) -> str:
        return "\n".join(self.text.strip().splitlines()[-count:])


class LineReader:
    """Splits a byte stream into lines (JSONL transports: one message a line)."""

    def __init__(self, stream: trio.abc.ReceiveStream, max_line: int = 64 * 1024 * 1024) -> None:
        self.stream = stream
        self.buffer = bytearray()
        self.max_line = max_line

    async def next_line(self) -> bytes | None:
        """The next line without its newline, or None at end of stream."""
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line = bytes(self.buffer[:end])
                del self.buffer[: end + 1]
                return line
            if len(self.buffer) > self.max_line:
                raise ValueError(f"a line longer than {self.max_line} bytes")
            chunk = await self.stream.receive_some(65536)
            if not chunk:
                if self.buffer:
                    line = bytes(self.buffer)
                    self.buffer.clear()
                    return line
                return None
            self.buffer += chunk
