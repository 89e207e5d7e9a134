"""Ids that arrive from outside (task, run and stage ids) and the making of new run ids.

Every id is validated before any path is built from it: no ``/`` or ``\\``, no ``..``, no leading
dot, no control characters, no Windows device names, a bounded length and a plain character set.
Run ids look like ``2026-11-23T22-29-09-121Z-dc1c8501``: UTC time to the millisecond, then random
hex, so they sort by time as plain strings.
"""

from __future__ import annotations

import os
import re
import time

from .errors import InvalidIdError

MAX_ID_LENGTH = 128
_ALLOWED = re.compile(r"[A-Za-z0-9._-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"COM{i}" for i in range(10)]
    + [f"LPT{i}" for i in range(10)]
)
RUN_ID_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-[0-9a-f]{8}$")


def id_problem(value: object) -> str | None:
    """Say what is wrong with ``value`` as an id, or return None when it is safe."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty string"
    if len(value) > MAX_ID_LENGTH:
        return f"is longer than {MAX_ID_LENGTH} characters"
    if _CONTROL.search(value):
        return "contains a control character"
    if "/" in value or "\\" in value:
        return "contains a path separator"
    if ".." in value:
        return "contains '..'"
    if value.startswith("."):
        return "starts with a dot"
    if value.split(".", 1)[0].upper() in _WINDOWS_DEVICES:
        return "is a reserved device name"
    if not _ALLOWED.fullmatch(value):
        return "may only contain letters, digits, '.', '_' and '-'"
    return None


def validate_id(value: object, what: str = "id") -> str:
    """Return ``value`` if it is a safe id, else raise :class:`InvalidIdError` naming ``what``."""
    problem = id_problem(value)
    if problem is not None:
        raise InvalidIdError(f"invalid {what} {value!r}: {problem}")
    return value  # type: ignore[return-value]


def new_run_id(now_ns: int | None = None) -> str:
    """A fresh run id for the current time (or ``now_ns``, nanoseconds since the epoch)."""
    ns = time.time_ns() if now_ns is None else now_ns
    seconds, rest = divmod(ns, 1_000_000_000)
    stamp = time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime(seconds))
    return f"{stamp}-{rest // 1_000_000:03d}Z-{os.urandom(4).hex()}"
