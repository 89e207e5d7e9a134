"""The harness end to end on a fixture target: ``codex-core eval SCENARIO.toml`` as a real
subprocess, a real git work tree, a real venv made by uv with pytest in it, the target's own
pytest suite run before and after, real libcst codemods (the library's and misbehaving ones
from ``eval_helpers``). Nothing is scripted but the agent's model in the goal scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from codex_core.testing import make_repo, run_cli, validate_manifest
from eval_helpers import CALC, fixture_scenario, helper_env, project, scenario_file

#: each test makes a venv and runs a test suite twice: seconds each
pytestmark = pytest.mark.slow


def evaluate(repo: Path, *scenarios: Path, timeout: float = 300) -> Any:
    return run_cli("eval", *map(str, scenarios), "--repo", str(repo), "--format", "json", "-j", "1",
                   cwd=repo, env=helper_env(), timeout=timeout)  # fmt: skip


def result_of(repo: Path, out: dict[str, Any], scenario_id: str) -> dict[str, Any]:
    return json.loads(
        (Path(out["artifact_root"]) / "eval" / scenario_id / "result.json").read_text()
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"README.md": "runs live here\n"})


def test_a_passing_scenario_records_diff_tests_idempotence_and_a_run(tmp_path, repo):
    project(tmp_path / "project")
    scenario = fixture_scenario(tmp_path, ["super-call", "empty-collection-call"])
    result = evaluate(repo, scenario)
    assert result.returncode == 0, result
    out = result.json()
    assert out["ok"] and out["fixes"] == {"clean": 3, "attempted": 3, "rate": 1.0, "bar": 0.95}
    [row] = out["scenarios"]
    assert (row["scenario"], row["status"], row["files_changed"]) == ("tiny", "passed", 2)
    assert (row["tests_before"], row["tests_after"]) == (3, 3)

    details = result_of(repo, out, "tiny")
    assert details["diff"]["paths"] == ["pkg/calc.py", "pkg/shapes.py"]
    assert details["tests"]["regressions"] == [] and details["idempotent"] is True
    assert [r["counts"]["applied"] for r in details["second_pass"]] == [0, 0]
    super_call = details["assets"][0]
    assert super_call["asset"]["version"] == "1.0.0"
    assert [f["path"] for f in super_call["files"]] == ["pkg/shapes.py"]  # no-match skips left out
    patch = (Path(out["artifact_root"]) / "eval" / "tiny" / "diff.patch").read_text()
    assert '-        super(Square, self).__init__("square")' in patch
    assert '+        super().__init__("square")' in patch and "+    seen = []" in patch
    # The source is never touched.
    assert (tmp_path / "project" / "pkg" / "calc.py").read_text() == CALC

    manifest = validate_manifest(Path(out["artifact_root"]) / "manifest.json")
    assert (manifest["task_id"], manifest["pipeline_id"], manifest["status"]) == (
        "eval",
        "eval",
        "succeeded",
    )
    [stage] = manifest["commands"]
    assert (stage["id"], stage["status"]) == ("tiny", "succeeded")
    assert stage["eval"]["result"] == "eval/tiny/result.json"
    assert stage["eval"]["tests"]["after"]["passed"] == 3


def test_a_codemod_crashing_on_one_file_is_reported_and_the_rest_applies(tmp_path, repo):
    project(
        tmp_path / "project", **{"pkg/crash.py": "seen = 'CRASH_ME'\n", "pkg/more.py": "seen = 2\n"}
    )
    expected = fixture_scenario(tmp_path, ["eval_helpers:CrashOnMarker"], id="known", expect_failed=["pkg/crash.py"])  # fmt: skip
    unexpected = fixture_scenario(tmp_path, ["eval_helpers:CrashOnMarker"], id="unknown")
    result = evaluate(repo, expected, unexpected)
    assert result.returncode == 1, (
        result
    )  # one scenario failed; 4 clean of 6 fixes is below the bar
    out = result.json()
    rows = {r["scenario"]: r for r in out["scenarios"]}
    assert rows["known"]["status"] == "passed" and rows["unknown"]["status"] == "failed"
    assert "asset(s) failed on pkg/crash.py" in rows["unknown"]["why"]
    for scenario_id in ("known", "unknown"):
        details = result_of(repo, out, scenario_id)
        files = {f["path"]: f for f in details["assets"][0]["files"]}
        assert (files["pkg/crash.py"]["status"], files["pkg/crash.py"]["reason"]) == ("failed", "codemod-error")  # fmt: skip
        assert files["pkg/crash.py"]["error"] == "ValueError: asked to crash"
        assert files["pkg/calc.py"]["status"] == files["pkg/more.py"]["status"] == "applied"
    assert out["fixes"]["attempted"] == 6 and out["fixes"]["clean"] == 4
    manifest = validate_manifest(Path(out["artifact_root"]) / "manifest.json")
    statuses = {c["id"]: (c["status"], c.get("skip_reason")) for c in manifest["commands"]}
    assert statuses == {"known": ("succeeded", None), "unknown": ("skipped", "allowed-failure")}


def test_a_change_that_breaks_a_passing_test_fails_the_scenario(tmp_path, repo):
    project(tmp_path / "project")
    scenario = fixture_scenario(tmp_path, ["eval_helpers:BreakAdd"], id="breaks", min_files=1)
    result = evaluate(repo, scenario)
    assert result.returncode == 1, result
    details = result_of(repo, result.json(), "breaks")
    assert details["status"] == "failed"
    assert details["tests"]["regressions"] == ["tests.test_pkg::test_add"]
    assert (details["tests"]["before"]["passed"], details["tests"]["after"]["passed"]) == (3, 2)
    assert details["fixes"] == {"attempted": 1, "clean": 0}
    assert any("1 test(s) that passed before fail now" in p for p in details["problems"])


def test_a_codemod_that_changes_its_own_output_again_is_not_idempotent(tmp_path, repo):
    project(tmp_path / "project")
    scenario = fixture_scenario(tmp_path, ["eval_helpers:AppendMarker"], id="again")
    result = evaluate(repo, scenario)
    assert result.returncode == 1, result
    details = result_of(repo, result.json(), "again")
    assert details["idempotent"] is False and details["status"] == "failed"
    assert any(p.startswith("not idempotent: a second application changed pkg/") for p in details["problems"])  # fmt: skip


def test_a_target_whose_own_tests_fail_first_is_reported_and_not_scored(tmp_path, repo):
    project(
        tmp_path / "project", **{"tests/test_broken.py": "def test_broken():\n    assert False\n"}
    )
    scenario = fixture_scenario(tmp_path, ["super-call"], id="broken-baseline")
    result = evaluate(repo, scenario)
    assert result.returncode == 1, result  # reported, not scored: and nothing scored proves nothing
    out = result.json()
    assert out["ok"] is False
    [row] = out["scenarios"]
    assert row["status"] == "baseline-failed" and "tests.test_broken::test_broken" in row["why"]
    assert out["fixes"]["attempted"] == 0 and out["fixes"]["rate"] is None
    details = result_of(repo, out, "broken-baseline")
    assert "assets" not in details  # nothing was applied
    manifest = validate_manifest(Path(out["artifact_root"]) / "manifest.json")
    assert (manifest["commands"][0]["status"], manifest["commands"][0]["skip_reason"]) == ("skipped", "baseline-failed")  # fmt: skip


GOAL_SCENARIO = """\
    id = "goal"
    title = "an agent adds greet()"
    timeout = 300

    [target]
    path = "project"

    [tests]
    requires = ["{pytest}"]
    args = ["tests"]

    [goal]
    text = "Add a greet function"
    backend = "agents"
    env = {{ CODEX_CORE_AGENTS_MODEL = "scripted:{script}" }}

    [checks]
    diff_touches = ["greet.py"]
