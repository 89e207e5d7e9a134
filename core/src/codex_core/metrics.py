"""Summarising ``.runs/<task>/metrics.jsonl``: success rate, mean duration, guardrail coverage.

A malformed line is reported with its file and line number and otherwise skipped: one bad line
written by a crashed tool must not hide the rest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REQUIRED = (
    "run_id",
    "attempt",
    "status",
    "duration_seconds",
    "commands_passed",
    "commands_failed",
    "guardrails_present",
)


def read_lines(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    entries: list[dict[str, Any]] = []
    problems: list[str] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                problems.append(f"{path}:{number}: not valid JSON")
                continue
            missing = [k for k in REQUIRED if not isinstance(entry, dict) or k not in entry]
            if missing:
                problems.append(f"{path}:{number}: missing {', '.join(missing)}")
                continue
            entries.append(entry)
    return entries, problems


def summarise(entries: list[dict[str, Any]]) -> dict[str, Any]:
    total = len(entries)
    succeeded = sum(e["status"] == "succeeded" for e in entries)
    durations = [
        float(e["duration_seconds"])
        for e in entries
        if isinstance(e["duration_seconds"], int | float)
    ]
    guarded = sum(bool(e["guardrails_present"]) for e in entries)
    return {
        "transitions": total,
        "runs": len({e["run_id"] for e in entries}),
        "succeeded": succeeded,
        "failed": sum(e["status"] == "failed" for e in entries),
        "cancelled": sum(e["status"] == "cancelled" for e in entries),
        "success_rate": round(succeeded / total, 4) if total else None,
        "mean_duration_seconds": round(sum(durations) / len(durations), 3) if durations else None,
        "guardrail_coverage": round(guarded / total, 4) if total else None,
    }
