"""The kernel's ``command`` stage with ``backend = "codex"``: the command runs through Codex.

Every run is ``codex-core start`` (or ``plan``) as a real subprocess on a real git repo; the
stage has no ``kind`` (so it is the kernel's ``command``), which hands it to the ``codex``
backend's ``run_command_stage`` (entry point ``codex_core.backends:codex``), which runs the real
Codex 0.169.0 app-server. Only the hosted model is replaced (scripted_model.py); the manifest,
logs and error artifacts are read back from disk.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from codex_core.testing import make_repo, run_cli, validate_manifest
from scripted_model import USAGE, ScriptedModel, run, say

CLI_LIMIT = 180.0
SCRIPTS = {
    "check.sh": "#!/bin/sh\necho '2 passed'\n",
    "fail.sh": "#!/bin/sh\necho '1 failed, 1 passed'\nexit 3\n",
}


def repo_with(tmp_path: Path, model: ScriptedModel, *stages: str, extra: str = "") -> Path:
    listed = "".join(f"  {stage},\n" for stage in stages)
    toml = f"[pipelines.checks]\nstages = [\n{listed}]\n\n{textwrap.dedent(extra)}\n{model.toml()}"
    return make_repo(tmp_path / "repo", {"codex-core.toml": toml, **SCRIPTS})


def start(repo: Path, env: dict[str, str] | None = None) -> tuple[int, dict]:
    result = run_cli("start", "checks", "--format", "json", cwd=repo, env=env, timeout=CLI_LIMIT)
    return result.returncode, validate_manifest(Path(result.json()["manifest"]))


def test_command_stages_with_backend_codex_take_their_exit_codes_from_codex_items(
    tmp_path: Path, model: ScriptedModel, model_env: dict[str, str], codex_bin: Path
) -> None:
    """Two ``command`` stages with ``backend = "codex"``: the first passes; in the second the
    model's reply lies ("all passed") while the script exits 3: the stage fails with exit 3."""
    repo = repo_with(
        tmp_path, model,
        '{ id = "check", command = "./check.sh", backend = "codex" }',
        '{ id = "suite", command = "./fail.sh", backend = "codex" }',
    )  # fmt: skip
    model.reply(run("./check.sh"), say("2 tests passed."), run("./fail.sh"), say("All passed!"))

    code, manifest = start(repo, model_env)

    assert code == 1
    check, suite = manifest["commands"]
    assert (check["kind"], check["status"], check["exit_code"]) == ("command", "succeeded", 0)
    assert check["summary"] == "exit 0: 2 tests passed."
    assert (check["codex_version"], check["codex_backend"]) == ("0.169.0", "codex")
    assert (check["sandbox"], check["approval_policy"]) == ("workspace-write", "on-request")
    assert check["codex_command"] == {"command": "./check.sh", "exit_code": 0, "status": "completed"}  # fmt: skip
    assert check["token_usage"][0]["total_tokens"] == 2 * USAGE["total_tokens"]
    assert (suite["kind"], suite["status"], suite["exit_code"]) == ("command", "failed", 3)
    assert suite["reason"] == "command-failed"
    assert json.loads((repo / suite["error_file"]).read_text())["details"]["exit_code"] == 3
    # one turn per command, each asking for exactly that command
    assert "./check.sh" in json.dumps(model.requests[0]["input"])
    assert "./fail.sh" in json.dumps(model.requests[2]["input"])
    assert len(model.requests) == 4
    log = (repo / check["log_path"]).read_text()
    assert "command via codex: ./check.sh" in log and "2 passed" in log


def test_backend_local_or_none_runs_the_command_in_the_kernel_without_codex(
    tmp_path: Path, model: ScriptedModel, codex_bin: Path
) -> None:
    repo = repo_with(
        tmp_path, model,
        '{ id = "plain", command = "./check.sh" }',
        '{ id = "local", command = "./fail.sh", backend = "local" }',
    )  # fmt: skip

    code, manifest = start(repo)

    assert code == 1
    plain, local = manifest["commands"]
    assert (plain["status"], plain["exit_code"]) == ("succeeded", 0)
    assert (local["status"], local["exit_code"], local["reason"]) == ("failed", 3, "command-failed")
    assert "codex_version" not in plain and "codex_version" not in local
    assert model.requests == []


def test_a_command_still_running_when_the_turn_ends_is_not_a_result(
    tmp_path: Path, model: ScriptedModel, model_env: dict[str, str], codex_bin: Path
) -> None:
    """Codex's shell tool backgrounds a command that outlives its yield window (here the model
    asks for 0.5 s) and the turn completes without the command's exit code."""
    repo = repo_with(tmp_path, model, '{ id = "slow", command = "sleep 20", backend = "codex" }')
    model.reply(run("sleep 20", yield_ms=500), say("It passed."))

    code, manifest = start(repo, model_env)

    assert code == 1
    [record] = manifest["commands"]
    assert (record["status"], record["reason"]) == ("failed", "malformed-tool-response")
    assert record["exit_code"] is None
    assert "still running when Codex ended the turn" in record["summary"]
    assert record["codex_command"] == {"command": "sleep 20", "exit_code": None, "status": "in-progress"}  # fmt: skip
    assert any("Process running with session ID" in out for out in model.tool_outputs())


def test_unknown_backends_and_options_of_a_command_stage_are_plan_time_errors(
    tmp_path: Path, model: ScriptedModel, codex_bin: Path
) -> None:
    cases = {
        "unknown-backend": (
            '{ id = "t", command = "true", backend = "codx" }',
            "unknown backend 'codx' (one of: agents, codex, codex-exec, codex-mcp, local)",
        ),
        "not-a-command-runner": (
            '{ id = "t", command = "true", backend = "agents" }',
            "backend 'agents' cannot run a command stage",
        ),
        "codex-option-without-codex": (
            '{ id = "t", command = "true", sandbox = "read-only" }',
            "unknown key(s) for a command stage: sandbox",
        ),
        "unknown-codex-option": (
            '{ id = "t", command = "true", backend = "codex", sandboxx = "read-only" }',
            "unknown key(s) for a command stage run by Codex: sandboxx",
        ),
        "value-this-codex-refuses": (
            '{ id = "t", command = "true", backend = "codex", approval_policy = "on-failure" }',
            "not accepted by the codex backend of codex-cli 0.169.0",
        ),
        "no-mcp-server-in-0.169": (
            '{ id = "t", command = "true", backend = "codex-mcp" }',
            "needs `codex mcp-server`",
        ),
    }
    for name, (stage, message) in cases.items():
        repo = repo_with(tmp_path / name, model, stage)
        for command in ("plan", "start"):
            result = run_cli(command, "checks", cwd=repo, timeout=CLI_LIMIT)
            assert result.returncode == 2, (name, command, result)
            assert message in result.stderr, (name, command, result.stderr)
        assert not list((repo / ".runs").glob("*/cli/*/manifest.json")), name
    assert model.requests == []
