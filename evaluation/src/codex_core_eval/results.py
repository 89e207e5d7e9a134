"""A scenario's result, the summary table, and the action plan's bar.

The bar: at least 95% of automated fixes apply cleanly. A *fix* is one asset changing one file
(an ``applied`` file, or a ``failed`` one: an asset that crashed on a file, or whose output did
not compile, counts against the bar). A fix is *clean* when it applied without error and the
project's own tests still pass afterwards: when a scenario's tests regress, none of its fixes
counts as clean, since a suite cannot say which change broke it. Scenarios whose baseline
failed are reported and not scored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["BAR", "STATUSES", "clean_rate", "summary_rows", "table"]

BAR = 0.95
#: passed / failed: scored; baseline-failed: the target's own tests failed before anything ran;
#: error: the harness could not get that far (fetch, unpack, venv), reported, not scored
STATUSES = ("passed", "failed", "baseline-failed", "error")


def clean_rate(results: Iterable[Mapping[str, Any]]) -> tuple[int, int, float | None]:
    """``(clean, attempted, rate)`` over the scored asset scenarios; rate None when none tried."""
    clean = attempted = 0
    for result in results:
        fixes = result.get("fixes")
        if result.get("status") not in ("passed", "failed") or not fixes:
            continue
        clean += fixes["clean"]
        attempted += fixes["attempted"]
    return clean, attempted, (clean / attempted if attempted else None)


def summary_rows(results: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        tests = r.get("tests") or {}
        before, after = tests.get("before") or {}, tests.get("after") or {}
        files = r.get("file_counts") or {}
        diff = r.get("diff") or {}
        rows.append({
            "scenario": r["id"],
            "target": r.get("target", ""),
            "status": r["status"],
            "applied": files.get("applied", 0),
            "failed": files.get("failed", 0),
            "files_changed": diff.get("files", 0),
            "diff": f"+{diff.get('insertions', 0)} -{diff.get('deletions', 0)}" if diff else "",
            "tests_before": before.get("passed"),
            "tests_after": after.get("passed"),
            "seconds": r.get("seconds"),
            "why": "; ".join(r.get("problems") or []),
        })  # fmt: skip
    return rows


def table(results: list[Mapping[str, Any]]) -> str:
    """The summary for people: one line per scenario, then the bar."""
    rows = summary_rows(results)
    headers = ("scenario", "target", "status", "applied", "failed", "files_changed", "diff",
               "tests_before", "tests_after", "seconds")  # fmt: skip
    cells = [[str(h) for h in headers]] + [
        ["-" if row[h] is None else str(row[h]) for h in headers] for row in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells
    ]
    for row in rows:
        if row["why"]:
            lines.append(f"{row['scenario']}: {row['why']}")
    clean, attempted, rate = clean_rate(results)
    if rate is None:
        lines.append("fixes: none attempted")
    else:
        verdict = "meets" if rate >= BAR else "BELOW"
        lines.append(
            f"fixes applied cleanly: {clean}/{attempted} = {rate:.1%} ({verdict} the {BAR:.0%} bar)"
        )
    return "\n".join(lines)
