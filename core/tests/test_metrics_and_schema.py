"""Metrics under concurrent writers, the metrics summary, and the published schema."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from codex_core.testing import cli_path, make_repo, manifest_schema, run_cli, validate_manifest

ROOT = Path(__file__).resolve().parents[2]


def test_runs_finishing_concurrently_never_lose_a_metrics_line(tmp_path):
    config = '[pipelines.p]\nstages = [{ id = "a", command = "true" }, { id = "g", command = "true", guardrail = true }]\n'
    repo = make_repo(tmp_path / "repo", {"codex-core.toml": config})
    procs = [
        subprocess.Popen([str(cli_path()), "start", "p", "--repo", str(repo), "--task", "shared"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(8)
    ]  # fmt: skip
    assert [p.wait(timeout=120) for p in procs] == [0] * 8
    lines = (repo / ".runs/shared/metrics.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert len(entries) == 8 and len({e["run_id"] for e in entries}) == 8
    assert all(e["guardrails_present"] and e["commands_passed"] == 2 for e in entries)
    for path in (repo / ".runs/shared/cli").glob("*/manifest.json"):
        assert validate_manifest(path)["metrics_recorded"] is True


def test_metrics_summary_reports_malformed_lines_without_failing(tmp_path):
    config = '[pipelines.ok]\nstages = [{ id = "a", command = "true" }]\n[pipelines.bad]\nstages = [{ id = "a", command = "false" }]\n'
    repo = make_repo(tmp_path / "repo", {"codex-core.toml": config})
    for pipeline in ("ok", "ok", "ok", "bad"):
        run_cli("start", pipeline, "--repo", str(repo), "--task", "m")
    with (repo / ".runs/m/metrics.jsonl").open("a") as handle:
        handle.write("{not json\n")
        handle.write('{"run_id": "x"}\n')
    result = run_cli("metrics", "--task", "m", "--repo", str(repo), "--format", "json")
    assert result.returncode == 0
    report = result.json()
    summary = report["tasks"]["m"]
    assert (summary["transitions"], summary["succeeded"], summary["failed"]) == (4, 3, 1)
    assert summary["success_rate"] == 0.75 and summary["guardrail_coverage"] == 0.0
    assert summary["mean_duration_seconds"] > 0
    assert len(report["problems"]) == 2 and ":5: not valid JSON" in report["problems"][0]
    text = run_cli("metrics", "--repo", str(repo))
    assert text.returncode == 0 and "75%" in text.stdout and "not valid JSON" in text.stderr
    unknown = run_cli("metrics", "--task", "nope", "--repo", str(repo))
    assert unknown.returncode == 2


def test_docs_carry_the_same_schema_as_the_package():
    assert json.loads((ROOT / "docs" / "manifest.schema.json").read_text()) == manifest_schema()


def test_schema_rejects_what_the_issue_forbids(tmp_path):
    import jsonschema
    import pytest

    repo = make_repo(
        tmp_path / "repo",
        {"codex-core.toml": '[pipelines.p]\nstages = [{ id = "a", command = "true" }]\n'},
    )
    out = run_cli("start", "p", "--repo", str(repo), "--format", "json").json()
    good = json.loads(Path(out["manifest"]).read_text())
    validator = jsonschema.Draft202012Validator(
        manifest_schema(), format_checker=jsonschema.FormatChecker()
    )
    validator.validate(good)
    for field, value in [
        ("status", "done"),
        ("artifact_root", "/abs/path"),
        ("started_at", "yesterday"),
    ]:
        with pytest.raises(jsonschema.ValidationError):
            validator.validate({**good, field: value})


def test_older_manifests_and_unknown_fields_are_read_and_kept(tmp_path):
    from codex_core.serialization import manifest_from_dict, manifest_to_json

    original = {  # the original tool's shape: no version, an extra field of its own
        "task_id": "0001", "run_id": "2025-10-16T18-49-34Z", "pipeline_id": "diagnostics", "status": "succeeded",
        "commands": [{"index": 1, "id": "build", "status": "succeeded", "manifest_path": "x.json"}],
        "cloud_sync": {"state": "pending"},
    }  # fmt: skip
    manifest = manifest_from_dict(original, source="old.json")
    again = json.loads(manifest_to_json(manifest))
    assert again["version"] == 1
    assert again["cloud_sync"] == {"state": "pending"}
    assert again["commands"][0]["manifest_path"] == "x.json"
