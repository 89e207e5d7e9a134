"""``codex-core spec-guard``: the spec guard from the command line, as a recorded one-stage run.

The command starts a real run (pipeline ``spec-guard``, one stage of kind ``spec-guard``) so that
findings, an override's approval and the exit status all land in a manifest like any other run's.
Bad input is refused before the run is created: a malformed index or config, a ``--base`` that
names no commit, an override without a reason or an approver (exit 2).

Exit codes: 0 clean, skipped (no index), dry run or overridden; 1 findings; 2 bad input.
This module is imported by every ``codex-core`` command (it contributes the command): it imports
nothing heavy at module level.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
from codex_core import hookimpl
from codex_core.cli.output import format_option, repo_option, resolve_repo

from . import STAGE_ID

PIPELINE_ID = "spec-guard"


@click.command("spec-guard")
@repo_option
@click.option(
    "--base",
    metavar="REF",
    help="Compare against the merge-base of REF and HEAD (default: the merge-base with the "
    "branch's upstream, else HEAD~1).",
)
@click.option("--dry-run", is_flag=True, help="Report findings but exit 0 (still recorded).")
@click.option(
    "--override",
    is_flag=True,
    help="Pass despite findings, with --reason and --approver; recorded in the manifest's "
    "approvals[] and .runs/approvals.jsonl.",
)
@click.option("--reason", help="Why the override is justified.")
@click.option("--approver", help="Who approved the override.")
@click.option("--task", help="Task id of the run (default: $CODEX_CORE_TASK, else 'default').")
@format_option
def spec_guard(
    repo: Path,
    base: str | None,
    dry_run: bool,
    override: bool,
    reason: str | None,
    approver: str | None,
    task: str | None,
    output_format: str,
) -> int:
    """Check that specs in tasks/index.json exist, are fresh, and change with the code."""
    from codex_core import validate_id
    from codex_core.kernel import Kernel
    from codex_core.launch import task_from

    from .rules import preflight
    from .settings import settings_from, today_from

    overrides = _overrides(override, reason, approver, dry_run)
    resolved = resolve_repo(repo)
    task_id = validate_id(task_from(task), "task id")
    kernel = Kernel.for_repo(resolved)
    settings = settings_from(kernel.config)
    today_from(os.environ)
    preflight(resolved, settings, base=base)  # bad index or base: exit 2, no run created
    result = _run(kernel, task_id, base, dry_run, overrides)
    return _print(result.manifest, result.artifact_root, output_format)


def _overrides(
    override: bool, reason: str | None, approver: str | None, dry_run: bool
) -> list[Any]:
    from codex_core import OverrideRequest, clock
    from codex_core.errors import UsageError

    if not override:
        if reason is not None or approver is not None:
            raise UsageError("--reason and --approver go with --override")
        return []
    if not (reason or "").strip() or not (approver or "").strip():
        raise UsageError("--override needs both --reason and --approver")
    if dry_run:
        raise UsageError("--override and --dry-run do not go together: a dry run enforces nothing")
    return [
        OverrideRequest(
            guardrail=STAGE_ID,
            reason=reason or "",
            approver=approver or "",
            actor=os.environ.get("USER") or "unknown",
            timestamp=clock.now(),
        )
    ]


def _run(kernel: Any, task_id: str, base: str | None, dry_run: bool, overrides: list[Any]) -> Any:
    from codex_core import Pipeline, start_run

    from . import spec_guard_stage

    options: dict[str, Any] = {"dry_run": dry_run}
    if base is not None:
        options["base"] = base
    pipeline = Pipeline(
        id=PIPELINE_ID,
        title="Spec guard",
        stages=(spec_guard_stage(**options),),
        source="codex-core spec-guard",
    )
    return start_run(kernel.repo, pipeline, task=task_id, kernel=kernel, overrides=overrides)


def _print(manifest: Any, run_dir: Path, output_format: str) -> int:
    from .stage import report_path

    record = manifest.commands[0]
    report_file = report_path(run_dir, record.index, record.id)
    report = json.loads(report_file.read_text()) if report_file.is_file() else None
    findings = report["findings"] if report else []
    approval = next((a for a in manifest.approvals if a.guardrail == STAGE_ID), None)
    outcome = _outcome(record, findings, approval)
    code = 0 if manifest.status == "succeeded" else 1
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "run_id": manifest.run_id,
                    "task_id": manifest.task_id,
                    "status": manifest.status,
                    "outcome": outcome,
                    "findings": findings,
                    "approval": _approval_json(approval) if approval else None,
                    "base": report["base"] if report else None,
                    "notes": report["notes"] if report else [],
                    "summary": record.summary,
                    "manifest": str(run_dir / "manifest.json"),
                    "report": str(report_file) if report else None,
                },
                indent=2,
            )
        )
        return code
    if outcome == "skipped":
        click.echo(f"spec guard: skipped ({record.summary})")
    elif outcome == "error":
        click.echo(f"spec guard: {record.summary}", err=True)
    else:
        for note in report["notes"] if report else []:
            click.echo(f"spec guard: {note}")
        for finding in findings:
            subject = " ".join(s for s in (finding["spec"], finding["path"]) if s) or "-"
            click.echo(f"{finding['rule']}  {subject}  {finding['message']}")
        click.echo(f"spec guard: {_verdict(outcome, len(findings), approval)}")
    click.echo(f"run {manifest.run_id} ({manifest.task_id}): {manifest.status}")
    click.echo(f"manifest: {run_dir / 'manifest.json'}")
    return code


def _outcome(record: Any, findings: list[Any], approval: Any) -> str:
    """clean, findings, dry-run, overridden, skipped, or error (the stage could not check)."""
    if record.status == "skipped":
        return "skipped"
    if record.status == "failed":
        return "findings" if findings else "error"
    if not findings:
        return "clean"
    return "overridden" if approval is not None else "dry-run"


def _verdict(outcome: str, count: int, approval: Any) -> str:
    if outcome == "clean":
        return "no findings"
    if outcome == "dry-run":
        return f"{count} finding(s) (dry run: reported, not enforced)"
    if outcome == "overridden":
        return f"{count} finding(s) overridden, approved by {approval.approver}: {approval.reason}"
    return (
        f"{count} finding(s): fix them, or override with --override --reason TEXT --approver NAME"
    )


def _approval_json(approval: Any) -> dict[str, Any]:
    return {
        "actor": approval.actor,
        "approver": approval.approver,
        "reason": approval.reason,
        "timestamp": approval.timestamp,
        "guardrail": approval.guardrail,
        "findings": approval.findings,
    }


class SpecGuardCommands:
    """Entry point ``codex_core.plugins:spec-guard-cli``: contributes ``codex-core spec-guard``."""

    @hookimpl
    def codex_cli_commands(self) -> list[click.Command]:
        return [spec_guard]


plugin = SpecGuardCommands()
