"""The ``eval-scenario`` stage kind: one scenario, evaluated inside a run.

``{ id = "boltons-string-formatting", kind = "eval-scenario", scenario = "path/to/file.toml",
jobs = 2 }``. The result lands under the run dir in ``eval/<scenario id>/`` (``result.json``,
``diff.patch``, ``commands.log``, each runner report), its figures in the stage record
(``eval``), and a line per step in the stage log.

A scenario that fails is a failed stage (reason ``scenario-failed``, the problems in the error
artifact); one whose baseline tests fail is ``skipped`` with ``skip_reason: baseline-failed``
(reported, not scored); one the harness could not set up (fetch, unpack, venv) fails with
reason ``scenario-error``. ``codex-core eval`` marks every stage ``allow_failure`` so one
scenario's failure does not stop the others.
"""

from __future__ import annotations

from typing import Any

from codex_core.errors import ConfigError
from codex_core.pipeline import StageSpec
from codex_core.stage_api import StageContext, StageOutcome

__all__ = ["ScenarioStage"]

RESULTS = "eval"


class ScenarioStage:
    def validate(self, spec: StageSpec, kernel: Any = None) -> None:
        unknown = set(spec.options) - {"scenario", "jobs"}
        if unknown:
            raise ConfigError(
                f"stage {spec.id!r}: unknown key(s) for an eval-scenario stage: {', '.join(sorted(unknown))}"
            )
        if not isinstance(spec.options.get("scenario"), str):
            raise ConfigError(
                f"stage {spec.id!r}: an eval-scenario stage needs 'scenario' (a file)"
            )
        jobs = spec.options.get("jobs")
        if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1):
            raise ConfigError(f"stage {spec.id!r}: 'jobs' must be a positive integer")
        from .scenario import load_scenario

        load_scenario(self._path(spec, kernel))

    @staticmethod
    def _path(spec: StageSpec, kernel: Any) -> Any:
        from pathlib import Path

        path = Path(spec.options["scenario"])
        if not path.is_absolute() and kernel is not None:
            path = kernel.repo / path
        return path

    async def run(self, ctx: StageContext) -> StageOutcome:
        from .harness import evaluate
        from .scenario import load_scenario

        scenario = load_scenario(self._path(ctx.spec, ctx.kernel))
        result_dir = ctx.run_dir / RESULTS / scenario.id
        result = await evaluate(
            scenario, result_dir, jobs=ctx.spec.options.get("jobs"),
            log=lambda line: ctx.log(line + "\n"),
        )  # fmt: skip
        record = {
            "eval": {
                "result": f"{RESULTS}/{scenario.id}/result.json",
                "status": result["status"],
                "target": result["target"],
                "diff": result.get("diff"),
                "fixes": result.get("fixes"),
                "tests": {k: v for k, v in (result.get("tests") or {}).items() if k in ("before", "after", "regression_count")},
            }
        }  # fmt: skip
        problems = "; ".join(result["problems"])
        if result["status"] == "passed":
            diff = result.get("diff") or {}
            return StageOutcome(
                "succeeded", record=record,
                summary=f"{scenario.target.describe()}: {diff.get('files', 0)} file(s) changed, tests held",
            )  # fmt: skip
        if result["status"] == "baseline-failed":
            return StageOutcome(
                "skipped", skip_reason="baseline-failed", summary=problems, record=record
            )
        reason = "scenario-failed" if result["status"] == "failed" else "scenario-error"
        return StageOutcome(
            "failed", reason=reason, summary=problems, record=record,
            details={"problems": result["problems"]},
        )  # fmt: skip
