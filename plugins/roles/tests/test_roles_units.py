"""The roles' pieces on their own: plan parsing, goal options, the pipeline, the CLI's bad input,
backend selection, and ``start implement`` from ``[roles]``."""

from __future__ import annotations

import json

import pytest
from codex_core.errors import ConfigError
from codex_core.kernel import Kernel
from codex_core.testing import run_cli, validate_manifest
from codex_core_roles.backends import resolve_backend_name
from codex_core_roles.goal import Goal, check_options, goal_from_options
from codex_core_roles.pipeline import implement_pipeline
from codex_core_roles.plan import PlanError, parse_plan
from codex_core_roles.reviewer import read_verdict
from roles_helpers import happy_script, python_project, stage


def test_a_plan_is_read_from_json_fenced_json_or_a_list():
    data = {
        "summary": "s",
        "items": [{"title": "a", "executable": True}, {"title": "b", "executable": False}],
    }
    plan = parse_plan("Here it is:\n```json\n" + json.dumps(data) + "\n```\nGood luck.")
    assert [(i.id, i.title, i.executable) for i in plan.items] == [
        ("1", "a", True),
        ("2", "b", False),
    ]
    assert [i.title for i in parse_plan("1. Add x\n2. Test x\n").executable] == ["Add x", "Test x"]
    assert parse_plan('{"items": ["just a title"]}').items[0].title == "just a title"


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ("", "empty"),
        ("I would rather not.", "no plan"),
        ('{"items": [{"title": "think", "executable": false}]}', "no executable item"),
        ('{"items": [{"details": "no title"}]}', "no title"),
    ],
)
def test_a_plan_that_cannot_be_built_is_an_error(reply, message):
    with pytest.raises(PlanError, match=message):
        parse_plan(reply)


def test_a_review_verdict_is_the_first_line():
    assert read_verdict("APPROVE\nfine") == "approve"
    assert read_verdict("**Request changes**: tests missing") == "request-changes"
    assert read_verdict("\n\nREJECT") == "request-changes"
    assert read_verdict("It looks fine to me") == "unclear"


def test_the_goal_and_its_options_ride_in_every_stage_of_the_pipeline():
    goal = Goal("Add x", backend="agents", worktree=True, max_tokens=500, time_limit=60.0)
    pipeline = implement_pipeline(goal)
    assert [s.id for s in pipeline.stages] == ["plan", "build", "test", "review"]
    assert [s.options["role"] for s in pipeline.stages] == [
        "manager",
        "builder",
        "tester",
        "reviewer",
    ]
    for spec in pipeline.stages:
        assert goal_from_options({k: v for k, v in spec.options.items() if k != "role"}) == goal
    assert [s.allow_failure for s in pipeline.stages] == [False, False, True, False]
    assert [s.guardrail for s in pipeline.stages] == [False, False, False, True]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "no goal"),
        ({"goal": "  "}, "goal"),
        ({"goal": "x", "sandbox": "yolo"}, "sandbox"),
        ({"goal": "x", "max_turns": 0}, "max_turns"),
        ({"goal": "x", "time_limit": -1}, "time_limit"),
        ({"goal": "x", "worktree": "yes"}, "worktree"),
        ({"goal": "x", "colour": "red"}, "unknown option"),
    ],
)
def test_bad_goal_options_are_refused(options, message):
    with pytest.raises(ConfigError, match=message):
        check_options(options, "here")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", " "], "the goal is empty"),
        (["run", "x", "--backend", "no-such-backend"], "no agent backend 'no-such-backend'"),
        (["run", "x", "--backend", "agents", "--reason", "r"], "go with --override"),
        (
            [
                "run",
                "x",
                "--backend",
                "agents",
                "--override",
                "plan",
                "--reason",
                "r",
                "--approver",
                "a",
            ],
            "no such guardrail",
        ),
        (["run", "x", "--backend", "agents", "--task", "../evil"], "task id"),
    ],
)
def test_bad_input_to_run_is_one_line_and_exit_2_with_nothing_started(tmp_path, args, message):
    repo = python_project(tmp_path)
    result = run_cli(*args, "--format", "json", cwd=repo)
    assert result.returncode == 2, result
    assert message in result.json()["error"]["message"]
    assert not (repo / ".runs").exists() or not list((repo / ".runs").glob("*/cli/*"))


def test_auto_picks_agents_when_no_codex_binary_is_found(tmp_path, monkeypatch):
    repo = python_project(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.delenv("CODEX_CORE_CODEX_BIN", raising=False)
    kernel = Kernel.for_repo(repo)
    assert resolve_backend_name(kernel, "auto") == "agents"
    assert resolve_backend_name(kernel, None) == "agents"
    assert resolve_backend_name(kernel, "codex") == "codex"  # named: taken as asked


@pytest.mark.slow
def test_start_implement_uses_the_goal_configured_in_roles(tmp_path):
    script = happy_script(tmp_path / "s.json")
    repo = python_project(tmp_path, """
        [roles]
        goal = "Add a greet function"
        backend = "agents"
    """)  # fmt: skip
    result = run_cli("start", "implement", "--format", "json", cwd=repo,
                     env={"CODEX_CORE_AGENTS_MODEL": f"scripted:{script}"})  # fmt: skip
    assert result.returncode == 0, result
    manifest = validate_manifest(repo / result.json()["manifest"])
    assert manifest["pipeline_title"] == "Implement: Add a greet function"
    assert stage(manifest, "review")["review"]["decision"] == "approved"


def test_start_implement_without_a_goal_says_how_to_give_one(tmp_path):
    repo = python_project(tmp_path)
    result = run_cli("start", "implement", "--format", "json", cwd=repo)
    assert result.returncode == 2
    assert "codex-core run" in result.json()["error"]["message"]
    plan = run_cli("plan", "implement", cwd=repo)
    assert plan.returncode == 2 and "no goal" in plan.stderr


def test_the_role_stage_kind_passes_the_kernels_conformance_check(tmp_path):
    from codex_core.pipeline import StageSpec
    from codex_core.testing import check_stage_kind

    repo = python_project(tmp_path)
    spec = StageSpec(
        id="review", kind="role",
        options={"role": "reviewer", "goal": "Nothing yet", "model_review": False},
    )  # fmt: skip
    data = check_stage_kind("role", repo, spec)
    record = data["commands"][0]
    # No tester ran before this lone reviewer: it rejects, and says why.
    assert (record["status"], record["reason"]) == ("failed", "review-rejected")
    assert record["review"]["findings"][0] == {
        "check": "tests", "summary": "the tests did not run", "reason": None,
    }  # fmt: skip
