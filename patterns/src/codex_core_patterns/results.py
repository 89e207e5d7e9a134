"""What a run of the learning library reports: per-file results, findings, and the whole report.

Everything here is plain data (attrs, picklable, no libcst), shared by the worker processes, the
CLI, the stage kinds and the evaluation harness. ``Report.to_json()`` is the stable JSON shape of
``--format json`` and of a stage's result file.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Literal

import attrs

__all__ = ["APPLY_STATUSES", "LINT_STATUSES", "FileResult", "Finding", "Report"]

#: per-file statuses of ``apply``, in report order
APPLY_STATUSES = ("applied", "unchanged", "skipped", "failed")
#: per-file statuses of ``lint``
LINT_STATUSES = ("findings", "clean", "skipped", "failed")

# Skip reasons
NO_MATCH = "no-match"  # the precheck rules the file out: not parsed
SKIP_FILE = "skip-file"  # the codemod raised libcst's SkipFile
OUTSIDE_REPO = "outside-repo"  # a symlink found while walking that resolves outside the repo
CANCELLED = "cancelled"  # the run was cancelled before this file's turn
# Failure reasons
PARSE_ERROR = "parse-error"
CODEMOD_ERROR = "codemod-error"
#: the codemod's output does not compile on this interpreter (nothing was written)
INVALID_OUTPUT = "invalid-output"
RULE_ERROR = "rule-error"
READ_ERROR = "read-error"
WRITE_ERROR = "write-error"
WORKER_DIED = "worker-died"
WORKER_ERROR = "worker-error"


@attrs.frozen
class Finding:
    """One lint finding. ``line`` and ``column`` are 1-based; the end is exclusive."""

    rule: str
    rule_version: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class FileResult:
    """How one file went.

    ``status`` is one of :data:`APPLY_STATUSES` or :data:`LINT_STATUSES`; ``reason`` says why a
    file was skipped or failed; ``error`` is one line (the last line of the traceback) and
    ``traceback`` the whole of it; ``diff`` is the unified diff of an applied change (always
    computed under ``--dry-run``).
    """

    path: str
    status: str
    reason: str | None = None
    error: str | None = None
    traceback: str | None = None
    diff: str | None = None
    warnings: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "reason": self.reason,
            "error": self.error,
            "traceback": self.traceback,
            "warnings": list(self.warnings),
        }


@attrs.frozen
class Report:
    """The outcome of one ``apply`` or ``lint`` over a set of files.

    ``assets`` lists ``{"id", "kind", "version", "description"}`` of what ran. ``ok`` is False
    when a file failed, the run was cancelled or, for lint, there are findings; ``exit_code`` is
    the CLI's 0 / 1 for it.
    """

    operation: Literal["apply", "lint"]
    assets: tuple[dict[str, str], ...]
    root: Path
    files: tuple[FileResult, ...]
    jobs: int
    duration_seconds: float
    dry_run: bool = False
    cancelled: bool = False
    #: things worth saying that are not about one file (a rule plugin that failed to load)
    notes: tuple[str, ...] = ()

    @property
    def statuses(self) -> tuple[str, ...]:
        return APPLY_STATUSES if self.operation == "apply" else LINT_STATUSES

    @property
    def counts(self) -> dict[str, int]:
        seen = Counter(f.status for f in self.files)
        return {status: seen.get(status, 0) for status in self.statuses}

    @property
    def findings(self) -> list[Finding]:
        return [finding for f in self.files for finding in f.findings]

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.findings and not self.cancelled

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def summary(self) -> str:
        """One line: what ran and the counts (the stage summary, the CLI's last line)."""
        names = ", ".join(f"{a['id']} {a['version']}" for a in self.assets) or "no rules"
        counts = self.counts
        if self.operation == "lint":
            text = (
                f"{len(self.findings)} finding(s) in {counts['findings']} file(s), "
                f"{counts['clean']} clean, {counts['skipped']} skipped, {counts['failed']} failed"
            )
        else:
            text = ", ".join(f"{n} {status}" for status, n in counts.items())
        dry = " (dry run)" if self.dry_run else ""
        cancelled = " (cancelled)" if self.cancelled else ""
        return f"{names}{dry}: {text}{cancelled}"

    def to_json(self) -> dict[str, Any]:
        files = []
        for f in self.files:
            entry = f.to_json()
            if self.operation == "apply":
                entry["diff"] = f.diff
            else:
                entry["findings"] = len(f.findings)
            files.append(entry)
        data: dict[str, Any] = {
            "operation": self.operation,
            "assets": list(self.assets),
            "root": str(self.root),
            "dry_run": self.dry_run,
            "jobs": self.jobs,
            "duration_seconds": round(self.duration_seconds, 3),
            "ok": self.ok,
            "cancelled": self.cancelled,
            "counts": self.counts,
            "notes": list(self.notes),
            "files": files,
        }
        if self.operation == "lint":
            data["findings"] = [f.to_json() for f in self.findings]
        return data
