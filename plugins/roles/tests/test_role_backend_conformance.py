"""The conformance checks of ``codex_core_roles.testing``: the agents backend and the built-in
roles pass them, driven by the SDK's ``ScriptedModel``; deliberately broken backends and roles
defined here fail them, each with a message saying what is wrong.

Everything is real except the hosted model: real git repos, a real kernel's guardrail vote, real
shell commands and file writes through the agents backend's tools, real one-stage runs of the
``role`` stage kind with validated manifests.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from agents.testing import ModelStep, ScriptedModel, assistant_message, function_call
from agents.usage import Usage
from codex_core.backend_api import (
    CommandExecution,
    FileChange,
    TokenUsage,
    TurnRequest,
    TurnResult,
)
from codex_core.stage_api import StageOutcome
from codex_core.testing import make_repo
from codex_core_agents.backend import AgentsBackend
from codex_core_roles.manager import Manager
from codex_core_roles.tester import Tester
from codex_core_roles.testing import backend_context_for, check_backend, check_role
from roles_helpers import plan_reply, python_project


def call(name: str, n: int, **arguments: object) -> object:
    return function_call(name, arguments, call_id=f"call_{n}")


def handoff(role: str, n: int) -> object:
    return function_call(f"transfer_to_{role}", {}, call_id=f"handoff_{n}")


def demo_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"README.md": "demo\n"})


# -- the agents backend passes ----------------------------------------------------------------


async def test_the_agents_backend_passes_check_backend_writing_a_file_and_running_a_command(
    tmp_path,
):
    """SDK ScriptedModel: the manager hands off to the builder, which writes a file and cats it
    with a real shell command; the check runs the real session and turn and finds it all well
    formed, the command voted on first."""
    repo = demo_repo(tmp_path)
    model = ScriptedModel([
        [handoff("builder", 1)],
        [call("write_file", 2, path="notes/hello.txt", content="hello\n")],
        [call("run_command", 3, command="cat notes/hello.txt")],
        ModelStep(
            output=[assistant_message("wrote and checked notes/hello.txt")],
            usage=Usage(requests=1, input_tokens=12, output_tokens=4, total_tokens=16),
        ),
    ])  # fmt: skip
    ctx = backend_context_for(repo, stage_id="build", run_dir=tmp_path / "run")
    request = TurnRequest(prompt="write notes/hello.txt and show it", cwd=repo)

    result = await check_backend(
        AgentsBackend(model=model), ctx, request, require_command_votes=True
    )

    assert (result.status, result.reply) == ("completed", "wrote and checked notes/hello.txt")
    assert [(c.path, c.kind) for c in result.file_changes] == [("notes/hello.txt", "add")]
    assert [(c.command, c.exit_code, c.output_tail) for c in result.commands] == [
        ("cat notes/hello.txt", 0, "hello\n")
    ]
    assert result.usage == TokenUsage(12, 4, 16)
    assert (repo / "notes/hello.txt").read_text() == "hello\n"
    events = [json.loads(line) for line in (tmp_path / "run/events.jsonl").read_text().splitlines()]
    assert events[-1]["event"] == "agent-turn-finished"
    assert "$ cat notes/hello.txt" in (tmp_path / "run/build.log").read_text()
    model.assert_complete()


# -- built-in roles pass ----------------------------------------------------------------------


async def test_the_manager_passes_check_role_and_its_turn_is_in_agent_turns(tmp_path):
    """The manager plans through the agents backend (SDK ScriptedModel answering the plan) in a
    real one-stage run: the plan and the turn are in the validated manifest."""
    repo = demo_repo(tmp_path)
    model = ScriptedModel([
        ModelStep(
            output=[assistant_message(plan_reply("Add greet()"))],
            usage=Usage(requests=1, input_tokens=30, output_tokens=10, total_tokens=40),
        ),
    ])  # fmt: skip

    manifest = await check_role(
        Manager(), repo, goal="Add a greet function", backend=AgentsBackend(model=model),
        stage_id="plan",
    )  # fmt: skip

    [record] = manifest["commands"]
    assert (manifest["status"], record["id"], record["status"]) == (
        "succeeded",
        "plan",
        "succeeded",
    )
    assert [i["title"] for i in record["plan_items"]] == ["Add greet()"]
    [turn] = record["agent_turns"]
    assert (turn["turn"], turn["status"], turn["sandbox"], turn["backend"]) == (
        1,
        "completed",
        "read-only",
        "agents",
    )
    assert turn["usage"] == {"input_tokens": 30, "output_tokens": 10, "total_tokens": 40}
    model.assert_complete()


async def test_the_tester_passes_check_role_without_agent_turns(tmp_path):
    """The tester takes no agent turn: it runs the repo's real diagnostics as a child run; the
    stage records the child and no agent_turns."""
    repo = python_project(tmp_path)
    manifest = await check_role(Tester, repo, goal="Check the calculator", stage_id="test")
    [record] = manifest["commands"]
    assert record["status"] == "succeeded"
    assert "agent_turns" not in record
    [child] = manifest["child_runs"]
    assert (child["pipeline_id"], child["status"], record["sub_run_id"]) == (
        "diagnostics",
        "succeeded",
        child["run_id"],
    )


# -- broken backends fail ---------------------------------------------------------------------


class CannedBackend:
    """A backend plugin whose one turn reports ``result``, whatever happened."""

    def __init__(self, result: TurnResult, name: Any = "canned", close_error: bool = False) -> None:
        self.name = name
        self.result = result
        self.close_error = close_error

    @contextlib.asynccontextmanager
    async def session(self, ctx: Any) -> AsyncIterator[Any]:
        yield self
        if self.close_error:
            raise RuntimeError("the agent process would not stop")

    async def turn(self, request: TurnRequest) -> TurnResult:
        return self.result


OK = TurnResult("completed", reply="done", usage=TokenUsage(1, 1, 2))


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        pytest.param(CannedBackend(OK, name=""), "needs a non-empty `name`", id="no-name"),
        pytest.param(
            CannedBackend(TurnResult("completed", file_changes=(FileChange("../x", "add"),))),
            r"changed path '\.\./x' is outside the work tree",
            id="path-outside-the-work-tree",
        ),
        pytest.param(
            CannedBackend(TurnResult("completed", file_changes=(FileChange(".git/config"),))),
            r"changed path '\.git/config' is outside the work tree .* \(or inside \.git\)",
            id="path-inside-git",
        ),
        pytest.param(
            CannedBackend(TurnResult("completed", file_changes=(FileChange("/tmp/abs.txt"),))),
            "must be relative to the work tree",
            id="absolute-path",
        ),
        pytest.param(
            CannedBackend(TurnResult("completed", usage=TokenUsage(10, -5, 5))),
            r"usage.output_tokens is -5: .* never negative",
            id="negative-tokens",
        ),
        pytest.param(
            CannedBackend(TurnResult("done")),  # type: ignore[arg-type]
            "TurnResult.status 'done' is not one of completed, failed, interrupted",
            id="unknown-status",
        ),
        pytest.param(
            CannedBackend(
                TurnResult("completed", commands=(CommandExecution("pytest -q", 1, "failed"),))
            ),
            "the turn is completed but 'pytest -q' failed",
            id="completed-despite-a-failed-command",
        ),
        pytest.param(
            CannedBackend(OK, close_error=True),
            "closing the session raised RuntimeError: the agent process would not stop",
            id="session-does-not-close-cleanly",
        ),
    ],
)
async def test_check_backend_fails_a_backend_that_breaks_the_protocol(tmp_path, backend, message):
    repo = demo_repo(tmp_path)
    ctx = backend_context_for(repo)
    with pytest.raises(AssertionError, match=message):
        await check_backend(backend, ctx, TurnRequest(prompt="do it", cwd=repo))


async def test_check_backend_fails_a_backend_that_runs_a_command_without_the_vote(tmp_path):
    """A backend that reports `rm -rf build` as run but never asked ctx.approve: the guardrails
    (the command policy) never saw it."""
    repo = demo_repo(tmp_path)
    ran = TurnResult("completed", commands=(CommandExecution("rm -rf build", 0),))
    with pytest.raises(AssertionError, match=r"ran 'rm -rf build' 1 time\(s\) but the guardrail"):
        await check_backend(
            CannedBackend(ran), backend_context_for(repo), TurnRequest(prompt="x", cwd=repo),
            require_command_votes=True,
        )  # fmt: skip


# -- broken roles fail ------------------------------------------------------------------------


class NamelessRole:
    async def run(self, job: Any) -> StageOutcome:
        return StageOutcome("succeeded")


class SyncRole:
    name = "sync"

    def run(self, job: Any) -> StageOutcome:
        return StageOutcome("succeeded")


class CrashingRole:
    name = "crasher"

    async def run(self, job: Any) -> StageOutcome:
        raise ValueError("the plan was not a list")


class BudgetDodgingRole:
    """Talks to the backend with ``session.turn`` directly instead of ``job.turn``: its turn
    escapes the goal's budget and is missing from the manifest."""

    name = "dodger"

    async def run(self, job: Any) -> StageOutcome:
        async with job.session() as session:
            result = await session.turn(job.request("say hi", sandbox="read-only"))
        return StageOutcome("succeeded", summary=result.reply)


@pytest.mark.parametrize(
    ("role", "message"),
    [
        pytest.param(NamelessRole(), "a role needs a non-empty `name`", id="no-name"),
        pytest.param(SyncRole(), "role 'sync' needs `async def run", id="sync-run"),
        pytest.param(
            CrashingRole(),
            r"role 'crasher': run\(job\) raised ValueError: the plan was not a list",
            id="raises",
        ),
    ],
)
async def test_check_role_fails_a_role_that_breaks_the_protocol(tmp_path, role, message):
    with pytest.raises(AssertionError, match=message):
        await check_role(role, demo_repo(tmp_path), backend="agents")


async def test_check_role_fails_a_role_whose_turns_dodge_the_budget(tmp_path):
    """The role's real turn (SDK ScriptedModel) ran, but not through job.turn: the check says
    the turn escaped the budget and agent_turns."""
    model = ScriptedModel([[assistant_message("hi")]])
    with pytest.raises(
        AssertionError, match=r"ran 1 backend turn\(s\) but only 0 through job.turn"
    ):
        await check_role(
            BudgetDodgingRole(), demo_repo(tmp_path), backend=AgentsBackend(model=model)
        )
    model.assert_complete()
