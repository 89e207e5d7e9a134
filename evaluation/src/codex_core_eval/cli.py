"""``codex-core eval [SCENARIO...]``: evaluate scenarios as one run, then print the summary.

SCENARIO is the id of a shipped scenario, or a scenario file, or a folder of them; none means
every shipped scenario. The run (task ``eval`` unless ``--task``) has one ``eval-scenario``
stage per scenario, in id order, each ``allow_failure`` so every scenario gets its turn; the
results are under the run dir in ``eval/<id>/``. ``--jobs`` is the learning library runner's
worker count inside each scenario (scenarios run one after another: the target's own test
suite is the slow part, and two at once on a small machine make each one's timing
meaningless).

Exit codes: 0 at least one scenario was scored, every scored scenario passed and the fixes meet
the 95% bar; 1 otherwise (including a scenario the harness could not set up, and a run in which
every target's baseline failed); 2 bad input (an unknown scenario, an invalid scenario file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from codex_core.cli.output import emit_json, format_option, repo_option, resolve_repo

__all__ = ["eval_command"]


def _resolve(names: tuple[str, ...]) -> list[Path]:
    from codex_core.errors import UsageError

    from . import SCENARIOS

    if not names:
        return [SCENARIOS]
    paths = []
    for name in names:
        candidate = Path(name)
        if candidate.suffix == ".toml" or candidate.is_dir() or "/" in name:
            if not candidate.exists():
                raise UsageError(f"no scenario file or folder {name}")
            paths.append(candidate)
        elif (SCENARIOS / f"{name}.toml").is_file():
            paths.append(SCENARIOS / f"{name}.toml")
        else:
            shipped = sorted(p.stem for p in SCENARIOS.glob("*.toml"))
            raise UsageError(f"no shipped scenario {name!r} (shipped: {', '.join(shipped)})")
    return paths


def _pipeline(scenarios: list[Any], jobs: int | None) -> Any:
    from codex_core.pipeline import Pipeline, StageSpec

    stages = tuple(
        StageSpec(
            id=s.id, kind="eval-scenario", title=s.title or s.id, timeout=s.timeout,
            allow_failure=True, source="eval",
            options={"scenario": str(s.path), **({"jobs": jobs} if jobs else {})},
        )
        for s in scenarios
    )  # fmt: skip
    return Pipeline(id="eval", stages=stages, title="Evaluation", source="eval")


@click.command("eval")
@click.argument("scenarios", nargs=-1)
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), default=None,
    help="Worker processes for applying assets (default: the CPUs this process may use).",
)  # fmt: skip
@click.option("--task", help="Task id of the run (default: eval).")
@click.option("--list", "list_only", is_flag=True, help="List the scenarios; run nothing.")
@repo_option
@format_option
def eval_command(scenarios: tuple[str, ...], jobs: int | None, task: str | None, list_only: bool,
                 repo: Path, output_format: str) -> int:  # fmt: skip
    """Evaluate SCENARIOs (default: every shipped one) on their pinned targets."""
    from codex_core.ids import validate_id

    from .scenario import load_scenarios

    found = load_scenarios(_resolve(scenarios))
    if list_only:
        rows = [{"id": s.id, "kind": s.kind, "target": s.target.describe(), "title": s.title, "file": str(s.path)} for s in found]  # fmt: skip
        if output_format == "json":
            emit_json({"scenarios": rows})
        else:
            for row in rows:
                click.echo(
                    f"{row['id']}  {row['kind']}  {row['target']}  {row['title'] or ''}".rstrip()
                )
        return 0
    repo = resolve_repo(repo)
    task_id = validate_id(task or "eval", "task id")

    from codex_core import planning
    from codex_core.cli.running import run_in_foreground
    from codex_core.kernel import Kernel
    from codex_core.launch import prepare_run

    from .results import BAR, clean_rate, summary_rows, table

    kernel = Kernel.for_repo(repo)
    pipeline = _pipeline(found, jobs)
    planning.check(kernel, pipeline, chain=(pipeline.id,))
    prepared = prepare_run(kernel, pipeline.id, pipeline=pipeline, task_id=task_id)
    manifest = run_in_foreground(prepared)
    results = []
    for scenario in found:
        path = prepared.paths.dir / "eval" / scenario.id / "result.json"
        if path.is_file():
            results.append(json.loads(path.read_text()))
        else:  # the run stopped before this scenario (cancelled)
            results.append({"id": scenario.id, "target": scenario.target.describe(), "status": "not-run", "problems": []})  # fmt: skip
    clean, attempted, rate = clean_rate(results)
    scored = [r for r in results if r["status"] in ("passed", "failed")]
    ok = (
        manifest.status == "succeeded"
        and bool(scored)  # nothing scored proves nothing: every baseline failed, say
        and all(r["status"] in ("passed", "baseline-failed") for r in results)
        and (rate is None or rate >= BAR)
    )
    if output_format == "json":
        emit_json({
            "run_id": manifest.run_id, "task_id": manifest.task_id, "status": manifest.status,
            "artifact_root": str(prepared.paths.dir), "ok": ok,
            "fixes": {"clean": clean, "attempted": attempted, "rate": rate, "bar": BAR},
            "scenarios": summary_rows(results),
        })  # fmt: skip
    else:
        click.echo(table(results))
        click.echo(f"run {manifest.run_id} ({manifest.task_id}): {manifest.status}; results in {prepared.paths.dir / 'eval'}")  # fmt: skip
    return 0 if ok else 1
