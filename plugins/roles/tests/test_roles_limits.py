"""Budgets and the sandbox, through ``codex-core run``: what the agent did is kept, what it may
not do fails the build, and nothing lands outside the work tree."""

from __future__ import annotations

import subprocess

import pytest
from roles_helpers import (
    GREET,
    command,
    error_artifact,
    handoff,
    manifest_of,
    message,
    plan_reply,
    python_project,
    run_goal,
    script,
    stage,
    write,
)

#: each test runs `codex-core run` (and its child runs) as real subprocesses: seconds each
pytestmark = pytest.mark.slow


def test_max_turns_stops_the_build_and_keeps_what_was_built(tmp_path):
    repo = python_project(tmp_path)
    path = script(
        tmp_path / "s.json",
        plan=[message(plan_reply("Add greet()", "Add farewell()"))],
        build=[handoff("builder"), write("greet.py", GREET), message("item 1 done"),
               handoff("builder"), write("farewell.py", "x = 1\n"), message("item 2 done")],
    )  # fmt: skip
    result = run_goal(repo, "Add two functions", path, "--max-turns", "2")
    assert result.returncode == 1
    manifest = manifest_of(repo, result)
    build = stage(manifest, "build")
    assert (build["status"], build["reason"]) == ("failed", "budget-exceeded")
    assert build["budget"]["budget"] == "max_turns" and build["budget"]["limit"] == 2
    assert build["budget"]["used"]["turns"] == 2  # the plan and item 1
    assert build["items_built"] == ["1"]
    details = error_artifact(repo, build)["details"]
    assert (details["budget"], details["limit"], details["used"]["turns"]) == ("max_turns", 2, 2)
    assert (repo / "greet.py").read_text() == GREET and not (repo / "farewell.py").exists()
    assert "+def greet(name):" in (repo / build["diff_patch"]).read_text()
    assert manifest["status_detail"] == "stage build failed (budget-exceeded)"
    assert [c["status"] for c in manifest["commands"][2:]] == ["pending", "pending"]


def test_max_tokens_stops_the_agent_mid_turn(tmp_path):
    repo = python_project(tmp_path)
    small, large = (
        {"input_tokens": 20, "output_tokens": 10},
        {"input_tokens": 40, "output_tokens": 20},
    )
    path = script(
        tmp_path / "s.json",
        plan=[message(plan_reply("Add greet()"))],
        build=[handoff("builder", usage=small), write("greet.py", GREET, usage=small),
               write("more.py", "never = 1\n", usage=large), message("done")],
    )  # fmt: skip
    result = run_goal(repo, "Add greet", path, "--max-tokens", "100")
    assert result.returncode == 1
    build = stage(manifest_of(repo, result), "build")
    assert (build["status"], build["reason"]) == ("failed", "budget-exceeded")
    assert build["budget"]["budget"] == "max_tokens" and build["budget"]["limit"] == 100
    # 30 + 30 + 60: stopped by the model call that crossed the budget, before its tool ran
    assert build["budget"]["used"]["total_tokens"] == 120
    assert (repo / "greet.py").read_text() == GREET  # done before the crossing: kept
    assert not (repo / "more.py").exists()  # never reached: the agent was stopped
    assert build["diff_stat"]["paths"] == ["greet.py"]


def test_a_time_limit_cancels_a_turn_that_runs_past_it(tmp_path):
    repo = python_project(tmp_path)
    path = script(
        tmp_path / "s.json",
        plan=[message(plan_reply("Add greet()"))],
        build=[
            handoff("builder"),
            write("greet.py", GREET),
            {"output": [{"message": "late"}], "sleep": 120},
        ],
    )
    result = run_goal(repo, "Add greet", path, "--time-limit", "2")
    assert result.returncode == 1
    build = stage(manifest_of(repo, result), "build")
    assert (build["reason"], build["budget"]["budget"], build["budget"]["limit"]) == (
        "budget-exceeded", "time_limit", 2.0,
    )  # fmt: skip
    assert 2 <= build["budget"]["used"]["seconds"] < 10
    assert build["duration_seconds"] < 20
    assert (repo / "greet.py").read_text() == GREET


def test_writing_into_git_or_outside_the_repo_fails_the_build(tmp_path):
    repo = python_project(tmp_path)
    config = (repo / ".git" / "config").read_bytes()
    for n, target in enumerate([".git/config", "../outside.txt"]):
        path = script(
            tmp_path / f"s{n}.json",
            plan=[message(plan_reply("Configure"))],
            build=[handoff("builder"), write("greet.py", GREET), write(target, "[core]\nevil = 1\n"),
                   message("done")],
        )  # fmt: skip
        result = run_goal(repo, "Configure", path)
        assert result.returncode == 1, result
        build = stage(manifest_of(repo, result), "build")
        assert (build["status"], build["reason"]) == ("failed", "path-escape"), build
        assert target in build["summary"]
        assert (repo / ".git" / "config").read_bytes() == config
        assert not (tmp_path / "outside.txt").exists()
        assert build["diff_stat"]["paths"] == ["greet.py"]
        (repo / "greet.py").unlink()


def test_a_command_that_changes_git_config_fails_the_build(tmp_path):
    repo = python_project(tmp_path)
    path = script(
        tmp_path / "s.json",
        plan=[message(plan_reply("Configure"))],
        build=[
            handoff("builder"),
            command("git config core.hooksPath /tmp/evil-hooks"),
            message("done"),
        ],
    )
    result = run_goal(repo, "Configure git", path)
    assert result.returncode == 1
    build = stage(manifest_of(repo, result), "build")
    assert (build["status"], build["reason"]) == ("failed", "path-escape")
    assert error_artifact(repo, build)["details"]["git_files"] == ["config"]


@pytest.mark.parametrize(
    ("git_command", "changed"),
    [
        (
            "git -c user.name=a -c user.email=a@example.invalid commit -qam x",
            ["HEAD", "refs/heads/main"],
        ),
        ("git branch side", ["refs/heads/side"]),
        ("git update-ref refs/tags/v9 HEAD", ["refs/tags/v9"]),
    ],
)
def test_a_command_that_changes_the_history_or_refs_fails_the_build(tmp_path, git_command, changed):
    repo = python_project(tmp_path)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    path = script(
        tmp_path / "s.json",
        plan=[message(plan_reply("Change calc"))],
        build=[handoff("builder"), write("calc.py", "def add(a, b):\n    return b + a\n"),
               command(git_command), message("done")],
    )  # fmt: skip
    result = run_goal(repo, "Change calc", path)
    assert result.returncode == 1
    build = stage(manifest_of(repo, result), "build")
    assert (build["status"], build["reason"]) == ("failed", "path-escape")
    details = error_artifact(repo, build)["details"]
    assert [name for name in details["git_files"] if not name.endswith("/")] == changed
    assert f".git/{changed[-1]}" in build["summary"]
    # the command did run (the check saw its effect), and the agent's edit is still recorded
    moved = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                           text=True, check=True).stdout != head  # fmt: skip
    assert moved == ("commit" in git_command)
    assert build["diff_stat"]["paths"] == ["calc.py"]
