"""``codex-core run "GOAL" --backend codex`` end to end, with the real Codex CLI.

What runs for real, in every test: the ``codex-core`` command as a subprocess on a temp git repo
(roles_helpers' small Python project); the kernel's run store, runner lock and resume token; the
``implement`` pipeline's four ``role`` stages; Codex 0.169.0 from the workspace's ``npm ci``,
driven through ``codex app-server`` (one app-server process per role stage, the builder's plan
items as turns of one thread), which runs the model's shell commands itself, in its sandbox; the
tester's ``diagnostics`` child run (the Python adapter running ``unittest``); the guardrails (spec
guard, diff budget, command policy). Only the hosted model is replaced: Codex's model provider is
the local Responses API server of plugins/codex/tests/scripted_model.py, whose script plays, in
order, the manager's plan (a JSON reply), the builder's turns (a shell command that writes the
file, then a summary) and the reviewer's verdict.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from codex_core.testing import run_cli, validate_manifest
from roles_codex_helpers import (
    CODEX,
    INSTALL_HINT,
    codex_env,
    codex_processes_in,
    codex_project,
    run_codex_goal,
    start_codex_goal,
)
from roles_helpers import events, manifest_of, plan_reply, stage
from scripted_model import USAGE, ScriptedModel, add_file, hold, patch, run, say, serve_model

#: each test runs `codex-core run`, its child run and several Codex processes: seconds each
pytestmark = pytest.mark.slow

GOAL = "Add greet() and sub()"
#: the builder's commands: write a new file, append to an existing one (shell-quoted for Codex)
WRITE_GREET = "printf 'def greet(name):\\n    return f\"hello {name}\"\\n' > greet.py"
GREET = 'def greet(name):\n    return f"hello {name}"\n'
APPEND_SUB = "printf '\\n\\ndef sub(a, b):\\n    return a - b\\n' >> calc.py"
APPROVE = "APPROVE\nBoth changes do what the goal asks."
#: how long the background run may take to reach the held answer
RUN_WAIT = 180.0
#: how long the budget test holds the model's answer back (a turn not interrupted waits for it)
HELD_FOR = 60.0


@pytest.fixture
def codex_bin() -> Path:
    if not os.access(CODEX, os.X_OK):
        pytest.skip(f"the Codex CLI is not installed at {CODEX}: {INSTALL_HINT}")
    return CODEX


@pytest.fixture
def model(codex_bin: Path) -> Iterator[ScriptedModel]:
    with serve_model() as scripted:
        yield scripted


def agent_turns(manifest: dict, stage_id: str) -> list[dict]:
    return stage(manifest, stage_id)["agent_turns"]


def test_run_with_codex_plans_builds_tests_and_reviews(tmp_path: Path, model: ScriptedModel):
    """The whole goal through Codex: a two-item plan, one builder turn per item (a new file, an
    edit of an existing one), the diagnostics child run, the model review's APPROVE."""
    repo = codex_project(tmp_path, model)
    model.reply(
        say(plan_reply("Add greet()", "Add sub()")),
        run(WRITE_GREET), say("Added greet.py."),
        run(APPEND_SUB), say("Added sub() to calc.py."),
        say(APPROVE),
    )  # fmt: skip

    result = run_codex_goal(repo, GOAL, codex_env(tmp_path))

    assert result.returncode == 0, result
    out = result.json()
    assert (out["status"], out["backend"], out["decision"]) == ("succeeded", "codex", "approved")
    manifest = manifest_of(repo, result)
    assert manifest["pipeline_id"] == "implement"
    assert [c["status"] for c in manifest["commands"]] == ["succeeded"] * 4

    # manager: the plan, from one read-only turn
    plan = stage(manifest, "plan")
    assert [i["title"] for i in plan["plan_items"]] == ["Add greet()", "Add sub()"]
    [planning] = agent_turns(manifest, "plan")
    assert planning["backend"] == "codex" and planning["codex_version"] == "0.169.0"
    assert (planning["sandbox"], planning["approval_policy"]) == ("read-only", "on-request")
    assert planning["usage"]["total_tokens"] == USAGE["total_tokens"]
    assert GOAL in json.dumps(model.requests[0]["input"])

    # builder: one turn per item in one Codex thread, the change in diff.patch
    build = stage(manifest, "build")
    assert build["items_built"] == ["1", "2"]
    assert build["diff_stat"] == {"files": 2, "insertions": 6, "deletions": 0,
                                  "paths": ["calc.py", "greet.py"]}  # fmt: skip
    first, second = agent_turns(manifest, "build")
    assert first["sandbox"] == second["sandbox"] == "workspace-write"
    assert first["thread_id"] == second["thread_id"]
    assert first["usage"]["total_tokens"] == 2 * USAGE["total_tokens"]  # a command, a summary
    patch = (repo / build["diff_patch"]).read_text()
    assert "+++ b/greet.py" in patch and "+def greet(name):" in patch
    assert "+++ b/calc.py" in patch and "+def sub(a, b):" in patch
    assert (repo / "greet.py").read_text() == GREET
    built = json.loads((repo / manifest["artifact_root"] / "roles" / "build.json").read_text())
    assert [t["commands"] for t in built["turns"]] == [
        [{"command": WRITE_GREET, "exit_code": 0, "status": "completed"}],
        [{"command": APPEND_SUB, "exit_code": 0, "status": "completed"}],
    ]
    assert "Carry out item 2 now: Add sub()" in json.dumps(model.requests[3]["input"])

    # tester: diagnostics as a child run, in the changed tree
    [child] = manifest["child_runs"]
    assert (child["pipeline_id"], child["status"]) == ("diagnostics", "succeeded")
    assert stage(manifest, "test")["sub_run_id"] == child["run_id"]
    child_manifest = validate_manifest(repo / child["manifest"])
    assert child_manifest["parent_run_id"] == manifest["run_id"]
    assert any(c["id"] == "test" and c["status"] == "succeeded" for c in child_manifest["commands"])

    # reviewer: the decision, with Codex's read-only review
    review = stage(manifest, "review")["review"]
    assert (review["decision"], review["findings"]) == ("approved", [])
    checks = {c["check"]: c for c in review["checks"]}
    assert checks["tests"]["status"] == "succeeded"
    assert (checks["model-review"]["verdict"], checks["model-review"]["backend"]) == ("approve", "codex")  # fmt: skip
    assert agent_turns(manifest, "review")[0]["sandbox"] == "read-only"
    assert "+def sub(a, b):" in json.dumps(model.requests[5]["input"])  # the reviewer saw the diff
    assert len(model.requests) == 6

    codex_items = [e for e in events(repo, manifest) if e["event"] == "codex-item"]
    assert [(e["stage_id"], e["command"], e["exit_code"]) for e in codex_items] == [
        ("build", WRITE_GREET, 0),
        ("build", APPEND_SUB, 0),
    ]