"""


def test_a_goal_scenario_runs_codex_core_run_and_checks_the_diff(tmp_path, repo):
    project(tmp_path / "project", **{
        "codex-core.toml": '[adapters.python]\ntest = "python3 -m unittest discover -q -s tests -p \'test_none*\'"\n',
    })  # fmt: skip
    script = tmp_path / "script.json"
    greet = "def greet(name):\n    return f'hello {name}'\n"
    script.write_text(json.dumps({"sessions": {
        "plan": [[{"message": json.dumps({"summary": "s", "items": [{"title": "Add greet()", "details": "d", "executable": True}]})}]],
        "build": [[{"handoff": "builder"}], [{"call": "write_file", "arguments": {"path": "greet.py", "content": greet}}], [{"message": "Added greet.py"}]],
        "review": [[{"handoff": "reviewer"}], [{"message": "APPROVE\\nFine."}]],
    }}))  # fmt: skip
    scenario = scenario_file(tmp_path / "goal.toml", GOAL_SCENARIO, script=script)
    result = evaluate(repo, scenario)
    assert result.returncode == 0, result
    details = result_of(repo, result.json(), "goal")
    assert details["status"] == "passed" and details["kind"] == "goal"
    assert details["goal"]["exit_code"] == 0
    goal_runs = Path(result.json()["artifact_root"]) / "eval" / "goal" / "goal-runs"
    kept = [validate_manifest(p) for p in goal_runs.glob("*/cli/*/manifest.json")]
    assert sorted(m["pipeline_id"] for m in kept) == [
        "diagnostics",
        "implement",
    ]  # run + its tester
    assert details["diff"]["paths"] == ["greet.py"]  # the goal's own .runs/ is not the change
    assert (details["tests"]["before"]["passed"], details["tests"]["after"]["passed"]) == (3, 3)
    assert (
        "+def greet(name):"
        in (Path(result.json()["artifact_root"]) / "eval" / "goal" / "diff.patch").read_text()
    )


def test_a_suite_past_its_timeout_is_killed_and_reported(tmp_path, repo):
    slow = "import time\n\n\ndef test_slow():\n    time.sleep(60)\n"
    project(tmp_path / "project", **{"tests/test_slow.py": slow})
    scenario = fixture_scenario(tmp_path, ["super-call"], id="slow")
    scenario.write_text(
        scenario.read_text().replace('args = ["tests"]', 'args = ["tests"]\ntimeout = 3')
    )
    result = evaluate(repo, scenario)
    assert result.returncode == 1, result  # the baseline never finished: reported, not scored
    details = result_of(repo, result.json(), "slow")
    assert details["status"] == "baseline-failed"
    assert details["tests"]["before"]["problem"] == "timed out after 3s"
    assert details["seconds"] < 40
