"""The ``codemod`` and ``lint`` stage kinds in real pipeline runs, started with the real CLI."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from codex_core.testing import make_repo, run_cli, validate_manifest
from patterns_helpers import helper_env, temp_files

OLD = "class A(B):\n    def f(self):\n        return super(A, self).f()\n"
NEW = "class A(B):\n    def f(self):\n        return super().f()\n"
LOGS = "import logging\n\ndef f():\n    print('x')\n"


def repo_with(tmp_path: Path, toml: str, files: dict[str, str]) -> Path:
    return make_repo(tmp_path / "repo", {"codex-core.toml": textwrap.dedent(toml), **files})


def start(repo: Path, pipeline: str, *extra: str, env=None):
    result = run_cli(
        "start", pipeline, "--repo", str(repo), "--format", "json", "--task", "T-1", *extra, env=env
    )
    data = result.json()
    manifest = validate_manifest(Path(data["manifest"])) if "manifest" in data else None
    return result.returncode, data, manifest


def stage(manifest, stage_id):
    return next(c for c in manifest["commands"] if c["id"] == stage_id)


def test_a_codemod_stage_records_its_results_in_the_run(tmp_path):
    repo = repo_with(
        tmp_path,
        """
        [pipelines.modernise]
        stages = [{ id = "modernise", kind = "codemod", codemod = "super-call", paths = ["src"] }]
        """,
        {"src/a.py": OLD, "src/b.py": "x = 1\n", "other/c.py": OLD},
    )
    code, out, manifest = start(repo, "modernise")
    assert code == 0, out
    record = stage(manifest, "modernise")
    assert (record["kind"], record["status"]) == ("codemod", "succeeded")
    run_dir = Path(out["artifact_root"])
    rel = f".runs/T-1/cli/{out['run_id']}/codemods/modernise.json"
    assert (
        record["summary"]
        == f"super-call 1.0.0: 1 applied, 0 unchanged, 1 skipped, 0 failed ({rel})"
    )
    result = json.loads((run_dir / "codemods" / "modernise.json").read_text())
    assert result["stage"] == "modernise" and result["counts"]["applied"] == 1
    assert result["assets"][0]["version"] == "1.0.0"
    patch = (run_dir / "codemods" / "modernise.patch").read_text()
    assert patch.startswith("--- a/src/a.py\n+++ b/src/a.py\n")
    log = (repo / record["log_path"]).read_text()
    assert "applied    src/a.py" in log and record["summary"] in log
    assert (repo / "src/a.py").read_text() == NEW
    assert (repo / "other/c.py").read_text() == OLD  # outside the stage's paths
    assert temp_files(repo) == []


def test_a_file_that_fails_fails_the_stage_with_an_error_artifact(tmp_path):
    repo = repo_with(
        tmp_path,
        """
        [pipelines.modernise]
        stages = [
          { id = "modernise", kind = "codemod", codemod = "super-call" },
          { id = "after", command = "true" },
        ]
        """,
        {"a.py": OLD, "broken.py": "def f(:\n    super(A, self)\n"},
    )
    code, out, manifest = start(repo, "modernise")
    assert code == 1 and out["status"] == "failed"
    record = stage(manifest, "modernise")
    assert (record["status"], record["reason"]) == ("failed", "codemod-failed")
    assert stage(manifest, "after")["status"] == "pending"  # fail-fast
    artifact = json.loads((repo / record["error_file"]).read_text())
    assert artifact["reason"] == "codemod-failed"
    [failed] = artifact["details"]["failed"]
    assert failed["path"] == "broken.py" and failed["reason"] == "parse-error"
    assert artifact["details"]["counts"]["applied"] == 1
    assert (repo / "a.py").read_text() == NEW  # the others were still applied


def test_a_lint_stage_fails_on_findings_unless_allowed(tmp_path):
    repo = repo_with(
        tmp_path,
        """
        [pipelines.strict]
        stages = [{ id = "prints", kind = "lint", rules = ["print-logger"] }]

        [pipelines.lenient]
        stages = [
          { id = "prints", kind = "lint", allow_failure = true },
          { id = "after", command = "true" },
        ]
        """,
        {"pkg/m.py": LOGS, "pkg/clean.py": "x = 1\n"},
    )
    code, out, manifest = start(repo, "strict")
    assert code == 1
    record = stage(manifest, "prints")
    assert (record["status"], record["reason"]) == ("failed", "lint-findings")
    artifact = json.loads((repo / record["error_file"]).read_text())
    assert artifact["details"]["findings"] == 1
    assert artifact["details"]["first_findings"][0]["path"] == "pkg/m.py"
    run_dir = Path(out["artifact_root"])
    sarif = json.loads((run_dir / "lint" / "prints.sarif").read_text())
    assert sarif["version"] == "2.1.0" and len(sarif["runs"][0]["results"]) == 1
    assert "pkg/m.py:4:5: print-logger" in (repo / record["log_path"]).read_text()

    code, out, manifest = start(repo, "lenient")
    assert code == 0, out
    record = stage(manifest, "prints")
    assert (record["status"], record["skip_reason"]) == ("skipped", "allowed-failure")
    assert record["error_file"] and stage(manifest, "after")["status"] == "succeeded"


def test_a_dry_run_stage_changes_nothing_and_logs_the_diff(tmp_path):
    repo = repo_with(
        tmp_path,
        """
        [pipelines.preview]
        stages = [{ id = "preview", kind = "codemod", codemod = "super-call", dry_run = true, jobs = 1 }]
        """,
        {"a.py": OLD},
    )
    code, out, manifest = start(repo, "preview")
    assert code == 0, out
    record = stage(manifest, "preview")
    assert "(dry run): 1 applied" in record["summary"]
    assert "+        return super().f()" in (repo / record["log_path"]).read_text()
    assert (repo / "a.py").read_text() == OLD


def test_codemod_options_and_an_external_codemod_reach_the_workers(tmp_path):
    repo = repo_with(
        tmp_path,
        """
        [pipelines.events]
        stages = [
          { id = "bus", kind = "codemod", codemod = "event-emit", options = { receivers = ["hub"] } },
          { id = "rename", kind = "codemod", codemod = "patterns_helpers:RenameX", paths = ["lib"] },
        ]
        """,
        {
            "a.py": 'hub.emit("x", p)\nbus.emit("y", q)\n',
            "lib/r.py": "x = 'RAISE_ME'\n",
            "lib/s.py": "x = 2\n",
        },
    )
    code, _out, manifest = start(repo, "events", env=helper_env())
    assert code == 1
    assert (
        repo / "a.py"
    ).read_text() == 'hub.emit({"type": "x", "payload": p})\nbus.emit("y", q)\n'
    record = stage(manifest, "rename")
    assert record["reason"] == "codemod-failed"
    artifact = json.loads((repo / record["error_file"]).read_text())
    assert artifact["details"]["failed"] == [
        {"path": "lib/r.py", "reason": "codemod-error", "error": "ValueError: asked to raise"}
    ]
    assert (repo / "lib/s.py").read_text() == "y = 2\n"


def test_a_timed_out_codemod_stage_stops_cleanly(tmp_path):
    files = {f"f{i:02}.py": "x = 'SLOW_ME'\n" for i in range(30)}
    repo = repo_with(
        tmp_path,
        """
        [pipelines.slow]
        stages = [{ id = "slow", kind = "codemod", codemod = "patterns_helpers:RenameX", jobs = 1, timeout = 4 }]
        """,
        files,
    )
    code, out, manifest = start(repo, "slow", env=helper_env())
    assert code == 1
    record = stage(manifest, "slow")
    assert (record["status"], record["reason"]) == ("failed", "timed-out")
    texts = {(repo / name).read_text() for name in files}
    assert texts <= {"x = 'SLOW_ME'\n", "y = 'SLOW_ME'\n"}  # each file old or new, none torn
    assert "x = 'SLOW_ME'\n" in texts  # stopped before the end
    assert temp_files(repo) == []
    # What was done before the timeout is on record.
    result = json.loads((Path(out["artifact_root"]) / "codemods" / "slow.json").read_text())
    applied = {f["path"] for f in result["files"] if f["status"] == "applied"}
    assert result["cancelled"] is True
    assert applied == {name for name in files if (repo / name).read_text() == "y = 'SLOW_ME'\n"}


def test_bad_stage_configuration_is_refused_at_plan_time(tmp_path):
    repo = repo_with(
        tmp_path,
        """
        [pipelines.unknown]
        stages = [{ id = "x", kind = "codemod", codemod = "no-such-codemod" }]

        [pipelines.missing]
        stages = [{ id = "x", kind = "codemod" }]

        [pipelines.typo]
        stages = [{ id = "x", kind = "codemod", codemod = "super-call", path = ["src"] }]

        [pipelines.badrule]
        stages = [{ id = "x", kind = "lint", rules = ["nope"] }]

        [pipelines.badoption]
        stages = [{ id = "x", kind = "codemod", codemod = "event-emit", options = { colour = "red" } }]

        [pipelines.badjobs]
        stages = [{ id = "x", kind = "codemod", codemod = "super-call", jobs = 0 }]
        """,
        {"a.py": OLD},
    )
    for pipeline, message in [
        ("unknown", "no codemod named 'no-such-codemod'"),
        ("missing", "needs 'codemod'"),
        ("typo", "unknown key(s) for a codemod stage: path"),
        ("badrule", "no lint rule named 'nope'"),
        ("badoption", "event-emit has no option 'colour' (options: receivers)"),
        ("badjobs", "'jobs' must be a positive integer"),
    ]:
        result = run_cli("plan", pipeline, "--repo", str(repo))
        assert result.returncode == 2, (pipeline, result)
        assert message in result.stderr, (pipeline, result.stderr)
    assert (repo / "a.py").read_text() == OLD
