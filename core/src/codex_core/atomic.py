"""Crash-safe file writes, the only way codex-core puts state on disk.

``write_atomic`` writes a temp file beside the target, fsyncs it, ``os.replace``-s it over the
target and fsyncs the directory, so a reader (or a runner killed at any instant) sees either the
old file or the new one, never a torn one. ``append_line`` appends one line to a shared log with a
single ``write()`` on an ``O_APPEND`` descriptor under an exclusive ``flock``, so lines from
concurrent processes never interleave or tear.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from pathlib import Path

__all__ = ["append_line", "fsync_directory", "write_atomic"]


def fsync_directory(directory: str | os.PathLike[str]) -> None:
    """Make a rename or a new entry in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(
    path: str | os.PathLike[str],
    data: bytes | str,
    *,
    mode: int = 0o644,
    durable: bool = True,
    sync_directory: bool = True,
) -> None:
    """Replace ``path`` with ``data`` atomically.

    The temp file is created with ``mode`` from the start (a resume token is never readable by
    others, not even for an instant) and fsynced before the rename, so even a power loss cannot
    leave an empty or torn file. ``sync_directory=False`` skips the directory fsync: after a
    power loss the rename may be lost and the previous version read instead, which is still a
    whole file (the runner uses that for intermediate manifest writes). ``durable=False`` skips
    both fsyncs, for files whose loss is harmless (the heartbeat file).
    """
    target = Path(path)
    payload = data.encode() if isinstance(data, str) else data
    # Unique per writer (threads of one process included), so concurrent writers never share one.
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode & 0o600)
    try:
        os.fchmod(fd, mode)  # exactly ``mode``, whatever the umask, before any byte is written
        view = memoryview(payload)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if durable:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(tmp)
        raise
    os.close(fd)
    try:
        os.replace(tmp, target)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    if durable and sync_directory:
        fsync_directory(target.parent)


def append_line(path: str | os.PathLike[str], line: str, *, durable: bool = False) -> None:
    """Append ``line`` (a newline is added) to ``path`` safely under concurrent writers."""
    payload = (line.rstrip("\n") + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            os.write(fd, payload)
            if durable:
                os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
