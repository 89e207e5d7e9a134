"""The spec guard's rules: from the index, the specs and the git diff to a list of findings.

Rules (a finding's ``rule``):

``missing-spec``
    the index lists a spec whose file does not exist.
``unparsable-front-matter``
    the spec's front matter is not valid YAML or not a mapping (see :mod:`.specs`), or the file
    is not UTF-8; the message names the file and, where PyYAML gives it, the line.
``id-mismatch`` / ``status-mismatch``
    the front matter's ``id`` / ``status`` differs from the index entry's, or is not a string
    (``id: 0001`` is the YAML integer 1: quote it).
``missing-last-review``
    no ``last_review`` (or no front matter at all) on a spec that is not done or archived.
``unparsable-last-review``
    ``last_review`` is neither a YAML date nor a ``YYYY-MM-DD`` string (a time, ``23/11/2026``,
    ``2026-11-31``).
``future-last-review``
    ``last_review`` is more than a day after today (a typo would otherwise pass for years).
``stale-spec``
    ``last_review`` is more than ``max_age_days`` days before today (exactly that many passes).
``code-without-spec``
    code changed since the base, and neither the index, nor a spec it lists, nor a file matching
    ``spec_paths`` did.

A spec's status is its front matter's ``status``, else its index entry's; ``done`` and
``archived`` specs are exempt from the freshness rules (``missing-last-review``,
``unparsable-last-review``, ``future-last-review``, ``stale-spec``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .gitdiff import Base, changed_paths, resolve_base
from .settings import TERMINAL_STATUSES, Settings, parse_date
from .specs import FrontMatterError, SpecEntry, SpecIndex, load_index, parse_front_matter

RULES = (
    "missing-spec",
    "unparsable-front-matter",
    "id-mismatch",
    "status-mismatch",
    "missing-last-review",
    "unparsable-last-review",
    "future-last-review",
    "stale-spec",
    "code-without-spec",
)
_PREVIEW = 5  # changed files named in a code-without-spec message


@dataclass(frozen=True)
class Finding:
    """One problem: which rule, about which spec (id) or path, and what to do."""

    rule: str
    message: str
    spec: str | None = None
    path: str | None = None
    paths: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "spec": self.spec,
            "path": self.path,
            "message": self.message,
        }
        if self.paths:
            data["paths"] = list(self.paths)
        return data

    def line(self) -> str:
        """``rule  subject  message``: one finding, one line."""
        subject = " ".join(s for s in (self.spec, self.path) if s) or "-"
        return f"{self.rule}  {subject}  {self.message}"


@dataclass
class Report:
    """Everything one check found out, as recorded in the run (``reports/NN-<stage>.json``)."""

    index: str
    today: dt.date
    max_age_days: int
    specs: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    base: Base | None = None
    changed_code: list[str] = field(default_factory=list)
    changed_specs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "today": self.today.isoformat(),
            "max_age_days": self.max_age_days,
            "base": self.base.to_json() if self.base else None,
            "specs": self.specs,
            "changed": {"code": self.changed_code, "specs": self.changed_specs},
            "findings": [f.to_json() for f in self.findings],
            "notes": self.notes,
        }


def preflight(repo: Path, settings: Settings, *, base: str | None) -> None:
    """Raise now, before a run is created, for what ``check`` would reject as bad input."""
    index = load_index(repo, settings.index)
    if index is not None or base is not None:
        resolve_base(repo, base)


def check(repo: Path, settings: Settings, *, base: str | None, today: dt.date) -> Report | None:
    """Run every rule; None when the repo has no index (nothing to guard).

    Raises :class:`~.specs.SpecIndexError` for a malformed index and
    :class:`~.gitdiff.BaseRefError` for a base that does not exist: bad input, not findings.
    """
    index = load_index(repo, settings.index)
    if index is None:
        if base is not None:
            resolve_base(repo, base)  # a wrong --base is wrong even with nothing to guard
        return None
    report = Report(index=index.path, today=today, max_age_days=settings.max_age_days)
    report.base = resolve_base(repo, base)
    for entry in index.specs:
        report.findings.extend(_spec_findings(repo, entry, settings, today, report))
    if report.base is None:
        report.notes.append(f"{repo} is not a git work tree: the code-change rule was not checked")
    else:
        report.notes.append(f"changes compared against {report.base.description}")
        report.findings.extend(_change_findings(repo, index, settings, report))
    return report


def _spec_findings(
    repo: Path, entry: SpecEntry, settings: Settings, today: dt.date, report: Report
) -> list[Finding]:
    def finding(rule: str, message: str) -> Finding:
        return Finding(rule, message, spec=entry.id, path=entry.path)

    summary: dict[str, Any] = {
        "id": entry.id,
        "path": entry.path,
        "title": entry.title,
        "status": entry.status,
        "last_review": None,
    }
    report.specs.append(summary)
    file = repo / entry.path
    if not file.is_file():
        return [
            finding("missing-spec", f"listed in {report.index} but {entry.path} does not exist")
        ]
    try:
        front = parse_front_matter(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return [finding("unparsable-front-matter", f"{entry.path} is not UTF-8 text")]
    except FrontMatterError as exc:
        return [finding("unparsable-front-matter", f"{entry.path}: front matter {exc}")]
    front = front or {}
    found: list[Finding] = []
    front_id, front_status = front.get("id"), front.get("status")
    if _given(front_id) and not isinstance(front_id, str):
        found.append(finding("id-mismatch", _not_text("id", front_id, entry.id)))
    elif isinstance(front_id, str) and front_id and front_id != entry.id:
        found.append(finding("id-mismatch", f"front matter id {front_id!r}, index id {entry.id!r}"))
    status = front_status if isinstance(front_status, str) and front_status else entry.status
    if _given(front_status) and not isinstance(front_status, str):
        found.append(finding("status-mismatch", _not_text("status", front_status, entry.status)))
    elif (
        isinstance(front_status, str)
        and front_status
        and entry.status
        and front_status.lower() != entry.status.lower()
    ):
        found.append(
            finding(
                "status-mismatch",
                f"front matter status {front_status!r}, index status {entry.status!r}: make them agree",
            )
        )
    summary.update(status=status, last_review=_as_text(front.get("last_review")))
    if status is not None and status.lower() in TERMINAL_STATUSES:
        return found  # done or archived: no longer reviewed
    found.extend(_freshness(front, settings, today, finding))
    return found


def _freshness(
    front: dict[str, Any], settings: Settings, today: dt.date, finding: Any
) -> list[Finding]:
    if not front:
        return [
            finding("missing-last-review", "no front matter (between '---' lines) with last_review")
        ]
    value = front.get("last_review")
    if not _given(value):
        return [finding("missing-last-review", "front matter has no last_review")]
    reviewed = _review_date(value)
    if reviewed is None:
        shown = value.isoformat() if isinstance(value, dt.datetime) else repr(value)
        return [
            finding("unparsable-last-review", f"last_review {shown}: expected a date as YYYY-MM-DD")
        ]
    age = (today - reviewed).days
    if age < -1:
        return [
            finding(
                "future-last-review",
                f"last_review {reviewed.isoformat()} is after today ({today.isoformat()})",
            )
        ]
    if age > settings.max_age_days:
        return [
            finding(
                "stale-spec",
                f"last_review {reviewed.isoformat()} is {age} days old "
                f"(limit {settings.max_age_days}): review the spec and update last_review",
            )
        ]
    return []


def _given(value: Any) -> bool:
    """A front matter value other than nothing (``key:``), ``""`` or ``[]``."""
    return value is not None and value != "" and value != []


def _not_text(key: str, value: Any, indexed: str | None) -> str:
    index = f" (index {key} {indexed!r})" if indexed else ""
    return f"front matter {key} {value!r} is a YAML {type(value).__name__}, not a string{index}: quote it"


def _review_date(value: Any) -> dt.date | None:
    """``last_review`` as a date: a YAML date (not a date and time) or a YYYY-MM-DD string."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return parse_date(value)
        except ValueError:
            return None
    return None


