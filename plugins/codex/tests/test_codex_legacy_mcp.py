"""The legacy path: the ``codex`` tool of ``codex mcp-server`` in the real @openai/codex 0.153.4.

The server is the real binary (node_modules/codex-legacy, installed by the project's npm setup
under an alias), reached through codex-core-mcp's client over stdio; the model is scripted.
"""

from __future__ import annotations

from pathlib import Path

from codex_core.testing import make_repo, run_cli, validate_manifest
from codex_core_codex.mcp_tool import CodexMcpBackend
from codex_test_helpers import CREATE, Recorder, assert_refused_and_never_a_success, one_turn
from scripted_model import USAGE, ScriptedModel, run, say


def legacy_repo(tmp_path: Path, model: ScriptedModel, binary: Path, pipelines: str = "") -> Path:
    toml = f'{pipelines}[codex]\nbinary = "{binary}"\nbackend = "codex-mcp"\n\n{model.toml()}'
    return make_repo(
        tmp_path / "repo", {"codex-core.toml": toml, "check.sh": "#!/bin/sh\necho ok\n"}
    )


async def test_mcp_server_tool_runs_a_turn(
    tmp_path: Path, model: ScriptedModel, model_env: dict[str, str], legacy_codex_bin: Path
) -> None:
    repo = legacy_repo(tmp_path, model, legacy_codex_bin)
    model.reply(run(CREATE), say("Created hello.txt."))
    recorder = Recorder()

    result = await one_turn(CodexMcpBackend(), repo, model_env, recorder)

    assert result.status == "completed", result
    assert [(c.command, c.exit_code, c.status) for c in result.commands] == [
        (CREATE, 0, "completed")
    ]
    assert (repo / "hello.txt").read_text() == "hello\n"
    assert result.reply == "Created hello.txt."
    assert result.usage is not None and result.usage.total_tokens == 2 * USAGE["total_tokens"]
    assert result.details["codex_version"] == "0.153.4"
    assert result.details["backend"] == "codex-mcp"
    assert result.details["approval_policy"] == "never"
    assert result.details["thread_id"]
    assert "mcp-server tools codex, codex-reply" in recorder.text
    assert [e["exit_code"] for e in recorder.named("codex-item")] == [0]


async def test_mcp_server_tool_read_only_refuses_the_write(
    tmp_path: Path, model: ScriptedModel, model_env: dict[str, str], legacy_codex_bin: Path
) -> None:
    repo = legacy_repo(tmp_path, model, legacy_codex_bin)
    model.reply(run(CREATE), say("Done."))
    result = await one_turn(CodexMcpBackend(), repo, model_env, Recorder(), sandbox="read-only")
    assert not (repo / "hello.txt").exists()
    assert_refused_and_never_a_success(result, model.tool_outputs(), CREATE)


async def test_mcp_server_tool_reports_a_command_still_running_when_the_turn_ends(
    tmp_path: Path, model: ScriptedModel, model_env: dict[str, str], legacy_codex_bin: Path
) -> None:
    """``exec_command_begin`` without its ``exec_command_end`` in the turn: not a success."""
    repo = legacy_repo(tmp_path, model, legacy_codex_bin)
    slow = "sleep 20; echo late > late.txt"
    model.reply(run(slow, yield_ms=500), say("Done."))
    result = await one_turn(CodexMcpBackend(), repo, model_env, Recorder())
    assert any("Process running with session ID" in out for out in model.tool_outputs())
    assert (result.status, result.reason) == ("failed", "command-unfinished")
    assert [(c.command, c.status) for c in result.commands] == [(slow, "in-progress")]


def test_codex_command_stage_on_the_legacy_backend(
    tmp_path: Path, model: ScriptedModel, model_env: dict[str, str], legacy_codex_bin: Path
) -> None:
    pipelines = '[pipelines.checks]\nstages = [{ id = "test", kind = "codex-command", command = "./check.sh" }]\n\n'
    repo = legacy_repo(tmp_path, model, legacy_codex_bin, pipelines)
    model.reply(run("./check.sh"), say("It printed ok."))

    result = run_cli("start", "checks", "--format", "json", cwd=repo, env=model_env, timeout=120)

    assert result.returncode == 0, result
    [record] = validate_manifest(Path(result.json()["manifest"]))["commands"]
    assert (record["status"], record["exit_code"]) == ("succeeded", 0)
    assert (record["codex_version"], record["codex_backend"]) == ("0.153.4", "codex-mcp")
    assert record["token_usage"][0]["total_tokens"] == 2 * USAGE["total_tokens"]
