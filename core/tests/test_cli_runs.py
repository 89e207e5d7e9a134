"""The ``codex-core`` command end to end, as a user runs it (real subprocesses, real repos)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from codex_core.testing import cli_path, run_cli, validate_manifest
from kernel_helpers import events, manifest, process_alive, repo_with_config

PIPELINES = """
[pipelines.ok]
title = "All good"
stages = [{ id = "a", command = "echo a" }, { id = "b", command = "echo b" }]

[pipelines.gate]
stages = [
  { id = "first", command = "echo first >> first.count" },
  { id = "needs-flag", command = "test -f flag" },
  { id = "last", command = "echo last" },
]

[pipelines.slow]
stages = [{ id = "nap", command = "sleep 30" }, { id = "after", command = "true" }]

[pipelines.steps]
stages = [
  { id = "s1", command = "sleep 0.6" },
  { id = "s2", command = "sleep 0.6" },
  { id = "s3", command = "true" },
]
"""


@pytest.fixture
def repo(tmp_path):
    return repo_with_config(tmp_path, PIPELINES)


def start_json(repo: Path, *args: str, **kw) -> tuple[int, dict]:
    result = run_cli("start", *args, "--repo", str(repo), "--format", "json", **kw)
    return result.returncode, result.json()


def wait_for(predicate, timeout=15.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


def test_start_prints_one_json_object_and_writes_the_run(repo):
    code, out = start_json(repo, "ok", "--task", "T-1")
    assert code == 0
    assert set(out) == {"run_id", "task_id", "status", "manifest", "artifact_root", "summary"}
    assert (out["task_id"], out["status"]) == ("T-1", "succeeded")
    run_dir = Path(out["artifact_root"])
    assert run_dir == repo / ".runs" / "T-1" / "cli" / out["run_id"]
    data = validate_manifest(Path(out["manifest"]))
    assert data["artifact_root"] == f".runs/T-1/cli/{out['run_id']}"
    assert [c["log_path"] for c in data["commands"]] == [
        f".runs/T-1/cli/{out['run_id']}/commands/01-a.log", f".runs/T-1/cli/{out['run_id']}/commands/02-b.log"
    ]  # fmt: skip
    token = (run_dir / ".resume-token").read_text().strip()
    assert len(token) == 64 and int(token, 16) >= 0
    assert oct((run_dir / ".resume-token").stat().st_mode & 0o777) == "0o600"
    stub = json.loads(
        (repo / ".runs" / "T-1" / "mcp" / out["run_id"] / "manifest.json").read_text()
    )
    assert set(stub) == {"redirect_to", "manifest", "created_at", "note"}
    assert stub["manifest"] == data["artifact_root"] + "/manifest.json"
    assert (
        subprocess.run(
            ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True
        ).stdout
        == ""
    )


def test_task_comes_from_the_environment(repo):
    code, out = start_json(repo, "ok", env={"CODEX_CORE_TASK": "from-env"})
    assert (code, out["task_id"]) == (0, "from-env")


def test_text_output_and_plain_progress_when_piped(repo):
    result = run_cli("start", "ok", "--repo", str(repo))
    assert result.returncode == 0
    assert "[1/2] a: succeeded" in result.stderr and "[2/2] b: succeeded" in result.stderr
    assert "succeeded" in result.stdout and "manifest:" in result.stdout


def test_failed_run_exits_1_and_status_reports_it(repo):
    code, out = start_json(repo, "gate")
    assert (code, out["status"]) == (1, "failed")
    status = run_cli("status", out["run_id"], "--repo", str(repo), "--format", "json")
    assert status.returncode == 0
    info = status.json()
    for key in (
        "run_id",
        "status",
        "status_detail",
        "commands",
        "heartbeat_age_seconds",
        "runner_alive",
        "stale",
    ):
        assert key in info
    assert (
        info["status"] == "failed"
        and info["status_detail"] == "stage needs-flag failed (command-failed)"
    )
    assert info["runner_alive"] is False and info["stale"] is False
    assert [c["status"] for c in info["commands"]] == ["succeeded", "failed", "pending"]
    watch = run_cli("status", out["run_id"], "--repo", str(repo), "--watch")
    assert watch.returncode == 1


def test_resume_reruns_only_what_did_not_succeed(repo):
    _, out = start_json(repo, "gate")
    run_dir = Path(out["artifact_root"])
    token = (run_dir / ".resume-token").read_text().strip()

    wrong = run_cli(
        "resume", out["run_id"], "--token", "0" * 64, "--repo", str(repo), "--format", "json"
    )
    assert wrong.returncode == 2
    assert wrong.json()["error"]["code"] == "resume-refused"
    assert manifest(run_dir)["status"] == "failed"
    assert events(run_dir)[-1]["event"] == "resume-refused"

    (repo / "flag").write_text("")
    ok = run_cli(
        "resume",
        out["run_id"],
        "--token",
        token,
        "--actor",
        "ana",
        "--reason",
        "flag fixed",
        "--repo",
        str(repo),
        "--format",
        "json",
    )
    assert ok.returncode == 0, ok
    assert ok.json()["status"] == "succeeded"
    data = validate_manifest(run_dir / "manifest.json")
    assert data["attempt"] == 2
    assert [c["status"] for c in data["commands"]] == ["succeeded"] * 3
    assert [c["attempts"] for c in data["commands"]] == [1, 2, 1]
    assert (repo / "first.count").read_text() == "first\n"  # the succeeded stage did not run again
    [resumed] = data["resume_events"]
    assert (resumed["actor"], resumed["reason"], resumed["outcome"], resumed["attempt"]) == (
        "ana",
        "flag fixed",
        "accepted",
        2,
    )
    metrics = [
        json.loads(line) for line in (repo / ".runs/default/metrics.jsonl").read_text().splitlines()
    ]
    assert [(m["attempt"], m["status"]) for m in metrics] == [(1, "failed"), (2, "succeeded")]

    again = run_cli("resume", out["run_id"], "--token", token, "--repo", str(repo))
    assert again.returncode == 2 and "already succeeded" in again.stderr
    assert manifest(run_dir)["attempt"] == 2


def test_compatibility_stub_is_followed(repo):
    _, out = start_json(repo, "ok")
    stub = repo / ".runs" / "default" / "mcp" / out["run_id"] / "manifest.json"
    status = run_cli("status", str(stub), "--repo", str(repo), "--format", "json")
    assert status.returncode == 0 and status.json()["run_id"] == out["run_id"]


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["status", "2026-01-01T00-00-00-000Z-deadbeef"], "unknown-run", "no run"),
        (["status", "..%2F"], "invalid-id", "invalid run id"),
        (["status", "a\\b"], "invalid-id", "path separator"),
        (["start", "nope"], "unknown-pipeline", "unknown pipeline 'nope'"),
        (["start", "ok", "--task", "../escape"], "invalid-id", "invalid task id"),
        (["start", "ok", "--task", "CON"], "invalid-id", "reserved device name"),
        (["start", "ok", "--approval-policy", "always"], "bad-input", "invalid approval policy"),
        (["runs", "--task", ".hidden"], "invalid-id", "starts with a dot"),
    ],
)
def test_bad_input_is_one_clear_error_and_exit_2(repo, args, code, needle):
    before = (
        sorted(p.relative_to(repo) for p in (repo / ".runs").rglob("*"))
        if (repo / ".runs").exists()
        else []
    )
    result = run_cli(*args, "--repo", str(repo), "--format", "json")
    assert result.returncode == 2, result
    error = result.json()["error"]
    assert error["code"] == code and needle in error["message"]
    text = run_cli(*args, "--repo", str(repo))
    assert text.returncode == 2 and text.stderr.count("\n") == 1 and needle in text.stderr
    after = (
        sorted(p.relative_to(repo) for p in (repo / ".runs").rglob("*"))
        if (repo / ".runs").exists()
        else []
    )
    assert after == before


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("[pipelines.x\n", "not valid TOML"),
        ('[pipelines.x]\nstages = [{ id = "../up", command = "true" }]\n', "stage id '../up'"),
        ('[pipelines.x]\nstages = [{ id = "a", kind = "warp" }]\n', "unknown stage kind 'warp'"),
        (
            '[pipelines.x]\nstages = [{ id = "a", command = "true", timeout = -1 }]\n',
            "timeout: expected a positive number",
        ),
        (
            '[pipelines.x]\nstages = [{ id = "a", command = "true", bogus = 1 }]\n',
            "unknown key(s) for a command stage: bogus",
        ),
        (
            '[pipelines.x]\nstages = [{ id = "a", kind = "subpipeline", pipeline = "x" }]\n',
            "includes itself",
        ),
        (
            '[pipelines.x]\nstages = [{ id = "a", command = "true" }, { id = "a", command = "true" }]\n',
            "appears twice",
        ),
    ],
)
def test_bad_config_is_exit_2_before_anything_runs(tmp_path, toml, needle):
    from codex_core.testing import make_repo

    repo = make_repo(tmp_path / "repo", {"codex-core.toml": toml})
    for command in ("plan", "start"):
        result = run_cli(command, "x", "--repo", str(repo))
        assert result.returncode == 2, result
        assert needle in result.stderr
    assert not (repo / ".runs").exists()


def test_config_in_pyproject_and_stage_sets(tmp_path):
    from codex_core.testing import make_repo

    repo = make_repo(tmp_path / "repo", {"pyproject.toml": """
