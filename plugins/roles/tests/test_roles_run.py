"""``codex-core run "GOAL" --backend agents`` end to end, as a real subprocess on a real git repo.

The hosted model is the only thing replaced: the agents backend plays the SDK's ScriptedModel
from a JSON script (``CODEX_CORE_AGENTS_MODEL=scripted:<file>``, documented in docs/agents.md).
The kernel's run store, the child ``diagnostics`` run (the Python adapter's real commands), the
guardrails (spec guard, diff budget, command policy, path sandbox) all run for real.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from codex_core.testing import validate_manifest
from roles_helpers import (
    GREET,
    command,
    events,
    git_status,
    handoff,
    happy_script,
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


def test_run_plans_builds_tests_and_reviews_a_change(tmp_path):
    repo = python_project(tmp_path)
    result = run_goal(
        repo, "Add a greet function", happy_script(tmp_path / "script.json"), "--task", "greet-1"
    )
    assert result.returncode == 0, result
    out = result.json()
    assert (out["status"], out["backend"], out["decision"]) == ("succeeded", "agents", "approved")
    assert out["task_id"] == "greet-1"
    manifest = manifest_of(repo, result)
    assert manifest["task_id"] == "greet-1"
    assert Path(out["manifest"]).is_relative_to(repo / ".runs" / "greet-1" / "cli")
    assert not (repo / ".runs" / "default").exists()  # nothing went to the default task
    assert manifest["pipeline_id"] == "implement"
    assert manifest["pipeline_title"] == "Implement: Add a greet function"
    assert [c["status"] for c in manifest["commands"]] == ["succeeded"] * 4

    plan = stage(manifest, "plan")
    assert plan["plan_items"] == [
        {"id": "1", "title": "Add greet()", "details": "do Add greet()", "executable": True}
    ]
    build = stage(manifest, "build")
    assert build["diff_stat"] == {
        "files": 1,
        "insertions": 2,
        "deletions": 0,
        "paths": ["greet.py"],
    }
    patch = (repo / build["diff_patch"]).read_text()
    assert build["diff_patch"] == f"{manifest['artifact_root']}/diff.patch"
    assert "+++ b/greet.py" in patch and "+def greet(name):" in patch
    assert (repo / "greet.py").read_text() == GREET

    test = stage(manifest, "test")
    [child] = manifest["child_runs"]
    assert (child["pipeline_id"], child["stage_id"], child["status"]) == (
        "diagnostics",
        "test",
        "succeeded",
    )
    assert test["sub_run_id"] == child["run_id"]
    child_manifest = validate_manifest(repo / child["manifest"])
    assert child_manifest["parent_run_id"] == manifest["run_id"]
    assert any(c["id"] == "test" and c["status"] == "succeeded" for c in child_manifest["commands"])

    review = stage(manifest, "review")["review"]
    assert review["decision"] == "approved" and review["findings"] == []
    checks = {c["check"]: c for c in review["checks"]}
    assert checks["tests"]["status"] == "succeeded"
    assert checks["spec-guard"]["status"] == "skipped"  # no tasks/index.json in this repo
    assert checks["diff-budget"]["status"] == "succeeded"
    assert checks["model-review"]["verdict"] == "approve"
    assert manifest["guardrail_status"]["recommendation"] == "guardrails passed"

    names = [e["event"] for e in events(repo, manifest)]
    for name in (
        "agent-turn-started",
        "agent-handoff",
        "agent-tool-call",
        "agent-usage",
        "child-run-started",
    ):
        assert name in names


def test_worktree_leaves_the_main_checkout_untouched(tmp_path):
    repo = python_project(tmp_path)
    result = run_goal(
        repo, "Add a greet function", happy_script(tmp_path / "s.json"), "--worktree",
        "--sandbox", "workspace-write", "--approval-policy", "never",
    )  # fmt: skip
    assert result.returncode == 0, result
    manifest = manifest_of(repo, result)
    assert manifest["approval_policy"] == "never"
    build = stage(manifest, "build")
    worktree = Path(build["workdir"])
    assert build["worktree"] is True
    assert worktree == (repo / manifest["artifact_root"] / "worktree").resolve()
    assert (worktree / "greet.py").read_text() == GREET
    assert not (repo / "greet.py").exists()
    assert git_status(repo) == ""  # the main checkout: nothing changed (.runs/ is ignored)
    assert "+def greet(name):" in (repo / build["diff_patch"]).read_text()
    [child] = manifest["child_runs"]
    child_manifest = validate_manifest(repo / child["manifest"])
    assert child_manifest["workdir"] == str(worktree)  # diagnostics ran in the worktree
    assert child_manifest["status"] == "succeeded"
    assert stage(manifest, "review")["review"]["decision"] == "approved"


def test_a_plan_without_an_executable_item_fails_the_run(tmp_path):
    repo = python_project(tmp_path)
    path = script(
        tmp_path / "s.json", plan=[message(plan_reply("Think about it", executable=False))]
    )
    result = run_goal(repo, "Ponder", path)
    assert result.returncode == 1
    manifest = manifest_of(repo, result)
    plan = stage(manifest, "plan")
    assert (plan["status"], plan["reason"]) == ("failed", "plan-invalid")
    assert "no executable item" in plan["summary"]
    assert [c["status"] for c in manifest["commands"][1:]] == ["pending"] * 3


def test_failing_tests_make_the_reviewer_reject_unless_overridden(tmp_path):
    repo = python_project(tmp_path)
    broken = "def add(a, b):\n    return a - b\n"
    path = script(
        tmp_path / "s.json",
        plan=[message(plan_reply("Change add"))],
        build=[handoff("builder"), write("calc.py", broken), message("changed")],
        review=[handoff("reviewer"), message("APPROVE")],
    )
    result = run_goal(repo, "Break add", path)
    assert result.returncode == 1
    manifest = manifest_of(repo, result)
    test = stage(manifest, "test")
    assert (test["status"], test["skip_reason"]) == ("skipped", "allowed-failure")
    review = stage(manifest, "review")
    assert (review["status"], review["reason"]) == ("failed", "review-rejected")
    assert review["review"]["decision"] == "rejected"
    assert [f["check"] for f in review["review"]["findings"]] == ["tests"]
    assert manifest["approvals"] == []

    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n")  # a fresh start
    result = run_goal(
        repo,
        "Break add",
        path,
        "--override",
        "review",
        "--reason",
        "known failure",
        "--approver",
        "lead",
    )
    assert result.returncode == 0, result
    manifest = manifest_of(repo, result)
    review = stage(manifest, "review")["review"]
    assert review["decision"] == "approved"
    assert review["approval"]["approver"] == "lead"
    [approval] = manifest["approvals"]
    assert (approval["guardrail"], approval["approver"], approval["reason"]) == (
        "review",
        "lead",
        "known failure",
    )
    assert approval["findings"][0]["check"] == "tests"


def test_a_model_review_requesting_changes_rejects(tmp_path):
    repo = python_project(tmp_path)
    path = happy_script(tmp_path / "s.json", review="REQUEST_CHANGES\ngreet should be typed")
    result = run_goal(repo, "Add a greet function", path)
    assert result.returncode == 1
    review = stage(manifest_of(repo, result), "review")["review"]
    assert review["decision"] == "rejected"
    assert review["findings"] == [
        {
            "check": "model-review",
            "summary": "REQUEST_CHANGES\ngreet should be typed",
            "reason": None,
        }
    ]


def test_a_vetoed_command_is_recorded_and_the_build_goes_on(tmp_path):
    repo = python_project(tmp_path, """
        [guardrails.policy]
        deny = ["rm *"]
    """)  # fmt: skip
    path = script(
        tmp_path / "s.json",
        plan=[message(plan_reply("Replace calc"))],
        build=[
            handoff("builder"),
            command("rm calc.py"),
            write("greet.py", GREET),
            message("done"),
        ],
        review=[handoff("reviewer"), message("APPROVE")],
    )
    result = run_goal(repo, "Add greet", path)
    assert result.returncode == 0, result
    manifest = manifest_of(repo, result)
    assert (repo / "calc.py").exists()
    [veto] = [e for e in events(repo, manifest) if e["event"] == "guardrail-veto"]
    assert (veto["stage_id"], veto["action"], veto["command"]) == ("build", "command", "rm calc.py")
    assert "rm *" in str(veto["vetoes"])
    assert "rm *" in str(stage(manifest, "build")["vetoes"])  # on the stage's record too
    assert (repo / "greet.py").read_text() == GREET
