"""Is the runner alive? An exclusive ``flock`` held by the runner for its whole life.

A PID can be reused; a lock cannot outlive its process: the kernel drops it when the holder dies,
even on SIGKILL. The lock file's descriptor is close-on-exec, so no stage inherits it. Anyone else
(``status``, ``resume``) tries the lock without blocking: if they get it, the runner is gone.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from .errors import RunnerBusyError

LOCK_FILE = ".runner.lock"


class RunnerLock:
    """The held lock. ``fd`` may be handed to a detached child (it then shares the lock)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @classmethod
    def acquire(cls, run_dir: Path) -> RunnerLock:
        fd = os.open(run_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunnerBusyError(f"run {run_dir.name} has a live runner") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return cls(fd)

    @classmethod
    def adopt(cls, fd: int) -> RunnerLock:
        """Take over a lock descriptor inherited from the process that acquired it."""
        os.set_inheritable(fd, False)
        return cls(fd)

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def runner_alive(run_dir: Path) -> bool:
    """True while some process holds the run's lock."""
    try:
        fd = os.open(run_dir / LOCK_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
