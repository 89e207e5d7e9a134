"""Evaluating one scenario, start to finish.

For an asset scenario:

1. the target is fetched (pinned sdist, sha256 checked) or copied, unpacked into a temp dir and
   committed as a baseline (the source is never touched);
2. a venv of its own gets the scenario's test requirements, and the target's own suite runs: a
   baseline that fails is reported ``baseline-failed`` and not scored;
3. the assets are applied in order with the learning library's runner (a file an asset fails on
   is reported and the rest go on), the diff against the baseline is recorded;
4. the suite runs again: every test that passed before must still pass;
5. the assets are applied a second time: nothing may change (idempotence).

A goal scenario runs ``codex-core run GOAL`` in the work tree instead of step 3, and checks the
diff touches what the scenario says; it skips step 5.

Everything lands in ``result_dir``: ``result.json``, ``diff.patch``, ``commands.log`` (every
subprocess with its output), and ``assets/<n>-<codemod>.json`` (each runner report).
"""

from __future__ import annotations

import functools
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trio
from codex_core.errors import CodexCoreError
from codex_core.gitdiff import DiffStat

from .fetch import fetch_sdist
from .proc import run
from .scenario import Asset, Scenario
from .suite import make_venv, run_suite
from .workspace import commit_baseline, copy_fixture, diff, unpack_sdist

__all__ = ["evaluate"]

#: at most this many test ids are listed in a result (the counts are always whole)
LISTED_TESTS = 50
Log = Callable[[str], None]


def _write_json(path: Path, data: Any) -> None:
    from codex_core.atomic import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(data, indent=2, default=str) + "\n")


async def _prepare_tree(scenario: Scenario, workdir: Path, cache: Path | None, log: Log) -> Path:
    target = scenario.target
    if target.path is not None:
        log(f"copying fixture {target.path}")
        return copy_fixture(target.path, workdir / "tree")
    assert target.name and target.version and target.sha256
    archive = await trio.to_thread.run_sync(
        functools.partial(fetch_sdist, target.name, target.version, target.sha256, cache=cache)
    )
    log(f"sdist {archive.name} (sha256 {target.sha256[:12]}...) from {archive.parent}")
    return await trio.to_thread.run_sync(unpack_sdist, archive, workdir / "src")


async def _apply(
    assets: tuple[Asset, ...], tree: Path, jobs: int | None, report_dir: Path | None, log: Log
) -> list[dict[str, Any]]:
    """Apply each asset in turn; returns each runner report's JSON (files without no-match skips)."""
    from codex_core_patterns.runner import apply_codemod, in_thread

    reports = []
    for n, asset in enumerate(assets, 1):
        report = await in_thread(
            lambda cancel, asset=asset: apply_codemod(
                tree, asset.codemod, list(asset.paths) or None, jobs=jobs,
                options=asset.options, cancel=cancel,
            )
        )  # fmt: skip
        data = report.to_json()
        log(f"{asset.codemod}: {report.summary()}")
        for failed in report.failed:
            log(f"  failed {failed.path}: {failed.reason}: {failed.error}")
        if report_dir is not None:
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in asset.codemod)[-80:]
            _write_json(report_dir / f"{n:02}-{safe}.json", data)
        reports.append({
            "codemod": asset.codemod,
            "asset": data["assets"][0],
            "counts": data["counts"],
            "cancelled": data["cancelled"],
            "files": [
                {k: f[k] for k in ("path", "status", "reason", "error")}
                for f in data["files"] if not (f["status"] == "skipped" and f["reason"] == "no-match")
            ],
        })  # fmt: skip
    return reports


def _listed(ids: set[str] | frozenset[str]) -> list[str]:
    return sorted(ids)[:LISTED_TESTS]


def _codex_core() -> str:
    """The ``codex-core`` script of this environment (beside its python), else on PATH."""
    beside = Path(sys.executable).parent / "codex-core"
    if beside.is_file():
        return str(beside)
    found = shutil.which("codex-core")
    if found is None:
        raise CodexCoreError("cannot find the codex-core command to run the goal with")
    return found


async def _run_goal(
    scenario: Scenario, tree: Path, result_dir: Path, log: Log
) -> tuple[int | None, str]:
    goal = scenario.goal
    assert goal is not None
    argv = [_codex_core(), "run", goal.text, "--repo", str(tree),
            "--format", "json", *(["--backend", goal.backend] if goal.backend != "auto" else []),
            *goal.args]  # fmt: skip
    log(f"goal: codex-core run {goal.text!r} --backend {goal.backend}")
    done = await run(argv, cwd=tree, log=result_dir / "commands.log", env=dict(goal.env), timeout=scenario.timeout)  # fmt: skip
    summary = done.output.strip().splitlines()[-1] if done.output.strip() else ""
    runs = tree / ".runs"
    if runs.is_dir():  # the goal's own run record (manifest, logs, diff) outlives the work tree
        kept = result_dir / "goal-runs"
        await trio.to_thread.run_sync(functools.partial(shutil.rmtree, kept, ignore_errors=True))
        await trio.to_thread.run_sync(functools.partial(shutil.copytree, runs, kept, symlinks=True))
    return done.returncode, summary