[project]
name = "demo"
version = "0"

[tool.codex-core.stage_sets.quality]
stages = [{ id = "style", command = "true" }, { id = "types", command = "true" }]

[tool.codex-core.pipelines.checks]
stages = [{ use = "quality" }, { id = "unit", command = "true", timeout = 5 }]
"""})  # fmt: skip
    plan = run_cli("plan", "checks", "--repo", str(repo), "--format", "json")
    assert plan.returncode == 0
    assert [s["id"] for s in plan.json()["stages"]] == ["style", "types", "unit"]
    assert plan.json()["stages"][2]["timeout"] == 5


def test_detach_then_watch(repo):
    # The first stage waits for a file only the test creates: start must return while it waits.
    gate = repo / "go.flag"
    config = (repo / "codex-core.toml").read_text()
    (repo / "codex-core.toml").write_text(
        config
        + f'\n[pipelines.gated]\nstages = [{{ id = "wait", command = "while [ ! -f {gate} ]; do sleep 0.05; done" }}]\n'
    )
    code, out = start_json(repo, "gated", "--detach")
    assert code == 0 and out["status"] == "queued"
    run_dir = Path(out["artifact_root"])
    wait_for(lambda: manifest(run_dir)["status"] == "in_progress")
    gate.write_text("")
    watch = run_cli("status", out["run_id"], "--repo", str(repo), "--watch", "--interval", "0.2")
    assert watch.returncode == 0, watch
    assert manifest(run_dir)["status"] == "succeeded"


def test_resume_is_refused_while_the_runner_lives_then_cancel_kills_it(repo):
    _, out = start_json(repo, "slow", "--detach")
    run_dir = Path(out["artifact_root"])
    wait_for(lambda: manifest(run_dir)["commands"][0]["status"] == "running")
    status = run_cli("status", out["run_id"], "--repo", str(repo), "--format", "json").json()
    assert (
        status["runner_alive"] is True
        and status["stale"] is False
        and status["status"] == "in_progress"
    )

    token = (run_dir / ".resume-token").read_text().strip()
    busy = run_cli("resume", out["run_id"], "--token", token, "--repo", str(repo))
    assert busy.returncode == 2 and "still alive" in busy.stderr
    assert events(run_dir)[-1]["event"] == "resume-refused"

    assert run_cli("cancel", out["run_id"], "--repo", str(repo)).returncode == 0
    wait_for(lambda: manifest(run_dir)["status"] == "cancelled")
    data = validate_manifest(run_dir / "manifest.json")
    assert data["commands"][0]["status"] == "failed"
    assert (
        json.loads((repo / data["commands"][0]["error_file"]).read_text())["reason"] == "cancelled"
    )
    assert data["commands"][1]["status"] == "pending"
    wait_for(
        lambda: (
            not run_cli("status", out["run_id"], "--repo", str(repo), "--format", "json").json()[
                "runner_alive"
            ]
        )
    )
    sleepers = subprocess.run(
        ["pgrep", "-f", "^sleep 30$"], capture_output=True, text=True
    ).stdout.split()
    assert not [pid for pid in sleepers if process_alive(int(pid))]
    names = [e["event"] for e in events(run_dir)]
    assert "cancel-requested" in names and names[-1] == "run-finished"


def test_pause_holds_the_next_stage_until_unpause(repo):
    _, out = start_json(repo, "steps", "--detach")
    run_dir = Path(out["artifact_root"])
    wait_for(lambda: manifest(run_dir)["commands"][0]["status"] == "running")
    assert run_cli("pause", out["run_id"], "--repo", str(repo)).returncode == 0
    wait_for(lambda: manifest(run_dir)["commands"][0]["status"] == "succeeded")
    time.sleep(1.0)
    data = manifest(run_dir)
    assert data["status_detail"] == "paused"
    assert data["commands"][1]["status"] == "pending"
    assert run_cli("unpause", out["run_id"], "--repo", str(repo)).returncode == 0
    wait_for(lambda: manifest(run_dir)["status"] == "succeeded")
    names = [e["event"] for e in events(run_dir)]
    assert names.index("paused") < names.index("unpaused")


def test_sigterm_cancels_the_run_and_kills_its_stage(repo):
    proc = subprocess.Popen(
        [str(cli_path()), "start", "slow", "--repo", str(repo), "--task", "sig", "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    runs = repo / ".runs" / "sig" / "cli"
    wait_for(lambda: runs.exists() and any(runs.iterdir()))
    run_dir = next(runs.iterdir())
    wait_for(
        lambda: (
            (run_dir / "manifest.json").exists()
            and manifest(run_dir)["commands"][0]["status"] == "running"
        )
    )
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 1
    assert json.loads(out)["status"] == "cancelled"
    data = manifest(run_dir)
    assert data["status"] == "cancelled" and data["status_detail"] == "cancelled by SIGTERM"


def test_control_commands_refuse_finished_runs(repo):
    _, out = start_json(repo, "ok")
    result = run_cli("cancel", out["run_id"], "--repo", str(repo))
    assert result.returncode == 2 and "already ended" in result.stderr


def test_runs_lists_newest_first(repo):
    ids = [start_json(repo, "ok", "--task", task)[1]["run_id"] for task in ("t1", "t2", "t1")]
    listing = run_cli("runs", "--repo", str(repo), "--format", "json").json()["runs"]
    assert [r["run_id"] for r in listing] == sorted(ids, reverse=True)
    only = run_cli("runs", "--task", "t1", "--repo", str(repo), "--format", "json").json()["runs"]
    assert {r["task_id"] for r in only} == {"t1"} and len(only) == 2


def test_a_run_killed_before_its_manifest_reads_as_not_started(repo):
    _, out = start_json(repo, "ok")
    run_dir = Path(out["artifact_root"])
    (run_dir / "manifest.json").unlink()
    info = run_cli("status", out["run_id"], "--repo", str(repo), "--format", "json")
    assert info.returncode == 0 and info.json()["status"] == "not-started"


def test_corrupt_manifest_names_the_file_and_field(repo):
    _, out = start_json(repo, "ok")
    path = Path(out["manifest"])
    data = json.loads(path.read_text())
    data["commands"][0]["index"] = "first"
    path.write_text(json.dumps(data))
    result = run_cli("status", out["run_id"], "--repo", str(repo))
    assert result.returncode == 2
    assert str(path) in result.stderr and "$.commands[0].index" in result.stderr


def test_version_and_help():
    assert run_cli("--version").stdout.strip().startswith("codex-core ")
    helptext = run_cli("--help").stdout
    for name in (
        "start",
        "status",
        "resume",
        "runs",
        "plugins",
        "doctor",
        "plan",
        "cancel",
        "pause",
        "unpause",
        "metrics",
    ):
        assert name in helptext


def test_doctor_reports_environment(repo):
    result = run_cli("doctor", "--repo", str(repo), "--format", "json")
    data = result.json()
    names = {c["name"]: c for c in data["checks"]}
    assert names["git"]["ok"] and names["python"]["ok"] and "config" in names
    assert result.returncode == (0 if data["ok"] else 1)
    assert os.fspath(repo) == data["repo"]


def test_a_terminal_gets_live_coloured_progress(repo, tmp_path):
    import shutil

    if shutil.which("script") is None:
        pytest.skip("util-linux 'script' is needed to give the command a terminal")
    typescript = tmp_path / "tty.txt"
    command = f"{cli_path()} start ok --repo {repo}"
    subprocess.run(
        ["script", "-qc", command, str(typescript)], check=True, capture_output=True, timeout=60
    )
    screen = typescript.read_text(errors="replace")
    assert "\x1b[" in screen  # rich drew colours / the spinner
    plain = __import__("re").sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", screen)
    assert "[1/2] a: succeeded" in plain and "[2/2] b: succeeded" in plain


def test_help_and_version_work_beside_a_malformed_config(tmp_path):
    (tmp_path / "codex-core.toml").write_text("[pipelines\n")
    assert run_cli("--help", cwd=tmp_path).returncode == 0
    assert run_cli("--version", cwd=tmp_path).returncode == 0
    plan = run_cli("plan", cwd=tmp_path)
    assert plan.returncode == 2 and "not valid TOML" in plan.stderr
