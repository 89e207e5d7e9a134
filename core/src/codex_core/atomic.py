"""Crash-safe file writes, the only way codex-core puts state on disk.

``write_atomic`` writes a temp file beside the target, fsyncs it, ``os.replace``-s it over the
target and fsyncs the directory, so a reader (or a runner killed at any instant) sees either the
old file or the new one, never a torn one. ``append_line`` appends one line to a shared log with a
single ``write()`` on an ``O_APPEND`` descriptor under an exclusive ``flock``, so lines from
concurrent processes never interleave or tear.

``AtomicBatch`` makes several atomic writes with the same guarantees but waits for their fsyncs
together: one fsync costs 1 ms on a quiet disk and 4-8 ms while other jobs write, and concurrent
fsyncs share one journal commit (5 files: 4.4 ms concurrently against 13 ms one after another on
this machine under load). Creating a run writes five files; doing so in one batch is what keeps
``start`` from waiting on the disk five times.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "AtomicBatch",
    "append_line",
    "append_line_to",
    "fsync_directory",
    "fsync_together",
    "open_for_append",
    "write_atomic",
]


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
    fd, tmp = _write_temp(target, data, mode)
    try:
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


def _write_temp(target: Path, data: bytes | str, mode: int) -> tuple[int, Path]:
    """Write ``data`` to a new temp file beside ``target``; returns its open descriptor and path."""
    payload = data.encode() if isinstance(data, str) else data
    # Unique per writer (threads of one process included), so concurrent writers never share one.
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode & 0o600)
    try:
        os.fchmod(fd, mode)  # exactly ``mode``, whatever the umask, before any byte is written
        view = memoryview(payload)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except BaseException:
        os.close(fd)
        _unlink_quietly(tmp)
        raise
    return fd, tmp


def fsync_together(fds: Sequence[int]) -> None:
    """fsync every descriptor, all at once (one thread each), and raise the first failure.

    Only the waits overlap: when this returns, every descriptor is synced, exactly as after
    calling ``os.fsync`` on each in turn.
    """
    if len(fds) <= 1:
        for fd in fds:
            os.fsync(fd)
        return
    errors: list[OSError] = []

    def sync(fd: int) -> None:
        try:
            os.fsync(fd)
        except OSError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sync, args=(fd,)) for fd in fds[1:]]
    for thread in threads:
        thread.start()
    sync(fds[0])
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


class AtomicBatch:
    """Several :func:`write_atomic` writes whose fsyncs are waited for together.

    :meth:`add` writes a file's temp copy at once. :meth:`commit` then fsyncs every temp copy
    (and the ``sync_first`` directories) concurrently, and only when all are on disk renames each
    over its target, in the order added, and fsyncs the directories they landed in (concurrently).
    So, as with one write_atomic after another, no target is replaced before every file of the
    batch is durable, a reader or a killed writer sees each file old or new and never torn, and
    a directory fsynced in ``sync_first`` (the run index) is durable before any file appears.
    A batch that is not committed leaves no trace (:meth:`abort`, or commit failing).
    """

    def __init__(self) -> None:
        self._files: list[tuple[int, Path, Path, bool]] = []

    def add(
        self, path: str | os.PathLike[str], data: bytes | str, *, mode: int = 0o644,
        sync_directory: bool = True,
    ) -> None:  # fmt: skip
        """Stage ``data`` for ``path``; ``sync_directory=False`` as for :func:`write_atomic`."""
        target = Path(path)
        try:
            fd, tmp = _write_temp(target, data, mode)
        except BaseException:
            self.abort()
            raise
        self._files.append((fd, tmp, target, sync_directory))

    def commit(
        self, sync_first: Sequence[str | os.PathLike[str]] = (), sync_fds: Sequence[int] = ()
    ) -> None:
        """Make the batch durable and visible; ``sync_fds`` (open files, say a log just appended
        to) are fsynced with the temp copies, so they too are on disk before any file appears."""
        dir_fds: list[int] = []
        try:
            for directory in sync_first:
                dir_fds.append(os.open(directory, os.O_RDONLY | os.O_DIRECTORY))
            fsync_together([fd for fd, *_ in self._files] + dir_fds + list(sync_fds))
        except BaseException:
            self.abort()
            raise
        finally:
            for fd in dir_fds:
                os.close(fd)
        files, self._files = self._files, []
        for fd, *_ in files:
            os.close(fd)
        try:
            for _, tmp, target, _ in files:
                os.replace(tmp, target)
        except BaseException:
            for _, tmp, _, _ in files:
                _unlink_quietly(tmp)
            raise
        directories = dict.fromkeys(t.parent for _, _, t, sync in files if sync)
        dir_fds = []
        try:
            for directory in directories:
                dir_fds.append(os.open(directory, os.O_RDONLY | os.O_DIRECTORY))
            fsync_together(dir_fds)
        finally:
            for fd in dir_fds:
                os.close(fd)

    def abort(self) -> None:
        """Drop every staged file (their temp copies are removed)."""
        files, self._files = self._files, []
        for fd, tmp, _, _ in files:
            os.close(fd)
            _unlink_quietly(tmp)


def append_line(path: str | os.PathLike[str], line: str, *, durable: bool = False) -> None:
    """Append ``line`` (a newline is added) to ``path`` safely under concurrent writers."""
    fd = open_for_append(path)
    try:
        append_line_to(fd, line, durable=durable)
    finally:
        os.close(fd)


def open_for_append(path: str | os.PathLike[str]) -> int:
    """A descriptor for :func:`append_line_to`, for a writer that appends many lines."""
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)


def append_line_to(fd: int, line: str, *, durable: bool = False) -> None:
    """:func:`append_line` on a descriptor from :func:`open_for_append`: same single ``write()``
    under ``flock``, without opening the file for every line (the runner's ``events.jsonl``)."""
    payload = (line.rstrip("\n") + "\n").encode()
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        os.write(fd, payload)
        if durable:
            os.fsync(fd)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
