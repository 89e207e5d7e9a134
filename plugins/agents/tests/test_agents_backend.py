"""The agents backend driven by the SDK's scripted model: handoffs, MCP, guardrails, sandbox.

Everything is real except the hosted model: a real kernel's guardrail vote (the guardrails
plugin's command policy, plus test guardrail plugins), the path sandbox, real shell commands, and
a real MCP server (``mcp_demo_server.py``, the ``mcp`` SDK's MCPServer) over stdio.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import trio
from agents.testing import ScriptedModel, assistant_message, function_call
from agents_helpers import Recorder, VetoWhen, backend_context, mcp_config, repo_with
from codex_core.backend_api import TurnRequest
from codex_core_agents.backend import AgentsBackend


def call(name: str, n: int, **arguments: object) -> object:
    return function_call(name, arguments, call_id=f"call_{n}")


def handoff(role: str, n: int) -> object:
    return function_call(f"transfer_to_{role}", {}, call_id=f"handoff_{n}")


def inputs_of(model: ScriptedModel) -> str:
    """Everything the model was shown, as one string (to find tool outputs in)."""
    return json.dumps([c.input for c in model.calls], default=str)


async def one_turn(
    repo: Path, model: object, recorder: Recorder, prompt: str = "do it", **kw: object
):
    plugins = kw.pop("plugins", ())
    request_kw = {
        k: kw.pop(k) for k in list(kw) if k in ("sandbox", "timeout_seconds", "instructions")
    }
    ctx = backend_context(repo, recorder=recorder, plugins=plugins, **kw)  # type: ignore[arg-type]
    async with AgentsBackend(model=model).session(ctx) as session:
        return await session.turn(TurnRequest(prompt=prompt, cwd=repo, **request_kw))  # type: ignore[arg-type]


@pytest.mark.slow  # starts a real MCP server subprocess
async def test_a_turn_hands_off_manager_builder_tester_reviewer_and_calls_an_mcp_tool(tmp_path):
    """SDK ScriptedModel: a handoff chain through the four roles, a file write, a shell command
    and a tool of a real stdio MCP server."""
    repo = repo_with(tmp_path, mcp_config())
    model = ScriptedModel([
        [handoff("builder", 1)],
        [call("write_file", 2, path="src/hello.txt", content="hi\n"), call("shout", 3, text="hello")],
        [handoff("tester", 4)],
        [call("run_command", 5, command="cat src/hello.txt")],
        [handoff("reviewer", 6)],
        [assistant_message("APPROVE")],
    ])  # fmt: skip
    recorder = Recorder()
    result = await one_turn(repo, model, recorder, run_dir=tmp_path / "run")

    assert result.status == "completed", result
    assert result.reply == "APPROVE"
    assert result.details["agents"] == ["manager", "builder", "tester", "reviewer"]
    assert result.details["handoffs"] == [
        {"from": "manager", "to": "builder"}, {"from": "builder", "to": "tester"},
        {"from": "tester", "to": "reviewer"},
    ]  # fmt: skip
    assert {"agent": "builder", "tool": "shout", "server": "demo"} in result.details["tool_calls"]
    assert "HELLO" in inputs_of(model)  # the real MCP server's answer reached the model
    assert (repo / "src/hello.txt").read_text() == "hi\n"
    assert [(c.path, c.kind) for c in result.file_changes] == [("src/hello.txt", "add")]
    [command] = result.commands
    assert (command.command, command.exit_code, command.output_tail) == (
        "cat src/hello.txt",
        0,
        "hi\n",
    )
    # every tool call was put to the kernel's vote, with its kind (the builder's two calls of
    # one model response run concurrently: their order is not fixed)
    kinds = [(a.kind, a.details.get("tool")) for a in recorder.actions]
    assert kinds[0] == ("agent-turn", "") and kinds[-1] == ("command", "run_command")
    assert sorted(kinds[1:3]) == [("file-write", "write_file"), ("mcp-tool", "shout")]
    assert [e["to_agent"] for e in recorder.named("agent-handoff")] == [
        "builder",
        "tester",
        "reviewer",
    ]
    assert recorder.named("agent-usage")[-1]["model_calls"] == 6
    model.assert_complete()


@pytest.mark.slow  # starts a real MCP server subprocess
async def test_the_model_script_and_mcp_servers_come_from_the_repo_config(tmp_path):
    """A JSON model script and a real MCP server named in the repo's ``[agents]`` config, the
    MCP tool called, usage counted."""
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"sessions": {"build": [
        [{"handoff": "builder"}],
        {"output": [{"call": "add", "arguments": {"a": 40, "b": 2}}], "usage": {"input_tokens": 7, "output_tokens": 3}},
        [{"message": "the answer is 42"}],
    ]}}))  # fmt: skip
    repo = repo_with(tmp_path, mcp_config() + f"""
        [agents]
        model = "scripted:{script}"
        mcp_servers = ["demo"]
    """)  # fmt: skip
    recorder = Recorder()
    result = await one_turn(repo, None, recorder, run_dir=tmp_path / "run")
    assert result.status == "completed", result
    assert result.reply == "the answer is 42"
    assert result.usage is not None and (result.usage.input_tokens, result.usage.total_tokens) == (
        7,
        10,
    )
    assert result.details["tool_calls"] == [{"agent": "builder", "tool": "add", "server": "demo"}]
    assert any("model scripted:" in line for line in recorder.log)
    assert (tmp_path / "run" / "mcp" / "demo.stderr.log").exists()


async def test_a_command_the_policy_denies_is_not_run_and_the_model_is_told(tmp_path):
    """SDK ScriptedModel asks for ``rm``; the guardrails plugin's real command policy denies it:
    the file stays, the model is told."""
    repo = repo_with(tmp_path, """
        [guardrails.policy]
        deny = ["rm *"]
    """, files={"keep.txt": "keep\n"})  # fmt: skip
    model = ScriptedModel([
        [handoff("builder", 1)],
        [call("run_command", 2, command="rm keep.txt")],
        [assistant_message("could not delete")],
    ])  # fmt: skip
    recorder = Recorder()
    result = await one_turn(repo, model, recorder)
    assert result.status == "completed"
    assert (repo / "keep.txt").exists()
    [declined] = result.commands
    assert (declined.command, declined.status, declined.exit_code) == (
        "rm keep.txt",
        "declined",
        None,
    )
    [veto] = result.details["vetoes"]
    assert veto["command"] == "rm keep.txt" and "rm *" in json.dumps(veto["vetoes"])
    assert "denied by codex-core guardrails" in inputs_of(model)


@pytest.mark.slow  # starts a real MCP server subprocess
async def test_mcp_tool_calls_are_put_to_the_vote_too(tmp_path):
    """SDK ScriptedModel calls a real MCP server's tool; a test guardrail vetoes it: the tool
    never runs."""
    repo = repo_with(tmp_path, mcp_config())
    model = ScriptedModel([
        [call("shout", 1, text="secret")],
        [assistant_message("refused")],
    ])  # fmt: skip
    recorder = Recorder()
    deny_mcp = VetoWhen(lambda a: a.kind == "mcp-tool" and a.details["server"] == "demo")
    result = await one_turn(repo, model, recorder, plugins=(deny_mcp,), run_dir=tmp_path / "run")
    assert result.status == "completed"
    assert "SECRET" not in inputs_of(model)
    assert "not on my watch" in inputs_of(model)
    assert result.details["vetoes"][0]["kind"] == "mcp-tool"


async def test_a_vetoed_turn_fails_before_the_model_is_asked(tmp_path):
    """A test guardrail vetoes the turn itself: policy-denied, the SDK ScriptedModel never
    called."""
    repo = repo_with(tmp_path)
    model = ScriptedModel([[assistant_message("never")]])
    recorder = Recorder()
    result = await one_turn(
        repo, model, recorder, plugins=(VetoWhen(lambda a: a.kind == "agent-turn"),)
    )
    assert (result.status, result.reason) == ("failed", "policy-denied")
    assert "not on my watch" in (result.error or "")
    assert model.calls == ()


@pytest.mark.parametrize(
    "target",
    [
        ".git/config",
        "../outside.txt",
        "/etc/passwd-codex",
        "sub/../../outside.txt",
        ".GIT/hooks/pre-commit",
        "link/escaped.txt",
    ],
)
async def test_a_write_outside_the_work_tree_or_into_git_fails_the_turn(tmp_path, target):
    """SDK ScriptedModel writes into .git, outside the repo and through a symlink: the path
    sandbox refuses, the turn fails path-escape."""
    repo = repo_with(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (repo / "link").symlink_to(outside)
    config_before = (repo / ".git/config").read_bytes()
    model = ScriptedModel([
        [handoff("builder", 1)],
        [call("write_file", 2, path="ok.txt", content="fine\n")],
        [call("write_file", 3, path=target, content="evil\n")],
        [assistant_message("done")],
    ])  # fmt: skip
    result = await one_turn(repo, model, Recorder())
    assert (result.status, result.reason) == ("failed", "path-escape"), result
    assert result.details["violations"][0]["path"] == target
    assert (repo / ".git/config").read_bytes() == config_before
    assert not (tmp_path / "outside.txt").exists() and list(outside.iterdir()) == []
    assert not Path("/etc/passwd-codex").exists()
    assert (repo / "ok.txt").read_text() == "fine\n"  # what it did before is kept and reported
    assert [c.path for c in result.file_changes] == ["ok.txt"]


async def test_the_last_run_of_a_command_decides_whether_the_turn_failed(tmp_path):
    """SDK ScriptedModel runs a real shell check that fails, fixes it, runs it again: the last
    run decides the turn."""
    repo = repo_with(tmp_path)
    red_then_green = ScriptedModel([
        [handoff("builder", 0)],
        [call("run_command", 1, command="test -f fixed.txt")],
        [call("write_file", 2, path="fixed.txt", content="x\n")],
        [call("run_command", 3, command="test -f fixed.txt")],
        [assistant_message("fixed")],
    ])  # fmt: skip
    result = await one_turn(repo, red_then_green, Recorder())
    assert result.status == "completed"
    assert [c.exit_code for c in result.commands] == [1, 0]

    left_red = ScriptedModel([
        [handoff("tester", 0)], [call("run_command", 1, command="exit 3")], [assistant_message("all good!")],
    ])  # fmt: skip
    result = await one_turn(repo, left_red, Recorder())
    assert (result.status, result.reason) == ("failed", "command-failed")
    assert result.reply == "all good!"


async def test_a_read_only_turn_offers_no_tool_that_changes_anything(tmp_path):
    """A read-only turn: the tools the SDK offers the scripted model are read tools only."""
    repo = repo_with(tmp_path)
    model = ScriptedModel([[handoff("builder", 1)], [assistant_message("looked only")]])
    result = await one_turn(repo, model, Recorder(), sandbox="read-only")
    assert result.status == "completed"
    builder_tools = {t.name for t in model.calls[1].tools}
    assert builder_tools == {"read_file", "list_files"}
    manager_handoffs = {h.tool_name for h in model.calls[0].handoffs}
    assert manager_handoffs == {"transfer_to_builder", "transfer_to_tester", "transfer_to_reviewer"}


async def test_the_model_call_limit_ends_the_turn_budget_exceeded(tmp_path):
    """``[agents] max_model_calls`` against a ScriptedModel that never stops: budget-exceeded
    with the limit."""
    repo = repo_with(tmp_path, "[agents]\nmax_model_calls = 2\n")
    model = ScriptedModel(
        [[call("list_files", n, directory=".")] for n in range(5)]
    )  # manager reads
    result = await one_turn(repo, model, Recorder())
    assert (result.status, result.reason) == ("failed", "budget-exceeded")
    assert result.details["limit"] == 2


async def test_cancelling_the_trio_task_cancels_the_agent_promptly(tmp_path):
    """Cancelling the trio task while the scripted model sleeps cancels the SDK run on its
    asyncio thread promptly; the earlier write stays."""
    repo = repo_with(tmp_path)
    script = [
        [{"handoff": "builder"}],
        [{"call": "write_file", "arguments": {"path": "before.txt", "content": "1\n"}}],
        {"output": [{"message": "too late"}], "sleep": 60},
    ]
    from codex_core_agents.scripted import from_script

    model = from_script(script)
    recorder = Recorder()
    started = trio.current_time()
    with trio.move_on_after(1.5) as scope:
        await one_turn(repo, model, recorder)
    elapsed = trio.current_time() - started
    assert scope.cancelled_caught
    assert elapsed < 4, f"the agent run took {elapsed:.1f}s to stop"
    assert (repo / "before.txt").exists()
    import threading

    assert not [t for t in threading.enumerate() if t.name == "codex-core-agents asyncio"]


async def test_cancelling_during_a_shell_command_kills_its_process_group(tmp_path):
    """Cancelling during a real shell command the scripted model started kills its whole process
    group."""
    repo = repo_with(tmp_path)
    pid_file = tmp_path / "pid"
    model = ScriptedModel([
        [handoff("builder", 0)],
        [call("run_command", 1, command=f"sleep 60 & echo $! > {pid_file}; wait")],
        [assistant_message("never")],
    ])  # fmt: skip
    started = trio.current_time()
    with trio.move_on_after(3):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(lambda: one_turn(repo, model, Recorder()))
            while not pid_file.exists() or not pid_file.read_text().strip():
                await trio.sleep(0.05)
            nursery.cancel_scope.cancel()
    assert trio.current_time() - started < 3
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        for _ in range(50):  # the group was killed; give the kernel a moment to reap
            os.kill(pid, 0)
            await trio.sleep(0.05)


async def test_a_turn_timeout_interrupts_the_agent_and_keeps_what_it_did(tmp_path):
    """A turn timeout while the scripted model sleeps: interrupted timed-out, the file written
    before kept."""
    repo = repo_with(tmp_path)
    from codex_core_agents.scripted import from_script

    model = from_script([
        [{"handoff": "builder"}],
        [{"call": "write_file", "arguments": {"path": "kept.txt", "content": "kept\n"}}],
        {"output": [{"message": "late"}], "sleep": 60},
    ])  # fmt: skip
    result = await one_turn(repo, model, Recorder(), timeout_seconds=1.0)
    assert (result.status, result.reason) == ("interrupted", "timed-out")
    assert [c.path for c in result.file_changes] == ["kept.txt"]
    assert (repo / "kept.txt").read_text() == "kept\n"


async def test_an_mcp_server_that_will_not_start_fails_the_turn_clearly(tmp_path):
    """A configured MCP server process that exits at once: the turn fails mcp-unavailable, not a
    traceback."""
    import sys

    repo = repo_with(tmp_path, f"""
        [mcp.servers.broken]
        command = [{sys.executable!r}, "-c", "import sys; sys.exit(3)"]
        connect_timeout = 10
    """)  # fmt: skip
    model = ScriptedModel([[assistant_message("never")]])
    result = await one_turn(repo, model, Recorder(), run_dir=tmp_path / "run")
    assert (result.status, result.reason) == ("failed", "mcp-unavailable")
    assert "'broken'" in (result.error or "")
    assert model.calls == ()
