"""``plan``, ``status``, ``runs`` and ``metrics``: looking without running (no trio here)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..errors import UsageError
from ..ids import validate_id
from .output import emit_json, format_option, repo_option, resolve_repo


@click.command()
@click.argument("pipeline", default="diagnostics")
@repo_option
@format_option
def plan(pipeline: str, repo: Path, output_format: str) -> int:
    """Show the stages PIPELINE would run, without running anything."""
    from ..kernel import Kernel
    from ..model import SKIP_NO_COMMAND
    from ..planning import resolve

    repo = resolve_repo(repo)
    resolved = resolve(Kernel.for_repo(repo), pipeline)
    stages = [
        {
            "index": i, "id": s.id, "title": s.display_title, "kind": s.kind, "command": s.command,
            "pipeline": s.pipeline, "cwd": s.cwd, "timeout": s.timeout, "allow_failure": s.allow_failure,
            "guardrail": s.guardrail, "source": s.source,
            "skip_reason": SKIP_NO_COMMAND if s.kind == "command" and not s.command else None,
        }
        for i, s in enumerate(resolved.stages, start=1)
    ]  # fmt: skip
    if output_format == "json":
        emit_json(
            {
                "pipeline_id": resolved.id,
                "title": resolved.title,
                "source": resolved.source,
                "stages": stages,
            }
        )
        return 0
    click.echo(f"{resolved.id}: {resolved.title or ''} [{resolved.source}]".rstrip())
    for s in stages:
        if s["command"] or s["pipeline"]:
            what = s["command"] or f"-> {s['pipeline']}"
        else:
            what = "(skipped: no command)" if s["skip_reason"] == SKIP_NO_COMMAND else ""
        flags = "".join(
            [
                " [allow-failure]" if s["allow_failure"] else "",
                f" [timeout {s['timeout']:g}s]" if s["timeout"] else "",
            ]
        )
        click.echo(f"  {s['index']:>2}. {s['id']:<16} {s['kind']:<12} {what}{flags}")
    return 0


def _print_status(info: dict) -> None:
    age = info["heartbeat_age_seconds"]
    click.echo(f"run {info['run_id']}  task {info['task_id']}  pipeline {info.get('pipeline_id')}")
    detail = f" ({info['status_detail']})" if info.get("status_detail") else ""
    alive = "runner alive" if info["runner_alive"] else "runner gone"
    stale = ", STALE" if info["stale"] else ""
    beat = f"heartbeat {age:.1f}s ago, " if age is not None else ""
    click.echo(f"status: {info['status']}{detail} ({beat}{alive}{stale})")
    for c in info["commands"]:
        extra = (
            f" ({c['skip_reason']})"
            if c.get("skip_reason")
            else (f" ({c['summary']})" if c["status"] == "failed" and c.get("summary") else "")
        )
        took = f" {c['duration_seconds']:.2f}s" if c.get("duration_seconds") is not None else ""
        click.echo(f"  {c['index']:>2}. {c['id']:<16} {c['status']}{extra}{took}")


@click.command()
@click.argument("run")
@repo_option
@click.option(
    "--watch", is_flag=True, help="Keep reporting until the run ends (exit 0 if it succeeded)."
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    help="Seconds between reports.",
)
@format_option
def status(run: str, repo: Path, watch: bool, interval: float, output_format: str) -> int:
    """Report on RUN (a run id, or the path of its manifest or compatibility stub)."""
    from ..model import TERMINAL_RUN_STATUSES
    from ..status import describe
    from ..store import RunStore

    paths = RunStore(resolve_repo(repo)).locate(run)
    while True:
        info = describe(paths)
        if output_format == "json":
            emit_json(info)
        else:
            _print_status(info)
        terminal = info["status"] in TERMINAL_RUN_STATUSES
        if not watch:
            return 0
        if terminal:
            return 0 if info["status"] == "succeeded" else 1
        if not info["runner_alive"] and info["stale"]:
            click.echo(
                f"runner of {info['run_id']} is gone; resume it with `codex-core resume`", err=True
            )
            return 1
        time.sleep(interval)


@click.command()
@click.option("--task", help="Only this task's runs.")
@repo_option
@click.option("--limit", type=click.IntRange(min=1), help="At most this many runs.")
@format_option
def runs(task: str | None, repo: Path, limit: int | None, output_format: str) -> int:
    """List runs, newest first."""
    from ..errors import ManifestError
    from ..serialization import read_manifest
    from ..store import RunStore

    store = RunStore(resolve_repo(repo))
    if task is not None:
        validate_id(task, "task id")
    rows = []
    for paths in store.runs(task):
        if limit is not None and len(rows) >= limit:
            break
        row = {"run_id": paths.run_id, "task_id": paths.task_id, "manifest": str(paths.manifest)}
        try:
            m = read_manifest(paths.manifest)
            row.update(
                status=m.status,
                pipeline_id=m.pipeline_id,
                started_at=m.started_at,
                summary=m.summary,
            )
        except ManifestError as exc:
            row.update(
                status="not-started" if not paths.manifest.exists() else "unreadable",
                error=str(exc),
            )
        rows.append(row)
    if output_format == "json":
        emit_json({"runs": rows})
    else:
        for row in rows:
            click.echo(
                f"{row['run_id']}  {row['task_id']:<12} {row['status']:<12} {row.get('pipeline_id') or ''}"
            )
        if not rows:
            click.echo("no runs")
    return 0


@click.command()
@click.option("--task", help="Only this task (default: every task).")
@repo_option
@format_option
def metrics(task: str | None, repo: Path, output_format: str) -> int:
    """Summarise run metrics: success rate, mean duration, guardrail coverage."""
    from ..metrics import read_lines, summarise
    from ..store import RunStore

    store = RunStore(resolve_repo(repo))
    tasks = [validate_id(task, "task id")] if task else sorted(
        p.name for p in store.root.glob("*") if p.is_dir() and not p.name.startswith(".")
    ) if store.root.is_dir() else []  # fmt: skip
    report: dict = {"tasks": {}, "problems": []}
    everything: list = []
    for name in tasks:
        path = store.metrics_path(name)
        if not path.exists():
            continue
        entries, problems = read_lines(path)
        everything.extend(entries)
        report["tasks"][name] = summarise(entries)
        report["problems"].extend(problems)
    if task and task not in report["tasks"]:
        raise UsageError(f"no metrics for task {task!r}")
    report["overall"] = summarise(everything)
    if output_format == "json":
        emit_json(report)
        return 0
    for name, s in {**report["tasks"], "(all)": report["overall"]}.items():
        rate = f"{s['success_rate']:.0%}" if s["success_rate"] is not None else "-"
        cover = f"{s['guardrail_coverage']:.0%}" if s["guardrail_coverage"] is not None else "-"
        mean = (
            f"{s['mean_duration_seconds']:.2f}s" if s["mean_duration_seconds"] is not None else "-"
        )
        click.echo(
            f"{name:<14} {s['transitions']:>5} finished  success {rate:>5}  mean {mean:>8}  guardrails {cover:>5}"
        )
    for problem in report["problems"]:
        click.secho(f"warning: {problem}", fg="yellow", err=True)
    return 0
