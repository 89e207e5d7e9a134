"""A ``codex-core run`` killed with SIGKILL mid-build, then ``codex-core resume``; and a run
cancelled with ``codex-core cancel`` while the agent works."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from codex_core.testing import cli_path, run_cli, validate_manifest
from roles_helpers import GREET, handoff, message, plan_reply, python_project, script, stage, write

#: each test runs `codex-core run` (and its child runs) as real subprocesses: seconds each
pytestmark = pytest.mark.slow


def start_run(repo: Path, script_path: Path, *args: str) -> subprocess.Popen[bytes]:
    """``codex-core run`` in the background; its output goes to ``run.out`` beside the repo."""
    env = {**os.environ, "CODEX_CORE_AGENTS_MODEL": f"scripted:{script_path}"}
    with open(repo.parent / "run.out", "wb") as out:
        return subprocess.Popen(
            [str(cli_path()), "run", "Add a greet function", "--backend", "agents", "--format", "json", *args],
            cwd=repo, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip


def wait_for(predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def the_run_dir(repo: Path) -> Path:
    runs = [
        p for p in (repo / ".runs" / "default" / "cli").iterdir() if (p / "pipeline.json").exists()
    ]
    [implement] = [
        p for p in runs if json.loads((p / "pipeline.json").read_text())["id"] == "implement"
    ]
    return implement


def build_running(repo: Path) -> bool:
    events = repo / ".runs"
    if not events.exists():
        return False
    for path in events.glob("default/cli/*/events.jsonl"):
        for line in path.read_text().splitlines():
            event = json.loads(line)
            if event["event"] == "agent-tool-call" and event.get("stage_id") == "build":
                return True
    return False


def test_sigkill_mid_build_then_resume_finishes_the_goal(tmp_path):
    repo = python_project(tmp_path)
    path = tmp_path / "script.json"
    sleepy_build = [
        handoff("builder"),
        write("greet.py", GREET),
        {"output": [{"message": "done"}], "sleep": 300},
    ]
    script(path, plan=[message(plan_reply("Add greet()"))], build=sleepy_build)
    proc = start_run(repo, path)
    try:
        wait_for(lambda: build_running(repo) and (repo / "greet.py").exists())
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    run_dir = the_run_dir(repo)
    killed = validate_manifest(run_dir / "manifest.json")
    assert killed["status"] == "in_progress"  # what a SIGKILL leaves behind
    assert stage(killed, "plan")["status"] == "succeeded"
    assert stage(killed, "build")["status"] in ("running", "pending")

    # The second attempt: the build's script no longer sleeps. The plan has no script left at all:
    # a resume that re-ran the succeeded plan stage would fail on an unexpected model call.
    script(path, build=[handoff("builder"), write("greet.py", GREET), message("Added greet.py")],
           review=[handoff("reviewer"), message("APPROVE")])  # fmt: skip
    token = (run_dir / ".resume-token").read_text().strip()
    result = run_cli(
        "resume", run_dir.name, "--token", token, "--reason", "killed in a test", "--format", "json",
        cwd=repo, env={"CODEX_CORE_AGENTS_MODEL": f"scripted:{path}"},
    )  # fmt: skip
    assert result.returncode == 0, result
    manifest = validate_manifest(run_dir / "manifest.json")
    assert (manifest["status"], manifest["attempt"]) == ("succeeded", 2)
    assert manifest["resume_events"][0]["reason"] == "killed in a test"
    assert stage(manifest, "plan")["attempts"] == 1
    assert stage(manifest, "build")["attempts"] == 2
    assert stage(manifest, "review")["review"]["decision"] == "approved"
    assert "+def greet(name):" in (run_dir / "diff.patch").read_text()
    assert manifest["pipeline_title"] == "Implement: Add a greet function"  # the goal came back
    assert [c["status"] for c in manifest["child_runs"]] == ["succeeded"]


def test_codex_core_cancel_stops_the_agent_promptly(tmp_path):
    repo = python_project(tmp_path)
    path = script(
        tmp_path / "script.json",
        plan=[message(plan_reply("Add greet()"))],
        build=[
            handoff("builder"),
            write("greet.py", GREET),
            {"output": [{"message": "late"}], "sleep": 300},
        ],
    )
    proc = start_run(repo, path)
    try:
        wait_for(lambda: build_running(repo) and (repo / "greet.py").exists())
        run_dir = the_run_dir(repo)
        asked = time.monotonic()
        cancel = run_cli("cancel", run_dir.name, cwd=repo)
        assert cancel.returncode == 0, cancel
        proc.wait(timeout=30)
        took = time.monotonic() - asked
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1
    assert took < 10, f"the run took {took:.1f}s to stop after cancel"
    manifest = validate_manifest(run_dir / "manifest.json")
    assert manifest["status"] == "cancelled"
    build = stage(manifest, "build")
    assert (build["status"], build["reason"]) == ("failed", "cancelled")
    assert (repo / "greet.py").read_text() == GREET
    assert "+def greet(name):" in (run_dir / "diff.patch").read_text()  # recorded even so
