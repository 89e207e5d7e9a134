"""Timestamps as codex-core writes them: RFC 3339, UTC, millisecond precision, ``Z`` suffix."""

from __future__ import annotations

import datetime as _dt
import time


def now() -> str:
    """The current time as ``2026-11-23T22:29:09.121Z``."""
    return format_timestamp(time.time())


def format_timestamp(seconds: float) -> str:
    moment = _dt.datetime.fromtimestamp(seconds, tz=_dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> float:
    """Seconds since the epoch for an RFC 3339 timestamp (``Z`` or an explicit offset)."""
    return _dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
