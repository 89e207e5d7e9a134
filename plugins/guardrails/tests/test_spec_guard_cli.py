"""``codex-core spec-guard`` and the ``spec-guard`` stage in runs: exit codes, output, records,
overrides that become approvals, and repositories without specs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from codex_core.testing import make_repo, run_cli, validate_manifest
from spec_guard_helpers import (
    TODAY_ENV,
    entry,
    guard,
    guard_json,
    guard_text,
    index,
    manifest_of,
    no_runs,
    spec,
    spec_repo,
    write,
)

STALE = {"old": spec("old", last_review="2026-01-01")}


def test_findings_exit_1_and_are_recorded_in_the_error_artifact(tmp_path):
    repo = spec_repo(tmp_path / "repo", STALE)
    data = guard_json(repo, code=1)
    assert (data["status"], data["outcome"]) == ("failed", "findings")
    [finding] = data["findings"]
    assert finding == {
        "rule": "stale-spec",
        "spec": "old",
        "path": "tasks/specs/old.md",
        "message": "last_review 2026-01-01 is 326 days old (limit 30): review the spec and update last_review",
    }
    manifest = manifest_of(data)
    assert (manifest["pipeline_id"], manifest["status"]) == ("spec-guard", "failed")
    [record] = manifest["commands"]
    assert (record["id"], record["kind"], record["guardrail"], record["status"]) == (
        "spec-guard", "spec-guard", True, "failed",
    )  # fmt: skip
    assert record["summary"] == "1 finding(s): stale-spec" == data["summary"]
    assert record["reason"] == "spec-findings"
    artifact = json.loads((repo / record["error_file"]).read_text())
    assert artifact["reason"] == "spec-findings"
    assert artifact["details"]["findings"] == [finding]
    assert manifest["guardrail_status"]["failed"] == 1
    report = json.loads(Path(data["report"]).read_text())
    assert report["findings"] == [finding] and report["today"] == "2026-11-23"
    log = (repo / record["log_path"]).read_text()
    assert "stale-spec  old tasks/specs/old.md  last_review 2026-01-01" in log


def test_text_output_is_one_line_per_finding(tmp_path):
    repo = spec_repo(tmp_path / "repo", {**STALE, "undated": spec("undated", last_review=None)})
    result = guard_text(repo)
    assert result.returncode == 1, result
    lines = result.stdout.splitlines()
    assert (
        "missing-last-review  undated tasks/specs/undated.md  front matter has no last_review"
        in lines
    )
    assert any(
        line.startswith("stale-spec  old tasks/specs/old.md  last_review 2026-01-01")
        for line in lines
    )
    assert (
        "spec guard: 2 finding(s): fix them, or override with --override --reason TEXT --approver NAME"
        in lines
    )
    assert lines[-2].endswith(": failed") and lines[-1].startswith("manifest: ")


def test_dry_run_reports_and_exits_0(tmp_path):
    repo = spec_repo(tmp_path / "repo", STALE)
    data = guard_json(repo, "--dry-run", code=0)
    assert (data["status"], data["outcome"]) == ("succeeded", "dry-run")
    assert [f["rule"] for f in data["findings"]] == ["stale-spec"]
    record = manifest_of(data)["commands"][0]
    assert (
        record["status"] == "succeeded"
        and record["summary"] == "1 finding(s): stale-spec (dry run, not enforced)"
    )
    assert manifest_of(data)["approvals"] == []
    text = guard_text(repo, "--dry-run")
    assert text.returncode == 0 and "dry run: reported, not enforced" in text.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--override"], "--override needs both --reason and --approver"),
        (["--override", "--reason", "sprint"], "--override needs both --reason and --approver"),
        (["--override", "--approver", "lead"], "--override needs both --reason and --approver"),
        (["--override", "--reason", "  ", "--approver", "lead"], "needs both"),
        (["--reason", "sprint", "--approver", "lead"], "go with --override"),
        (["--override", "--reason", "r", "--approver", "a", "--dry-run"], "do not go together"),
    ],
)
def test_an_override_needs_a_reason_and_an_approver(tmp_path, args, needle):
    repo = spec_repo(tmp_path / "repo", STALE)
    result = guard(repo, *args)
    assert result.returncode == 2 and needle in result.json()["error"]["message"], result
    assert no_runs(repo) and not (repo / ".runs" / "approvals.jsonl").exists()


def test_an_override_passes_and_records_the_approval(tmp_path):
    repo = spec_repo(tmp_path / "repo", STALE)
    data = guard_json(
        repo, "--override", "--reason", "review booked for Monday", "--approver", "lead",
        code=0, env={"USER": "dev"},
    )  # fmt: skip
    assert (data["status"], data["outcome"]) == ("succeeded", "overridden")
    approval = data["approval"]
    assert (approval["actor"], approval["approver"], approval["reason"], approval["guardrail"]) == (
        "dev", "lead", "review booked for Monday", "spec-guard",
    )  # fmt: skip
    assert (
        approval["findings"] == data["findings"] and approval["findings"][0]["rule"] == "stale-spec"
    )
    manifest = validate_manifest(Path(data["manifest"]))
    [recorded] = manifest["approvals"]
    assert recorded == approval and recorded["timestamp"].endswith("Z")
    assert manifest["overrides"][0]["approver"] == "lead"
    assert manifest["guardrail_status"]["overridden"] == 1
    assert (
        manifest["commands"][0]["summary"]
        == "1 finding(s): stale-spec; overridden, approved by lead"
    )
    [line] = (repo / ".runs" / "approvals.jsonl").read_text().splitlines()
    logged = json.loads(line)
    assert logged["run_id"] == data["run_id"] and logged["findings"] == data["findings"]
    assert (logged["approver"], logged["reason"], logged["actor"]) == (
        "lead",
        "review booked for Monday",
        "dev",
    )
    # Append-only: a second override adds a line, never rewrites the first.
    guard_json(repo, "--override", "--reason", "again", "--approver", "lead", code=0)
    lines = (repo / ".runs" / "approvals.jsonl").read_text().splitlines()
    assert len(lines) == 2 and lines[0] == line
    text = guard_text(repo, "--override", "--reason", "r", "--approver", "boss")
    assert text.returncode == 0 and "1 finding(s) overridden, approved by boss: r" in text.stdout


def test_an_override_with_nothing_to_override_records_no_approval(tmp_path):
    repo = spec_repo(tmp_path / "repo")
    data = guard_json(repo, "--override", "--reason", "r", "--approver", "a", code=0)
    assert (data["outcome"], data["approval"]) == ("clean", None)
    assert manifest_of(data)["approvals"] == []
    assert not (repo / ".runs" / "approvals.jsonl").exists()


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (
            "{not json",
            "not valid JSON (Expecting property name enclosed in double quotes at line 1, column 2)",
        ),
        ('{"specs": {}}', "specs: expected a list of specs"),
        ('["a"]', 'expected an object like {"version": 1, "specs": [...]}'),
        ('{"version": 2, "specs": []}', "version: unsupported version 2"),
        ('{"specs": [{"id": "a"}]}', "specs[0].path: expected a repo-relative path, got None"),
        ('{"specs": [{"path": "a.md"}]}', "specs[0].id: expected a non-empty string"),
        (
            '{"specs": [{"id": "a", "path": "../a.md"}]}',
            "specs[0].path: expected a repo-relative POSIX path",
        ),
        (
            '{"specs": [{"id": "a", "path": "a.md"}, {"id": "a", "path": "b.md"}]}',
            "specs[1].id: 'a' appears twice",
        ),
        (
            '{"specs": [{"id": "a", "path": "a.md", "status": 3}]}',
            "specs[0].status: expected a string, got 3",
        ),
    ],
)
def test_a_malformed_index_is_bad_input(tmp_path, content, needle):
    repo = spec_repo(tmp_path / "repo")
    write(repo, {"tasks/index.json": content})
    result = guard_text(repo)
    assert result.returncode == 2, result
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {repo / 'tasks' / 'index.json'}: ") and needle in line, line
    assert guard(repo).json()["error"]["code"] == "bad-spec-index"
    assert no_runs(repo)


def test_a_spec_path_through_a_symlink_out_of_the_repo_is_bad_input(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = spec_repo(tmp_path / "repo")
    (repo / "tasks" / "escape").symlink_to(outside)
    write(repo, {"tasks/index.json": index(entry("x", path="tasks/escape/x.md"))})
    result = guard(repo)
    assert result.returncode == 2 and "leaves the repository" in result.json()["error"]["message"]


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        (
            "[guardrails.spec_guard]\nmax_age_days = -1\n",
            "guardrails.spec_guard.max_age_days: expected a whole number",
        ),
        ("[guardrails.spec_guard]\nmax_age_days = '30'\n", "max_age_days"),
        (
            "[guardrails.spec_guard]\ncode_paths = 'src/**'\n",
            "code_paths: expected a list of globs",
        ),
        (
            "[guardrails.spec_guard]\ncode_paths = ['../x/**']\n",
            "code_paths[0]: '..' would leave the repository",
        ),
        (
            "[guardrails.spec_guard]\nspec_paths = ['docs\\specs']\n",
            "spec_paths[0]: use / as the path separator",
        ),
        (
            "[guardrails.spec_guard]\ncode_paths = ['src/**', '# not a path']\n",
            "code_paths[1]: matches no path",
        ),
        ("[guardrails.spec_guard]\nmax_age = 3\n", "unknown key(s) max_age"),
        ("[guardrails]\nspec_guard = 3\n", "guardrails.spec_guard: expected a table"),
    ],
)
def test_a_malformed_config_is_bad_input_for_both_commands(tmp_path, toml, needle):
    repo = spec_repo(
        tmp_path / "repo",
        files={"codex-core.toml": toml, "pyproject.toml": "[project]\nname='x'\nversion='0'\n"},
    )
    result = guard(repo)
    assert result.returncode == 2 and needle in result.json()["error"]["message"], result
    assert f"{repo / 'codex-core.toml'}: " in result.json()["error"]["message"]
    started = run_cli("start", "--repo", str(repo), "--format", "json")
    assert started.returncode == 2 and needle in started.json()["error"]["message"], started
    assert no_runs(repo)


def test_a_bad_today_is_bad_input(tmp_path):
    repo = spec_repo(tmp_path / "repo")
    result = guard(repo, env={"CODEX_CORE_TODAY": "23.11.2026"})
    assert result.returncode == 2 and "CODEX_CORE_TODAY" in result.json()["error"]["message"]


def test_a_repo_without_an_index_gets_a_skipped_stage(tmp_path):
    repo = make_repo(tmp_path / "repo", {"src/app.py": "X = 1\n"})
    data = guard_json(repo, code=0)
    assert (data["status"], data["outcome"], data["findings"], data["report"]) == (
        "succeeded",
        "skipped",
        [],
        None,
    )
    record = manifest_of(data)["commands"][0]
    assert (record["status"], record["skip_reason"]) == ("skipped", "no-specs")
    assert record["summary"] == "no tasks/index.json: no specs to guard"
    text = guard_text(repo)
    assert (
        text.returncode == 0
        and "spec guard: skipped (no tasks/index.json: no specs to guard)" in text.stdout
    )


def test_start_in_a_fresh_python_repo_runs_diagnostics_with_a_skipped_spec_guard(tmp_path):
    repo = make_repo(tmp_path / "repo", {
        "pyproject.toml": '[project]\nname = "fresh"\nversion = "0.1.0"\n',
        "fresh.py": "def answer():\n    return 42\n",
    })  # fmt: skip
    plan = run_cli("plan", "--repo", str(repo), "--format", "json")
    assert plan.returncode == 0, plan
    guard_stage = plan.json()["stages"][-1]
    assert (guard_stage["id"], guard_stage["kind"], guard_stage["source"]) == (
        "spec-guard",
        "spec-guard",
        "codex-core-guardrails",
    )
    result = run_cli("start", "--repo", str(repo), "--format", "json")
    assert result.returncode == 0, result
    manifest = validate_manifest(Path(result.json()["manifest"]))
    assert manifest["status"] == "succeeded"
    records = {r["id"]: r for r in manifest["commands"]}
    assert list(records) == ["build", "lint", "test", "spec-guard"]
    assert records["build"]["status"] == "succeeded"
    assert (records["spec-guard"]["status"], records["spec-guard"]["skip_reason"]) == (
        "skipped",
        "no-specs",
    )
    assert records["spec-guard"]["guardrail"] is True
    assert (
        manifest["guardrail_status"]["present"] is True
        and manifest["guardrail_status"]["skipped"] == 1
    )


def test_start_with_stale_specs_fails_and_an_override_becomes_an_approval(tmp_path):
    repo = spec_repo(
        tmp_path / "repo", STALE, {"pyproject.toml": '[project]\nname = "p"\nversion = "0"\n'}
    )
    blocked = run_cli("start", "--repo", str(repo), "--format", "json", env=TODAY_ENV)
    assert blocked.returncode == 1, blocked
    manifest = validate_manifest(Path(blocked.json()["manifest"]))
    assert manifest["status_detail"] == "stage spec-guard failed (spec-findings)"
    record = manifest["commands"][-1]
    artifact = json.loads((repo / record["error_file"]).read_text())
    assert [f["rule"] for f in artifact["details"]["findings"]] == ["stale-spec"]

    passed = run_cli(
        "start", "--repo", str(repo), "--format", "json", "--override", "spec-guard",
        "--reason", "spec rewrite in review", "--approver", "lead", env={**TODAY_ENV, "USER": "dev"},
    )  # fmt: skip
    assert passed.returncode == 0, passed
    manifest = validate_manifest(Path(passed.json()["manifest"]))
    assert manifest["status"] == "succeeded"
    [approval] = manifest["approvals"]
    assert (approval["guardrail"], approval["approver"], approval["actor"]) == (
        "spec-guard",
        "lead",
        "dev",
    )
    assert [f["rule"] for f in approval["findings"]] == ["stale-spec"]
    logged = json.loads((repo / ".runs" / "approvals.jsonl").read_text().splitlines()[-1])
    assert logged["run_id"] == manifest["run_id"] and logged["reason"] == "spec rewrite in review"


def test_a_configured_pipeline_can_run_the_stage_with_options(tmp_path):
    repo = spec_repo(tmp_path / "repo", STALE, {"codex-core.toml": """
        [pipelines.specs]
        stages = [{ id = "specs", kind = "spec-guard", guardrail = true, dry_run = true, base = "HEAD" }]
        [pipelines.typo]
        stages = [{ id = "specs", kind = "spec-guard", dryrun = true }]
    """})  # fmt: skip
    result = run_cli("start", "specs", "--repo", str(repo), "--format", "json", env=TODAY_ENV)
    assert result.returncode == 0, result
    record = validate_manifest(Path(result.json()["manifest"]))["commands"][0]
    assert record["summary"] == "1 finding(s): stale-spec (dry run, not enforced)"
    typo = run_cli("start", "typo", "--repo", str(repo))
    assert typo.returncode == 2 and "unknown option 'dryrun'" in typo.stderr


def test_the_stage_kind_passes_the_conformance_check(tmp_path):
    from codex_core.testing import check_stage_kind

    data = check_stage_kind("spec-guard", spec_repo(tmp_path / "repo"))
    assert data["commands"][0]["status"] == "succeeded"
    skipped = check_stage_kind("spec-guard", make_repo(tmp_path / "bare"))
    assert skipped["commands"][0]["skip_reason"] == "no-specs"


def test_doctor_reports_the_index(tmp_path):
    from codex_core.config import load_config
    from codex_core_guardrails.spec_guard import SpecGuard

    repo = spec_repo(tmp_path / "repo")
    [ok] = SpecGuard().codex_doctor_checks(repo=repo, config=load_config(repo))
    assert (ok.ok, ok.detail) == (True, "tasks/index.json: 1 spec(s)")
    write(repo, {"tasks/index.json": "[]"})
    [bad] = SpecGuard().codex_doctor_checks(repo=repo, config=load_config(repo))
    assert bad.ok is False and "tasks/index.json" in bad.detail
