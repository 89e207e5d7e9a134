"""What ``status`` and ``runs`` report about a run, read from disk without importing trio.

A run whose directory exists but has no manifest yet (killed before its first write) reads as
``not-started``, not as corrupt. ``stale`` is true for a non-terminal run whose runner is gone or
whose heartbeat is older than ``heartbeat_stale_after_seconds``.
"""

from __future__ import annotations

import time
from typing import Any

from .clock import parse_timestamp
from .model import TERMINAL_RUN_STATUSES
from .runlock import runner_alive
from .serialization import read_manifest, unstructure
from .store import RunPaths

NOT_STARTED = "not-started"


def describe(paths: RunPaths) -> dict[str, Any]:
    """The ``status --format json`` object for one run."""
    alive = runner_alive(paths.dir)
    if not paths.manifest.exists():
        return {
            "run_id": paths.run_id, "task_id": paths.task_id, "status": NOT_STARTED, "status_detail": None,
            "pipeline_id": None, "commands": [], "heartbeat_age_seconds": None, "runner_alive": alive,
            "stale": not alive, "manifest": str(paths.manifest), "artifact_root": str(paths.dir),
        }  # fmt: skip
    m = read_manifest(paths.manifest)
    beat = m.heartbeat_at or m.updated_at
    age = round(max(0.0, time.time() - parse_timestamp(beat)), 3) if beat else None
    terminal = m.status in TERMINAL_RUN_STATUSES
    stale = not terminal and (not alive or age is None or age > m.heartbeat_stale_after_seconds)
    return {
        "run_id": m.run_id,
        "task_id": m.task_id,
        "pipeline_id": m.pipeline_id,
        "parent_run_id": m.parent_run_id,
        "status": m.status,
        "status_detail": m.status_detail,
        "attempt": m.attempt,
        "started_at": m.started_at,
        "updated_at": m.updated_at,
        "completed_at": m.completed_at,
        "heartbeat_at": m.heartbeat_at,
        "heartbeat_age_seconds": age,
        "runner_alive": alive,
        "stale": stale,
        "summary": m.summary,
        "manifest": str(paths.manifest),
        "artifact_root": str(paths.dir),
        "commands": [unstructure(c) for c in m.commands],
    }