def _as_text(value: Any) -> str | None:
    """A front matter value for the JSON report: dates as YYYY-MM-DD, nothing as None."""
    if not _given(value):
        return None
    if isinstance(value, dt.date):  # a datetime too
        return value.isoformat()
    return value if isinstance(value, str) else repr(value)


def _change_findings(
    repo: Path, index: SpecIndex, settings: Settings, report: Report
) -> list[Finding]:
    assert report.base is not None
    listed = {index.path, *(entry.path for entry in index.specs)}
    spec_globs, code_globs = settings.spec_globs, settings.code_globs
    for path in changed_paths(repo, report.base):
        if path.startswith(".runs/"):
            continue  # codex-core's own records
        if path in listed or spec_globs.match_file(path):
            report.changed_specs.append(path)
        elif code_globs.match_file(path):
            report.changed_code.append(path)
    if not report.changed_code or report.changed_specs:
        return []
    code = report.changed_code
    named = ", ".join(code[:_PREVIEW]) + (
        f" and {len(code) - _PREVIEW} more" if len(code) > _PREVIEW else ""
    )
    return [
        Finding(
            "code-without-spec",
            f"{len(code)} code file(s) changed since {report.base.ref} but no spec and not "
            f"{index.path}: {named}; update the spec the change belongs to (and its last_review), "
            "or override with a reason and an approver",
            paths=tuple(code),
        )
    ]
