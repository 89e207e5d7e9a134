"""``start`` and ``resume``: the commands that run pipelines (they import trio)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from ..errors import UsageError
from ..ids import validate_id
from .output import emit_json, format_option, repo_option, resolve_repo
from .running import (
    APPROVAL_POLICIES,
    override_options,
    overrides_from,
    run_in_foreground,
    spawn_detached,
)


def _check_policy(policy: str | None) -> str | None:
    if policy is not None and policy not in APPROVAL_POLICIES:
        raise UsageError(
            f"invalid approval policy {policy!r} (one of: {', '.join(APPROVAL_POLICIES)})"
        )
    return policy


def _report(paths: Any, manifest: Any, output_format: str) -> int:
    if output_format == "json":
        emit_json(
            {
                "run_id": manifest.run_id,
                "task_id": manifest.task_id,
                "status": manifest.status,
                "manifest": str(paths.manifest),
                "artifact_root": str(paths.dir),
                "summary": manifest.summary,
            }
        )
    else:
        click.echo(f"run {manifest.run_id} ({manifest.task_id}): {manifest.status}")
        if manifest.summary:
            click.echo(manifest.summary)
        click.echo(f"manifest: {paths.manifest}")
    return 0 if manifest.status in ("succeeded", "queued", "in_progress") else 1


@click.command()
@click.argument("pipeline", default="diagnostics")
@repo_option
@click.option("--task", help="Task id (default: $CODEX_CORE_TASK, else 'default').")
@click.option("--parent-run", "parent_run", help="Record this run as a child of run ID.")
@click.option(
    "--approval-policy", help=f"Recorded in the manifest ({', '.join(APPROVAL_POLICIES)})."
)
@click.option(
    "--detach", is_flag=True, help="Return once the run is queued; it goes on in the background."
)
@override_options()
@format_option
def start(pipeline: str, repo: Path, task: str | None, parent_run: str | None, approval_policy: str | None,
          detach: bool, override: str | None, reason: str | None, approver: str | None,
          output_format: str) -> int:  # fmt: skip
    """Start a run of PIPELINE (default: diagnostics) on the repository."""
    from ..kernel import Kernel
    from ..launch import prepare_run, task_from

    repo = resolve_repo(repo)
    task_id = validate_id(task_from(task), "task id")
    if parent_run is not None:
        validate_id(parent_run, "run id")
    overrides = overrides_from(override, reason, approver)
    kernel = Kernel.for_repo(repo)
    prepared = prepare_run(
        kernel,
        pipeline,
        overrides=overrides,
        task_id=task_id,
        parent_run_id=parent_run,
        approval_policy=_check_policy(approval_policy),
    )
    if detach:
        spawn_detached(prepared)
        return _report(prepared.paths, prepared.manifest, output_format)
    manifest = run_in_foreground(prepared)
    return _report(prepared.paths, manifest, output_format)


@click.command()
@click.argument("run")
@click.option("--token", required=True, help="The run's resume token (its .resume-token file).")
@click.option(
    "--actor",
    default=lambda: os.environ.get("USER", "unknown"),
    help="Who resumes (default: $USER).",
)
@click.option("--reason", help="Why, for the record.")
@repo_option
@click.option("--detach", is_flag=True, help="Resume in the background.")
@format_option
def resume(
    run: str,
    token: str,
    actor: str,
    reason: str | None,
    repo: Path,
    detach: bool,
    output_format: str,
) -> int:
    """Re-run the stages of RUN that did not succeed."""
    from ..kernel import Kernel
    from ..launch import prepare_resume

    repo = resolve_repo(repo)
    prepared = prepare_resume(Kernel.for_repo(repo), run, token=token, actor=actor, reason=reason)
    if detach:
        spawn_detached(prepared)
        return _report(prepared.paths, prepared.manifest, output_format)
    manifest = run_in_foreground(prepared)
    return _report(prepared.paths, manifest, output_format)
