"""The ``codex-command`` stage end to end: the real ``codex-core`` command, the real Codex 0.169.0.

Every run here is ``codex-core start`` as a subprocess on a real git repo whose
``codex-core.toml`` points Codex at the scripted model; the manifest, the events and the error
artifacts are read back from disk.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
import time
from pathlib import Path

from codex_core.testing import make_repo, run_cli, validate_manifest
from codex_test_helpers import events_of
from scripted_model import USAGE, ScriptedModel, run, say

CLI_LIMIT = 120.0
SCRIPTS = {
    "check.sh": "#!/bin/sh\necho '2 passed'\n",
    "fail.sh": "#!/bin/sh\necho '1 failed, 1 passed'\nexit 3\n",
    "forbidden.sh": "#!/bin/sh\ntouch pwned\n",
}


def repo_with(tmp_path: Path, model: ScriptedModel, stage: str, extra: str = "") -> Path:
    toml = f"[pipelines.checks]\nstages = [{stage}]\n\n{textwrap.dedent(extra)}\n{model.toml()}"
    return make_repo(tmp_path / "repo", {"codex-core.toml": toml, **SCRIPTS})


def start(repo: Path, env: dict[str, str]) -> tuple[int, dict, Path]:
    result = run_cli("start", "checks", "--format", "json", cwd=repo, env=env, timeout=CLI_LIMIT)
    data = result.json()
    manifest_path = Path(data["manifest"])
    return result.returncode, validate_manifest(manifest_path), manifest_path.parent


def error_artifact(repo: Path, record: dict) -> dict:
    return json.loads((repo / record["error_file"]).read_text())  # paths are repo-relative


def test_command_through_codex_records_version_sandbox_usage_and_the_items_exit_code(
    tmp_path: Path, model: ScriptedModel, model_env: dict[str, str], codex_bin: Path
) -> None:
    stage = '{ id = "test", kind = "codex-command", command = "./check.sh", backend = "codex" }'
    repo = repo_with(tmp_path, model, stage)
    model.reply(run("./check.sh"), say("2 tests passed; the command exited 0."))

    code, manifest, run_dir = start(repo, model_env)

    assert code == 0, manifest["status_detail"]
    [record] = manifest["commands"]
    assert (record["kind"], record["status"], record["exit_code"]) == (
        "codex-command",
        "succeeded",
        0,
    )
    assert record["codex_version"] == "0.169.0"
    assert record["codex_backend"] == "codex"
    assert record["sandbox"] == "workspace-write"
    assert record["approval_policy"] == "on-request"
    assert record["codex_command"] == {
        "command": "./check.sh",
        "exit_code": 0,
        "status": "completed",
    }
    [usage] = record["token_usage"]
    assert usage["turn"] == 1
    assert (usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]) == (
        2 * USAGE["input_tokens"],
        2 * USAGE["output_tokens"],
        2 * USAGE["total_tokens"],
    )
    assert record["codex_thread_id"]
    assert record["summary"] == "exit 0: 2 tests passed; the command exited 0."
    log = (run_dir / "commands" / "01-test.log").read_text()
    assert "$ ./check.sh" in log and "2 passed" in log
    names = [e["event"] for e in events_of(run_dir)]
    assert "codex-item" in names and "codex-turn" in names
    # the prompt asked Codex for exactly this command
    first_input = json.dumps(model.requests[0]["input"])
    assert "./check.sh" in first_input


def test_exit_code_comes_from_codex_items_not_from_the_reply(
    tmp_path: Path, model: ScriptedModel, model_env: dict[str, str], codex_bin: Path
) -> None:
    stage = '{ id = "test", kind = "codex-command", command = "./fail.sh" }'
    repo = repo_with(tmp_path, model, stage)
    model.reply(run("./fail.sh"), say("All tests passed!"))  # the model's prose lies

    code, manifest, _run_dir = start(repo, model_env)

    assert code == 1
    [record] = manifest["commands"]
    assert (record["status"], record["exit_code"], record["reason"]) == (
        "failed",
        3,
        "command-failed",
    )
    assert record["codex_command"]["exit_code"] == 3
    artifact = error_artifact(repo, record)
    assert artifact["reason"] == "command-failed"
    assert artifact["details"]["exit_code"] == 3
    assert "1 failed" in artifact["details"]["stderr_tail"]
    assert manifest["status_detail"] == "stage test failed (command-failed)"


def test_a_reply_without_the_command_is_a_malformed_tool_response(
    tmp_path: Path, model: ScriptedModel, model_env: dict[str, str], codex_bin: Path
) -> None:
    stage = '{ id = "test", kind = "codex-command", command = "./check.sh" }'
    repo = repo_with(tmp_path, model, stage)
    model.reply(say("I ran it and everything passed."))

    code, manifest, _run_dir = start(repo, model_env)

    assert code == 1
    [record] = manifest["commands"]
    assert (record["status"], record["reason"]) == ("failed", "malformed-tool-response")
    assert record["exit_code"] is None
    assert "Codex ran no command" in record["summary"]
    assert error_artifact(repo, record)["reason"] == "malformed-tool-response"
    assert len(model.requests) == 1


def test_read_only_sandbox_makes_a_writing_command_fail_the_stage(
    tmp_path: Path, model: ScriptedModel, model_env: dict[str, str], codex_bin: Path
) -> None:
    stage = '{ id = "gen", kind = "codex-command", command = "echo x > generated.txt", sandbox = "read-only" }'
    repo = repo_with(tmp_path, model, stage)
    model.reply(run("echo x > generated.txt"), say("Generated the file."))

    code, manifest, _ = start(repo, model_env)

    assert code == 1
    [record] = manifest["commands"]
    assert record["sandbox"] == "read-only"
    assert not (repo / "generated.txt").exists()
    # The sandbox refused the write. Codex 0.169 reports the refused command (the stage fails
    # command-failed) or, often on this machine, sends no item for it at all (the stage fails
    # malformed-tool-response: no record of the command). Never a success.
    assert record["status"] == "failed" and record.get("exit_code") != 0
    assert record["reason"] in ("command-failed", "malformed-tool-response")
    assert any("Read-only file system" in out for out in model.tool_outputs())


def test_guardrails_vote_before_codex_starts_and_on_codex_approval_requests(
    tmp_path: Path, model: ScriptedModel, model_env: dict[str, str], codex_bin: Path
) -> None:
    policy = '[guardrails.policy]\ndeny = ["forbidden.sh"]\n'
    # 1. the configured command itself is denied: Codex is never asked
    stage = '{ id = "test", kind = "codex-command", command = "./forbidden.sh" }'
    repo = repo_with(tmp_path / "one", model, stage, policy)
    code, manifest, run_dir = start(repo, model_env)
    assert code == 1
    assert manifest["commands"][0]["reason"] == "policy-denied"
    assert model.requests == []
    assert any(e["event"] == "guardrail-veto" for e in events_of(run_dir))

    # 2. the command is allowed, but the model has Codex run another one: Codex asks (untrusted),
    #    the command policy vetoes, the request is declined and nothing runs
    stage = '{ id = "test", kind = "codex-command", command = "./check.sh", approval_policy = "untrusted" }'
    repo = repo_with(tmp_path / "two", model, stage, policy)
    model.reply(run("./forbidden.sh"), say("Done."))
    code, manifest, run_dir = start(repo, model_env)
    assert code == 1
    [record] = manifest["commands"]
    assert record["reason"] == "policy-denied", record
    assert record["codex_commands"] == [
        {"command": "./forbidden.sh", "exit_code": None, "status": "declined"}
    ]
    assert not (repo / "pwned").exists()
    [decision] = [e for e in events_of(run_dir) if e["event"] == "codex-approval"]
    assert decision["decision"] == "decline"
    assert decision["vetoes"][0]["guardrail"].endswith("policy")


def test_invalid_sandbox_or_approval_values_are_rejected_at_plan_time(
    tmp_path: Path, model: ScriptedModel, codex_bin: Path
) -> None:
    cases = {
        "bogus-sandbox": (
            '{ id = "t", kind = "codex-command", command = "true", sandbox = "bogus" }',
            "",
            "'bogus' is not a sandbox mode",
        ),
        "bogus-approval": (
            '{ id = "t", kind = "codex-command", command = "true", approval_policy = "sometimes" }',
            "",
            "is not an approval policy",
        ),
        # a value older Codex took, which 0.169.0 no longer accepts
        "retired-approval": (
            '{ id = "t", kind = "codex-command", command = "true", approval_policy = "on-failure" }',
            "",
            "not accepted by the codex backend of codex-cli 0.169.0",
        ),
        "exec-cannot-ask": (
            '{ id = "t", kind = "codex-command", command = "true", backend = "codex-exec", approval_policy = "untrusted" }',
            "",
            "it accepts: never",
        ),
        "no-mcp-server": (
            '{ id = "t", kind = "codex-command", command = "true", backend = "codex-mcp" }',
            "",
            "needs `codex mcp-server`",
        ),
        "config-section": (
            '{ id = "t", kind = "codex-command", command = "true" }',
            '[codex]\nsandbox = "everything"\n',
            "codex.sandbox: 'everything'",
        ),
        "unknown-option": (
            '{ id = "t", kind = "codex-command", command = "true", sandboxx = "read-only" }',
            "",
            "unknown key(s) for a codex-command stage: sandboxx",
        ),
    }
    for name, (stage, extra, message) in cases.items():
        repo = repo_with(tmp_path / name, model, stage, extra)
        commands = ("plan", "start") if name in ("bogus-sandbox", "retired-approval") else ("plan",)
        for command in commands:
            result = run_cli(command, "checks", cwd=repo, timeout=CLI_LIMIT)
            assert result.returncode == 2, (name, command, result)
            assert message in result.stderr, (name, command, result.stderr)
        assert not list((repo / ".runs").glob("*/cli/*/manifest.json")), name
    assert model.requests == []


def test_stage_timeout_ends_codex_and_the_command_it_runs(
    tmp_path: Path, model: ScriptedModel, model_env: dict[str, str], codex_bin: Path
) -> None:
    marker = "sleep 31.4159"  # unique, so that the check below finds only this test's command
    stage = f'{{ id = "slow", kind = "codex-command", command = "{marker}", timeout = 4 }}'
    repo = repo_with(tmp_path, model, stage)
    model.reply(run(marker), say("slept"))
    started = time.monotonic()

    code, manifest, _ = start(repo, model_env)

    assert code == 1
    assert time.monotonic() - started < 30
    [record] = manifest["commands"]
    assert (record["status"], record["reason"]) == ("failed", "timed-out")
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    assert marker not in ps
