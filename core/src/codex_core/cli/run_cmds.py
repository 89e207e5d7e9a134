"""``start`` and ``resume``: the commands that run pipelines (they import trio)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from .. import clock
from ..errors import UsageError
from ..ids import validate_id
from ..model import OverrideRequest
from .output import emit_json, format_option, repo_option, resolve_repo

APPROVAL_POLICIES = ("untrusted", "on-failure", "on-request", "never")


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


def _spawn_detached(prepared: Any) -> None:
    """Hand the prepared run (and its lock) to a background runner process."""
    log = os.open(
        prepared.paths.runner_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644
    )
    try:
        subprocess.Popen(
            [sys.executable, "-m", "codex_core.engine.detached", str(prepared.kernel.repo), prepared.paths.run_id, str(prepared.lock.fd)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(prepared.lock.fd,),
            start_new_session=True, close_fds=True,
        )  # fmt: skip
    finally:
        os.close(log)
    prepared.lock.release()  # the child holds its own copy of the locked descriptor now


def _run_foreground(prepared: Any) -> Any:
    import trio

    from ..engine.runner import execute
    from .progress import make_progress

    prepared.kernel.register(make_progress(), name="codex-core-progress")
    from . import resume_collection

    resume_collection()  # start-up is over (see pause_collection)
    return trio.run(lambda: execute(prepared, handle_signals=True))


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
@click.option(
    "--override", metavar="GUARDRAIL",
    help="Let guardrail stage GUARDRAIL pass despite findings (with --reason and --approver; recorded in approvals[]).",
)  # fmt: skip
@click.option("--reason", help="Why the override is justified.")
@click.option("--approver", help="Who approved the override.")
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
    overrides = []
    if override is not None:
        if not (reason or "").strip() or not (approver or "").strip():
            raise UsageError(f"--override {override} needs both --reason and --approver")
        overrides.append(OverrideRequest(
            guardrail=validate_id(override, "guardrail name"), reason=reason or "", approver=approver or "",
            actor=os.environ.get("USER", "unknown"), timestamp=clock.now(),
        ))  # fmt: skip
    elif reason or approver:
        raise UsageError("--reason and --approver go with --override")
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
        _spawn_detached(prepared)
        return _report(prepared.paths, prepared.manifest, output_format)
    manifest = _run_foreground(prepared)
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
        _spawn_detached(prepared)
        return _report(prepared.paths, prepared.manifest, output_format)
    manifest = _run_foreground(prepared)
    return _report(prepared.paths, manifest, output_format)