def test_a_failed_command_in_a_codex_turn_fails_the_build_and_keeps_the_change(
    tmp_path: Path, model: ScriptedModel
):
    """The model writes a broken greet.py, its own check fails (exit 1), then it claims success:
    the turn is failed from Codex's items, the build fails, the change is still recorded."""
    repo = codex_project(tmp_path, model)
    model.reply(
        say(plan_reply("Add greet()")),
        run("printf 'def greet(name)\\n' > greet.py"), run("python3 -c 'import greet'"),
        say("Added greet.py; it works."),
    )  # fmt: skip

    result = run_codex_goal(repo, "Add greet()", codex_env(tmp_path))

    assert result.returncode == 1, result
    manifest = manifest_of(repo, result)
    build = stage(manifest, "build")
    assert (build["status"], build["reason"]) == ("failed", "command-failed")
    assert "`python3 -c 'import greet'` exited 1" in build["summary"]
    assert [c["status"] for c in manifest["commands"][2:]] == ["pending", "pending"]
    artifact = json.loads((repo / build["error_file"]).read_text())
    assert artifact["details"]["failed_commands"] == [
        {"command": "python3 -c 'import greet'", "exit_code": 1, "status": "failed"}
    ]
    assert "+def greet(name)" in (repo / build["diff_patch"]).read_text()
    assert agent_turns(manifest, "build")[0]["reason"] == "command-failed"


