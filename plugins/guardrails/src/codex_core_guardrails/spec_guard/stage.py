"""The ``spec-guard`` stage kind: the rules run inside a run, and what they found is recorded.

Options (beside the kernel's stage keys)::

    { id = "spec-guard", kind = "spec-guard", guardrail = true, base = "origin/main", dry_run = false }

``base`` is the ``--base`` of :mod:`.gitdiff`; ``dry_run`` reports findings without failing.
The stage ends:

- ``skipped`` (``skip_reason: no-specs``) when the repo has no spec index;
- ``succeeded`` with no findings, with findings in a dry run, or with findings and an override
  the run was started with (``start --override spec-guard --reason --approver``): the override
  becomes an approval carrying the findings, in ``approvals[]`` and ``.runs/approvals.jsonl``;
- ``failed`` (reason ``spec-findings``) otherwise, the findings in the error artifact's
  ``details.findings`` and the summary; a malformed index, config or base fails it with the
  error's code as the reason (``bad-spec-index``, ``bad-config``, ``bad-base``).

Every run leaves ``reports/NN-<stage id>.json`` (see :meth:`.rules.Report.to_json`) in the run dir.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from pathlib import Path
from typing import Any

from codex_core import StageOutcome, write_atomic
from codex_core.errors import ConfigError, UsageError

from .rules import Report, check
from .settings import settings_from, today_from

OPTIONS = {"base": str, "dry_run": bool}
REASON_FINDINGS = "spec-findings"
SKIP_NO_SPECS = "no-specs"


def report_path(run_dir: Path, index: int, stage_id: str) -> Path:
    """Where the stage at ``index`` writes its report (the CLI reads it back from there)."""
    return run_dir / "reports" / f"{index:02d}-{stage_id}.json"


class SpecGuardStage:
    """Entry point ``codex_core.stages:spec-guard``."""

    def validate(self, spec: Any) -> None:
        for key, value in spec.options.items():
            if key not in OPTIONS:
                raise ConfigError(
                    f"stage {spec.id!r}: unknown option {key!r} for a spec-guard stage "
                    f"(known: {', '.join(sorted(OPTIONS))})"
                )
            if not isinstance(value, OPTIONS[key]):
                raise ConfigError(f"stage {spec.id!r}: {key} must be a {OPTIONS[key].__name__}")

    async def run(self, ctx: Any) -> StageOutcome:
        import trio

        self.validate(ctx.spec)
        dry_run = bool(ctx.spec.options.get("dry_run", False))
        try:
            settings = settings_from(ctx.config)
            today = today_from(ctx.env)
            report = await trio.to_thread.run_sync(
                functools.partial(
                    check, ctx.repo, settings, base=ctx.spec.options.get("base"), today=today
                )
            )
        except UsageError as exc:  # bad index, config or base: not a finding, but no pass either
            ctx.log(f"spec guard: {exc}\n")
            return StageOutcome(
                "failed", summary=str(exc), reason=exc.code, details={"error": str(exc)}
            )
        if report is None:
            ctx.log(f"spec guard: no {settings.index} in the repository: nothing to guard\n")
            return StageOutcome(
                "skipped",
                skip_reason=SKIP_NO_SPECS,
                summary=f"no {settings.index}: no specs to guard",
            )
        target = report_path(ctx.run_dir, ctx.index, ctx.spec.id)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, json.dumps(report.to_json(), indent=2) + "\n", sync_directory=False)
        _log(ctx, report)
        return _outcome(ctx, report, dry_run)


def _log(ctx: Any, report: Report) -> None:
    ctx.log(f"spec guard: {len(report.specs)} spec(s) in {report.index}, today {report.today}\n")
    for note in report.notes:
        ctx.log(f"note: {note}\n")
    for finding in report.findings:
        ctx.log(finding.line() + "\n")


def _outcome(ctx: Any, report: Report, dry_run: bool) -> StageOutcome:
    specs = f"{len(report.specs)} spec(s)"
    if not report.findings:
        return StageOutcome("succeeded", summary=f"{specs} checked: no findings")
    findings = [f.to_json() for f in report.findings]
    counts = Counter(f.rule for f in report.findings)
    named = ", ".join(f"{rule} x{n}" if n > 1 else rule for rule, n in counts.items())
    found = f"{len(findings)} finding(s): {named}"
    if ctx.override is not None and ctx.record_approval is not None:
        approval = ctx.record_approval(findings)
        ctx.log(f"overridden: approved by {approval.approver} ({approval.reason})\n")
        return StageOutcome(
            "succeeded", summary=f"{found}; overridden, approved by {approval.approver}"
        )
    if dry_run:
        ctx.log("dry run: findings reported, not enforced\n")
        return StageOutcome("succeeded", summary=f"{found} (dry run, not enforced)")
    return StageOutcome(
        "failed",
        summary=found,
        reason=REASON_FINDINGS,
        details={"findings": findings, "base": report.base.to_json() if report.base else None},
    )
