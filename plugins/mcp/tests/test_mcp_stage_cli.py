"""The ``mcp`` stage kind end to end: real ``codex-core start`` runs, real MCP server processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from codex_core.testing import make_repo, run_cli, validate_manifest
from mcp_test_helpers import (
    DEMO,
    DEMO_TOOLS,
    GARBAGE,
    SILENT,
    http_demo_server,
    python_command,
    read_pids,
    toml_list,
    wait_gone,
)

pytestmark = pytest.mark.slow
# A run that hangs fails the test through run_cli's timeout instead of hanging the suite.
RUN_BOUND = 120


def servers_toml(tmp: Path) -> str:
    return f"""
[mcp.servers.demo]
command = {toml_list(python_command(DEMO))}
env = {{ DEMO_PID_FILE = {json.dumps(str(tmp / "hang-pids"))} }}
shutdown_grace = 0.5

[mcp.servers.broken]
command = {toml_list(python_command(GARBAGE, "call"))}
env = {{ DEMO_PID_FILE = {json.dumps(str(tmp / "garbage-pid"))} }}
shutdown_grace = 0.3

[mcp.servers.silent]
command = {toml_list(python_command(SILENT))}
env = {{ DEMO_PID_FILE = {json.dumps(str(tmp / "silent-pids"))} }}
connect_timeout = 1.5
shutdown_grace = 0.3
"""


def repo_with(tmp_path: Path, pipelines: str) -> Path:
    return make_repo(tmp_path / "repo", {"codex-core.toml": servers_toml(tmp_path) + pipelines})


def start(repo: Path, pipeline: str, env: dict[str, str] | None = None) -> tuple[Any, Path]:
    result = run_cli("start", pipeline, "--format", "json", cwd=repo, env=env, timeout=RUN_BOUND)
    manifest = Path(result.json()["manifest"])
    return result, manifest


def events(manifest: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in (manifest.parent / "events.jsonl").read_text().splitlines()
    ]


def error_artifact(repo: Path, record: dict[str, Any]) -> dict[str, Any]:
    return json.loads((repo / record["error_file"]).read_text())


def server_pids(found: list[dict[str, Any]]) -> list[int]:
    return [e["pid"] for e in found if e["event"] == "mcp-session-opened" and e["pid"]]


HAPPY = """
[pipelines.happy]
stages = [
  { id = "echo", kind = "mcp", server = "demo", tool = "echo", arguments = { text = "hello from a stage" } },
  { id = "slow", kind = "mcp", server = "demo", tool = "progress", arguments = { steps = 5, interval = 0.5 }, call_timeout = 1.0 },
  { id = "chatter", kind = "mcp", server = "demo", tool = "chatter" },
]
"""


def test_mcp_stages_record_tools_hash_logs_and_notifications(tmp_path: Path) -> None:
    """``codex-core start`` as a subprocess running mcp stages against the real demo server:
    hash, logs, notifications in events.jsonl, no process left."""
    repo = repo_with(tmp_path, HAPPY)
    result, manifest_path = start(repo, "happy")
    assert result.returncode == 0, result
    manifest = validate_manifest(manifest_path)
    assert manifest["status"] == "succeeded"
    echo, slow, chatter = manifest["commands"]
    for record in (echo, slow, chatter):
        assert record["kind"] == "mcp" and record["status"] == "succeeded"
        assert record["mcp_server"] == "demo"
        assert record["mcp_tools"] == DEMO_TOOLS
        assert len(record["mcp_tools_sha256"]) == 64
    # one tool set, one hash, whichever stage listed it
    assert echo["mcp_tools_sha256"] == slow["mcp_tools_sha256"] == chatter["mcp_tools_sha256"]
    assert echo["summary"] == "echo: hello from a stage"
    echo_log = (repo / echo["log_path"]).read_text()
    assert "hello from a stage" in echo_log
    assert f"sha256 {echo['mcp_tools_sha256']}" in echo_log
    # 2.5 s of work against a 1 s call deadline: the progress notifications moved it on
    assert slow["mcp_progress_notifications"] == 5
    assert slow["duration_seconds"] > 2.0
    assert "[demo progress] 5/5 step 5" in (repo / slow["log_path"]).read_text()
    assert "[demo log info] chatter says hello" in (repo / chatter["log_path"]).read_text()

    found = events(manifest_path)
    notes = [e for e in found if e["event"] == "mcp-notification"]
    by_stage = {(e["stage_id"], e["method"]) for e in notes}
    assert ("slow", "notifications/progress") in by_stage
    assert ("chatter", "notifications/message") in by_stage
    assert ("chatter", "codex/event") in by_stage
    codex_event = next(e for e in notes if e["method"] == "codex/event")
    assert codex_event["params"]["msg"]["message"] == "hi from chatter"
    assert sum(e["method"] == "notifications/progress" for e in notes) == 5
    pids = server_pids(found)
    assert len(pids) == 3
    assert wait_gone(*pids) == []


def test_a_changed_tool_set_changes_the_recorded_hash(tmp_path: Path) -> None:
    """Two real ``codex-core start`` runs whose server offers different tools: the manifest's
    tools hash differs."""
    repo = repo_with(
        tmp_path,
        '[pipelines.one]\nstages = [{ id = "echo", kind = "mcp", server = "demo", tool = "echo", '
        'arguments = { text = "x" } }]\n',
    )
    first, first_manifest = start(repo, "one")
    # the run's environment reaches the server: DEMO_TOOLSET=2 makes it offer other tools
    second, second_manifest = start(repo, "one", env={"DEMO_TOOLSET": "2"})
    assert first.returncode == second.returncode == 0, (first, second)
    before = validate_manifest(first_manifest)["commands"][0]
    after = validate_manifest(second_manifest)["commands"][0]
    assert after["mcp_tools_sha256"] != before["mcp_tools_sha256"]
    assert "extra" in after["mcp_tools"] and "extra" not in before["mcp_tools"]


FAILURES = """
[pipelines.failures]
stages = [
  { id = "is-error", kind = "mcp", server = "demo", tool = "fail", arguments = { why = "the build is red" }, allow_failure = true },
  { id = "crash", kind = "mcp", server = "demo", tool = "crash", arguments = { code = 7 }, allow_failure = true },
  { id = "garbage", kind = "mcp", server = "broken", tool = "broken", allow_failure = true },
  { id = "silent", kind = "mcp", server = "silent", tool = "anything", allow_failure = true },
  { id = "unknown-tool", kind = "mcp", server = "demo", tool = "no-such-tool", allow_failure = true },
  { id = "bad-arguments", kind = "mcp", server = "demo", tool = "echo", arguments = { text = 5 }, allow_failure = true },
  { id = "hang", kind = "mcp", server = "demo", tool = "hang", call_timeout = 1.5 },
]
"""


def test_failing_servers_give_structured_errors_and_leave_no_process(tmp_path: Path) -> None:
    """``codex-core start`` against real crashing, hanging, silent and garbage-writing servers:
    one structured error artifact each, no process left."""
    repo = repo_with(tmp_path, FAILURES)
    result, manifest_path = start(repo, "failures")
    assert result.returncode == 1, result
    manifest = validate_manifest(manifest_path)
    assert manifest["status"] == "failed"
    assert manifest["status_detail"] == "stage hang failed (timed-out)"
    records = {r["id"]: r for r in manifest["commands"]}
    expected = {
        "is-error": "tool-invocation-error",
        "crash": "tool-invocation-error",
        "garbage": "malformed-tool-response",
        "silent": "timed-out",
        "unknown-tool": "unknown-tool",
        "bad-arguments": "invalid-tool-arguments",
        "hang": "timed-out",
    }
    artifacts = {}
    for stage, reason in expected.items():
        record = records[stage]
        assert record["reason"] == reason, record
        artifact = error_artifact(repo, record)
        assert artifact["reason"] == reason
        assert artifact["command_id"] == stage
        artifacts[stage] = artifact["details"]
    assert records["hang"]["status"] == "failed"
    assert all(records[s]["status"] == "skipped" for s in expected if s != "hang")

    assert "the build is red" in artifacts["is-error"]["content"][0]["text"]
    assert artifacts["crash"]["exit_code"] == 7
    assert "crashing now" in artifacts["crash"]["stderr_tail"]
    assert "not JSON-RPC" in artifacts["garbage"]["line_excerpt"]
    assert artifacts["silent"]["connect_timeout_seconds"] == 1.5
    assert "echo" in artifacts["unknown-tool"]["tools"]
    assert artifacts["bad-arguments"]["problems"] == ["text: 5 is not of type 'string'"]
    assert artifacts["hang"]["timeout_seconds"] == 1.5
    # the tools hash is recorded even when the call then fails
    assert records["hang"]["mcp_tools_sha256"] == records["is-error"]["mcp_tools_sha256"]

    # nothing any of those servers started is still running
    pids = server_pids(events(manifest_path))
    pids += read_pids(tmp_path / "hang-pids")  # the hung server and the child it left
    pids += read_pids(tmp_path / "silent-pids")
    pids += read_pids(tmp_path / "garbage-pid")
    assert wait_gone(*pids) == []


def test_mcp_stage_over_streamable_http(tmp_path: Path) -> None:
    """``codex-core start`` with an mcp stage against the real demo server over streamable HTTP."""
    with http_demo_server() as url:
        repo = repo_with(
            tmp_path,
            f'[mcp.servers.remote]\nurl = "{url}"\nheaders = {{ X-Test = "1" }}\n\n'
            "[pipelines.remote]\nstages = [\n"
            '  { id = "echo", kind = "mcp", server = "remote", tool = "echo", arguments = { text = "via http" } },\n'
            '  { id = "slow", kind = "mcp", server = "remote", tool = "progress", '
            "arguments = { steps = 4, interval = 0.5 }, call_timeout = 1.0 },\n]\n",
        )
        result, manifest_path = start(repo, "remote")
    assert result.returncode == 0, result
    echo, slow = validate_manifest(manifest_path)["commands"]
    assert echo["mcp_transport"] == "http"
    assert echo["mcp_tools"] == DEMO_TOOLS
    assert "via http" in (repo / echo["log_path"]).read_text()
    assert slow["mcp_progress_notifications"] == 4


@pytest.mark.parametrize(
    ("stage", "message"),
    [
        (
            '{ id = "a", kind = "mcp", server = "nope", tool = "echo" }',
            "no MCP server named 'nope'",
        ),
        ('{ id = "a", kind = "mcp", server = "demo" }', "an mcp stage needs 'tool'"),
        (
            '{ id = "a", kind = "mcp", server = "demo", tool = "echo", arguments = "x" }',
            "arguments: expected a table",
        ),
        (
            '{ id = "a", kind = "mcp", server = "demo", tool = "echo", retries = 3 }',
            "unknown key(s) for an mcp stage: retries",
        ),
        (
            '{ id = "a", kind = "mcp", server = "demo", tool = "echo", call_timeout = 0 }',
            "call_timeout: expected a positive number",
        ),
    ],
)
def test_bad_mcp_stages_are_refused_before_anything_runs(
    tmp_path: Path, stage: str, message: str
) -> None:
    """``codex-core plan`` and ``start`` as subprocesses with a bad mcp stage: exit 2 with the
    message, no run dir."""
    repo = repo_with(tmp_path, f"[pipelines.bad]\nstages = [{stage}]\n")
    planned = run_cli("plan", "bad", cwd=repo)
    started = run_cli("start", "bad", cwd=repo)
    for result in (planned, started):
        assert result.returncode == 2, result
        assert message in result.stderr, result
    assert not list((repo / ".runs").glob("*/cli/*/manifest.json"))


def test_bad_server_table_is_refused_before_anything_runs(tmp_path: Path) -> None:
    """``codex-core start`` as a subprocess with a bad server table: exit 2 naming the key."""
    repo = make_repo(
        tmp_path / "repo",
        {
            "codex-core.toml": "[mcp.servers.demo]\ncommand = []\n\n"
            '[pipelines.bad]\nstages = [{ id = "a", kind = "mcp", server = "demo", tool = "x" }]\n'
        },
    )
    result = run_cli("start", "bad", cwd=repo)
    assert result.returncode == 2, result
    assert "mcp.servers.demo.command: expected a non-empty list of strings" in result.stderr


def test_doctor_checks_configured_servers(tmp_path: Path) -> None:
    """``codex-core doctor`` as a subprocess: a configured server whose program is found passes,
    one whose binary is missing fails (the check looks the program up, starts nothing)."""
    repo = make_repo(
        tmp_path / "repo",
        {
            "codex-core.toml": f"[mcp.servers.demo]\ncommand = {toml_list(python_command(DEMO))}\n"
            '[mcp.servers.gone]\ncommand = ["no-such-mcp-server-binary"]\n'
        },
    )
    result = run_cli("doctor", "--format", "json", cwd=repo)
    checks = {c["name"]: c for c in result.json()["checks"]}
    assert checks["mcp server demo"]["ok"] is True
    assert checks["mcp server gone"]["ok"] is False
    assert result.returncode == 1


def test_a_guardrail_can_refuse_to_start_a_server(tmp_path: Path) -> None:
    """``codex-core start`` with the guardrails plugin's command policy denying the server's
    command: policy-denied, the veto recorded."""
    pytest.importorskip("codex_core_guardrails")
    repo = repo_with(
        tmp_path,
        '[guardrails.policy]\ndeny = ["re:demo_server"]\n\n'
        '[pipelines.one]\nstages = [{ id = "echo", kind = "mcp", server = "demo", tool = "echo", '
        'arguments = { text = "x" } }]\n',
    )
    result, manifest_path = start(repo, "one")
    assert result.returncode == 1, result
    record = validate_manifest(manifest_path)["commands"][0]
    assert record["reason"] == "policy-denied"
    vetoes = error_artifact(repo, record)["details"]["vetoes"]
    assert vetoes and "demo_server" in vetoes[0]["reason"]
    assert record["vetoes"] == vetoes
    found = events(manifest_path)
    assert [e["kind"] for e in found if e["event"] == "guardrail-veto"] == ["command"]
    assert server_pids(found) == []  # the server was never started