def wait_for(predicate, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_sigkill_during_a_codex_build_turn_then_resume_finishes_the_goal(
    tmp_path: Path, model: ScriptedModel
):
    """The runner's process group is SIGKILLed while the builder's Codex turn is in progress
    (Codex has written greet.py and waits for the model's next answer, which the script holds).
    The app-server, in a session of its own, exits when its runner's pipe closes;
    ``codex-core resume`` then re-runs the build (not the plan) and the goal finishes."""
    repo = codex_project(tmp_path, model)
    env = codex_env(tmp_path)
    model.reply(say(plan_reply("Add greet()")), run(WRITE_GREET), hold("Added greet.py."))
    proc = start_codex_goal(repo, "Add greet()", env)
    try:
        assert model.holding.wait(RUN_WAIT), (repo.parent / "run.out").read_text()
        assert (repo / "greet.py").exists()
        assert codex_processes_in(repo.resolve())  # the turn's app-server, mid-turn
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    run_dir = next((repo / ".runs" / "default" / "cli").iterdir())
    killed = validate_manifest(run_dir / "manifest.json")
    assert killed["status"] == "in_progress"  # what a SIGKILL leaves behind
    assert stage(killed, "plan")["status"] == "succeeded"
    assert stage(killed, "build")["status"] == "running"
    # no Codex is left working in the repo to race the resumed run
    wait_for(lambda: not codex_processes_in(repo.resolve()), "the orphaned app-server to exit", 60)

    model.reply(run(WRITE_GREET), say("Added greet.py."), say("APPROVE"))
    token = (run_dir / ".resume-token").read_text().strip()
    resumed = run_cli(
        "resume", run_dir.name, "--token", token, "--reason", "killed in a test", "--format", "json",
        cwd=repo, env=env, timeout=300,
    )  # fmt: skip

    assert resumed.returncode == 0, resumed
    manifest = validate_manifest(run_dir / "manifest.json")
    assert (manifest["status"], manifest["attempt"]) == ("succeeded", 2)
    assert manifest["resume_events"][0]["reason"] == "killed in a test"
    assert stage(manifest, "plan")["attempts"] == 1  # the plan was not asked for again
    assert stage(manifest, "build")["attempts"] == 2
    assert stage(manifest, "build")["diff_stat"]["paths"] == ["greet.py"]
    assert "+def greet(name):" in (run_dir / "diff.patch").read_text()
    assert [c["status"] for c in manifest["child_runs"]] == ["succeeded"]
    assert stage(manifest, "review")["review"]["decision"] == "approved"
    # plan 1, killed build 2 (the second held), resumed build 2, review 1
    assert len(model.requests) == 6
    assert "Plan the work" not in json.dumps(model.requests[3]["input"])


def test_max_tokens_stops_a_codex_turn_midway(tmp_path: Path, model: ScriptedModel):
    """``--max-tokens 300``: the plan costs 120; in the build turn the model's second answer
    brings the goal to 360, which app-server reports (``thread/tokenUsage/updated``, sent once
    that answer's command has run) before asking the model again: the turn is interrupted there.
    The model's third answer is held back for a minute; the build does not wait for it."""
    repo = codex_project(tmp_path, model)
    model.reply(
        say(plan_reply("Add greet()")),
        run(WRITE_GREET), run("echo two > two.txt"), hold("Added greet.py."),
    )  # fmt: skip
    release = threading.Timer(HELD_FOR, model.release)  # a turn not interrupted waits this long
    release.start()
    try:
        result = run_codex_goal(repo, "Add greet()", codex_env(tmp_path), "--max-tokens", "300")
    finally:
        release.cancel()

    assert result.returncode == 1, result
    manifest = manifest_of(repo, result)
    build = stage(manifest, "build")
    assert (build["status"], build["reason"]) == ("failed", "budget-exceeded")
    assert (build["budget"]["budget"], build["budget"]["limit"]) == ("max_tokens", 300)
    assert build["budget"]["used"]["total_tokens"] == 3 * USAGE["total_tokens"]
    assert build["budget"]["used"]["turns"] == 2
    assert build["duration_seconds"] < HELD_FOR / 2  # stopped mid-turn, not at its end
    assert agent_turns(manifest, "build") == [
        {
            "turn": 1,
            "sandbox": "workspace-write",
            "status": "stopped",
            "budget_exceeded": "max_tokens",
        }
    ]
    assert (repo / "greet.py").read_text() == GREET  # what the agent did is kept
    assert build["diff_stat"]["paths"] == ["greet.py", "two.txt"]
    assert [c["status"] for c in manifest["commands"][2:]] == ["pending", "pending"]
    usage = [e for e in events(repo, manifest) if e["event"] == "agent-usage"]
    assert [(e["stage_id"], e["total_tokens"]) for e in usage] == [
        ("plan", 120), ("build", 120), ("build", 240),
    ]  # fmt: skip


def test_a_codex_apply_patch_edit_is_the_build_and_its_diff(tmp_path: Path, model: ScriptedModel):
    """The builder's change made with Codex's own ``apply_patch`` tool (offered because the model
    is named ``gpt-5.5``, a model Codex's catalog knows) rather than a shell command: the turn's
    file changes, ``diff.patch`` and the events all show it."""
    repo = codex_project(tmp_path, model, "gpt-5.5")
    model.reply(
        say(plan_reply("Add greet()")),
        patch(add_file("greet.py", GREET)), say("Added greet.py."),
        say(APPROVE),
    )  # fmt: skip

    result = run_codex_goal(repo, "Add greet()", codex_env(tmp_path))

    assert result.returncode == 0, result
    manifest = manifest_of(repo, result)
    offered = {t.get("name"): t.get("type") for t in model.requests[1]["tools"]}
    assert offered["apply_patch"] == "custom"  # Codex's own tool, not the shell
    build = stage(manifest, "build")
    assert build["diff_stat"] == {
        "files": 1,
        "insertions": 2,
        "deletions": 0,
        "paths": ["greet.py"],
    }
    patch_text = (repo / build["diff_patch"]).read_text()
    assert "new file mode" in patch_text and "+def greet(name):" in patch_text
    assert (repo / "greet.py").read_text() == GREET
    built = json.loads((repo / manifest["artifact_root"] / "roles" / "build.json").read_text())
    [turn] = built["turns"]
    assert (turn["files"], turn["commands"]) == ([{"path": "greet.py", "kind": "add"}], [])
    codex_items = [e for e in events(repo, manifest) if e["event"] == "codex-item"]
    assert [(e["stage_id"], e["type"], e["files"], e["status"]) for e in codex_items] == [
        ("build", "fileChange", ["greet.py"], "completed")
    ]
    assert stage(manifest, "review")["review"]["decision"] == "approved"


@pytest.mark.parametrize(
    ("args", "message", "ending"),
    [
        (["--backend", "codex", "--approval-policy", "on-failure"],
         "approval policy 'on-failure' is not accepted by the codex backend of codex-cli 0.169.0",
         "(it accepts: untrusted, on-request, never)"),
        (["--backend", "codex-exec", "--approval-policy", "on-request"],
         "approval policy 'on-request' is not accepted by the codex-exec backend of codex-cli 0.169.0",
         "(it accepts: never)"),
        (["--backend", "codex-mcp"], "backend 'codex-mcp' needs `codex mcp-server`", "does not have"),
    ],
)  # fmt: skip
def test_values_the_installed_codex_refuses_are_bad_input_before_the_run(
    tmp_path: Path, model: ScriptedModel, args: list[str], message: str, ending: str
):
    """Asked of the real Codex 0.169.0 (its ``--help`` and JSON Schema) before anything is
    prepared: one line on stderr, exit 2, no run dir, and the model never called."""
    repo = codex_project(tmp_path, model)

    result = run_cli("run", "Add greet()", *args, cwd=repo, env=codex_env(tmp_path))

    assert result.returncode == 2, result
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {message}") and line.endswith(ending), line
    assert not list((repo / ".runs").glob("*/cli/*"))
    assert model.requests == []
