"""``codex-core run "GOAL"``: the ``implement`` pipeline for one goal, as a normal run.

The run is prepared and executed by the kernel exactly like ``codex-core start`` (manifest,
heartbeat, events, runner lock, resume token, progress on stderr); what ``run`` adds is the
pipeline, built for this goal with every option in its stages' options, so the pipeline snapshot
holds them and ``codex-core resume RUN --token ...`` carries on with the same goal. Options not
given fall back to ``[roles]`` in the repo's config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from codex_core.cli.output import emit_json, format_option, repo_option, resolve_repo
from codex_core.cli.running import (
    APPROVAL_POLICIES,
    override_options,
    overrides_from,
    run_in_foreground,
)

SANDBOX_MODES = ("read-only", "workspace-write", "danger-full-access")
#: the sandbox of the manager's and the reviewer's turns
READ_ONLY = "read-only"


def _report(prepared: Any, manifest: Any, output_format: str, backend: str) -> int:
    paths = prepared.paths
    build = next((c for c in manifest.commands if c.id == "build"), None)
    review = next((c for c in manifest.commands if c.id == "review"), None)
    diff = build.extra.get("diff_patch") if build is not None else None
    decision = (review.extra.get("review") or {}).get("decision") if review is not None else None
    if output_format == "json":
        emit_json({
            "run_id": manifest.run_id, "task_id": manifest.task_id, "status": manifest.status,
            "manifest": str(paths.manifest), "artifact_root": str(paths.dir),
            "summary": manifest.summary, "backend": backend, "diff_patch": diff, "decision": decision,
        })  # fmt: skip
    else:
        click.echo(f"run {manifest.run_id} ({manifest.task_id}): {manifest.status}")
        if manifest.summary:
            click.echo(manifest.summary)
        if diff:
            click.echo(f"diff: {diff}")
        if decision:
            click.echo(f"review: {decision}")
        click.echo(f"manifest: {paths.manifest}")
    return 0 if manifest.status == "succeeded" else 1


def _check_turn_options(agent: Any, kernel: Any, sandbox: str, approval_policy: str | None) -> None:
    """The sandbox and approval policy the run's turns will use, checked by a backend that can
    (``validate_turn_options``, as the Codex backends do against the installed Codex) before
    the run is prepared: a value it refuses is bad input (exit 2), not a failed stage later."""
    check = getattr(agent, "validate_turn_options", None)
    if check is not None:  # its ConfigError names the value and what the backend accepts
        sandboxes = tuple(dict.fromkeys((READ_ONLY, sandbox)))  # plan, review read; build writes
        check(kernel, sandboxes=sandboxes, approval_policy=approval_policy)


@click.command("run")
@click.argument("goal")
@click.option(
    "--backend", help="Agent backend (default: codex when installed with a binary, else agents)."
)
@click.option("--task", help="Task id (default: $CODEX_CORE_TASK, else 'default').")
@click.option(
    "--worktree",
    is_flag=True,
    default=None,
    help="Work in a fresh git worktree under the run dir; the checkout stays untouched.",
)
@click.option(
    "--sandbox",
    type=click.Choice(SANDBOX_MODES),
    help="What the agent may do (default: workspace-write).",
)
@click.option(
    "--approval-policy",
    type=click.Choice(APPROVAL_POLICIES),
    help="Recorded in the manifest and given to the backend.",
)
@click.option("--model", help="Model name given to the backend.")
@click.option(
    "--max-turns", type=click.IntRange(min=1), help="Budget: agent turns for the whole goal."
)
@click.option("--max-tokens", type=click.IntRange(min=1), help="Budget: tokens for the whole goal.")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    help="Budget: seconds the agent may work.",
)
@click.option(
    "--no-model-review",
    is_flag=True,
    help="The reviewer decides from the guardrails and tests only.",
)
@override_options("review")
@repo_option
@format_option
def run(goal: str, backend: str | None, task: str | None, worktree: bool | None, sandbox: str | None,
        approval_policy: str | None, model: str | None, max_turns: int | None, max_tokens: int | None,
        time_limit: float | None, no_model_review: bool, override: str | None, reason: str | None,
        approver: str | None, repo: Path, output_format: str) -> int:  # fmt: skip
    """Work on GOAL: the manager plans, the builder changes, the tester checks, the reviewer decides."""
    from codex_core import planning
    from codex_core.errors import UsageError
    from codex_core.ids import validate_id
    from codex_core.kernel import Kernel
    from codex_core.launch import prepare_run, task_from

    from .backends import load_backend, resolve_backend_name
    from .goal import check_options, goal_from_options, roles_section
    from .pipeline import PIPELINE_ID, implement_pipeline

    if not goal.strip():
        raise UsageError('the goal is empty: codex-core run "what to do"')
    repo = resolve_repo(repo)
    task_id = validate_id(task_from(task), "task id")
    overrides = overrides_from(override, reason, approver)
    kernel = Kernel.for_repo(repo)
    given = {
        "backend": backend, "sandbox": sandbox, "worktree": worktree, "model": model,
        "max_turns": max_turns, "max_tokens": max_tokens, "time_limit": time_limit,
        "model_review": False if no_model_review else None,
    }  # fmt: skip
    options = {**roles_section(kernel.config), **{k: v for k, v in given.items() if v is not None}}
    options["goal"] = goal
    options["backend"] = resolve_backend_name(kernel, options.get("backend"))
    agent = load_backend(kernel, options["backend"])  # an unknown one is bad input, before any run
    goal_options = goal_from_options(check_options(options, "run"))
    _check_turn_options(agent, kernel, goal_options.sandbox, approval_policy)
    pipeline = implement_pipeline(goal_options)
    planning.check(kernel, pipeline, chain=(pipeline.id,))
    prepared = prepare_run(
        kernel, PIPELINE_ID, pipeline=pipeline, task_id=task_id, overrides=overrides,
        approval_policy=approval_policy,
    )  # fmt: skip
    manifest = run_in_foreground(prepared)
    return _report(prepared, manifest, output_format, options["backend"])