async def evaluate(
    scenario: Scenario,
    result_dir: Path,
    *,
    jobs: int | None = None,
    cache: Path | None = None,
    keep: bool = False,
    log: Log = lambda line: None,
) -> dict[str, Any]:
    """Evaluate ``scenario``; its result (also written to ``result_dir/result.json``)."""
    started = time.monotonic()
    result_dir.mkdir(parents=True, exist_ok=True)
    commands = result_dir / "commands.log"
    result: dict[str, Any] = {
        "id": scenario.id,
        "title": scenario.title,
        "kind": scenario.kind,
        "scenario_file": str(scenario.path),
        "target": scenario.target.describe(),
        "status": "error",
        "problems": [],
    }
    phases: dict[str, float] = {}
    workdir = Path(tempfile.mkdtemp(prefix=f"codex-core-eval-{scenario.id}-"))
    mark = time.monotonic()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.monotonic()
        phases[name] = round(now - mark, 2)
        mark = now

    try:
        tree = await _prepare_tree(scenario, workdir, cache, log)
        await commit_baseline(tree, commands)
        phase("prepare")
        python = await make_venv(workdir / "venv", scenario.tests.requires, commands)
        phase("venv")
        before = await run_suite(
            python, tree, scenario.tests, workdir / "junit-before.xml", commands
        )
        phase("tests_before")
        log(f"baseline tests: {before.counts()}")
        result["tests"] = {"before": before.to_json()}
        if not before.ok:
            result["status"] = "baseline-failed"
            why = (
                before.problem
                or f"{len(before.failed)} test(s) failed: {', '.join(_listed(before.failed)[:5])}"
            )
            result["problems"].append(f"the target's own tests fail before any change: {why}")
            return result
        if scenario.goal is not None:
            code, summary = await _run_goal(scenario, tree, result_dir, log)
            result["goal"] = {"exit_code": code, "output": summary}
            if code != 0:
                result["problems"].append(f"codex-core run ended with exit {code}: {summary}")
        else:
            reports = await _apply(scenario.assets, tree, jobs, result_dir / "assets", log)
            result["assets"] = reports
        phase("apply")
        stat = await diff(tree, commands, result_dir / "diff.patch")
        result["diff"] = stat.as_json()
        after = await run_suite(python, tree, scenario.tests, workdir / "junit-after.xml", commands)
        phase("tests_after")
        log(f"tests after: {after.counts()}")
        result["tests"]["after"] = after.to_json()
        regressed = before.passed - after.passed
        result["tests"]["regressions"] = _listed(regressed)
        result["tests"]["regression_count"] = len(regressed)
        if after.problem:
            result["problems"].append(f"tests after the change: {after.problem}")
        elif regressed:
            result["problems"].append(
                f"{len(regressed)} test(s) that passed before fail now: {', '.join(_listed(regressed)[:5])}"
            )
        _check_change(scenario, stat, result)
        if scenario.goal is None:
            _check_files(scenario, result)
            again = await _apply(scenario.assets, tree, jobs, None, log)
            phase("idempotence")
            reapplied = sorted(
                {f["path"] for r in again for f in r["files"] if f["status"] == "applied"}
            )
            result["idempotent"] = not reapplied
            result["second_pass"] = [
                {"codemod": r["codemod"], "counts": r["counts"]} for r in again
            ]
            if reapplied:
                result["problems"].append(
                    f"not idempotent: a second application changed {', '.join(reapplied[:5])}"
                )
            _score(result, tests_held=not after.problem and not regressed)
        result["status"] = "failed" if result["problems"] else "passed"
        return result
    except CodexCoreError as exc:
        result["problems"].append(str(exc))
        return result
    except (
        Exception
    ) as exc:  # a bug: recorded in the result too, then the stage shows the traceback
        result["problems"].append(f"harness error: {type(exc).__name__}: {exc}")
        raise
    finally:
        result["phases"] = phases
        result["seconds"] = round(time.monotonic() - started, 2)
        if keep:
            result["workdir"] = str(workdir)
        with trio.CancelScope(shield=True):
            _write_json(result_dir / "result.json", result)
            if not keep:
                await trio.to_thread.run_sync(
                    functools.partial(shutil.rmtree, workdir, ignore_errors=True)
                )


def _check_change(scenario: Scenario, stat: DiffStat, result: dict[str, Any]) -> None:
    checks = scenario.checks
    if stat.files < checks.min_files_changed:
        result["problems"].append(
            f"changed {stat.files} file(s); the scenario needs at least {checks.min_files_changed}"
        )
    missing = [p for p in checks.diff_touches if not any(c == p or c.startswith(p.rstrip("/") + "/") for c in stat.paths)]  # fmt: skip
    if missing:
        result["problems"].append(f"the change does not touch {', '.join(missing)}")


def _check_files(scenario: Scenario, result: dict[str, Any]) -> None:
    failed = {f["path"] for r in result["assets"] for f in r["files"] if f["status"] == "failed"}
    expected = set(scenario.checks.expect_failed)
    counts = {"applied": 0, "unchanged": 0, "skipped": 0, "failed": 0}
    for report in result["assets"]:
        for status, n in report["counts"].items():
            counts[status] = counts.get(status, 0) + n
    result["file_counts"] = counts
    result["expected_failures"] = sorted(failed & expected)
    if failed - expected:
        result["problems"].append(f"asset(s) failed on {', '.join(sorted(failed - expected)[:5])}")
    if expected - failed:
        result["problems"].append(
            f"expected to fail on {', '.join(sorted(expected - failed))} but did not:"
            " the regression case no longer holds, update the scenario"
        )
    if any(r["cancelled"] for r in result["assets"]):
        result["problems"].append("cancelled while applying")


def _score(result: dict[str, Any], *, tests_held: bool) -> None:
    applied = result["file_counts"]["applied"]
    failed = result["file_counts"]["failed"]
    result["fixes"] = {"attempted": applied + failed, "clean": applied if tests_held else 0}
