"""The client API against real MCP servers started as subprocesses over stdio (trio tests)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import trio
from codex_core_mcp import (
    MalformedResponseError,
    McpTimeoutError,
    Notification,
    ServerSpec,
    ServerStartError,
    ToolInvocationError,
    open_client,
    tools_sha256,
)
from mcp_test_helpers import (
    DEMO,
    DEMO_TOOLS,
    GARBAGE,
    SILENT,
    process_gone,
    python_command,
    read_pids,
    wait_gone,
)

pytestmark = pytest.mark.slow

# Every test is bounded: a stuck client fails the test instead of hanging the suite.
BOUND = 60


def demo(**fields: object) -> ServerSpec:
    fields.setdefault("shutdown_grace", 0.5)
    return ServerSpec.stdio("demo", python_command(DEMO), **fields)  # type: ignore[arg-type]


async def test_list_tools_hash_and_echo() -> None:
    """The demo MCPServer as a real stdio subprocess: handshake, tools/list and its hash, one
    call, the process gone after."""
    seen: list[Notification] = []
    with trio.fail_after(BOUND):
        async with open_client(demo(), on_notification=seen.append) as client:
            assert client.pid is not None and not process_gone(client.pid)
            assert client.server_info == {"name": "codex-core-test-demo", "version": "1.0"}
            tools = await client.list_tools()
            assert sorted(t.name for t in tools) == DEMO_TOOLS
            echo = next(t for t in tools if t.name == "echo")
            assert echo.description == "Return the text unchanged."
            assert echo.input_schema["required"] == ["text"]
            assert client.tools_sha256 == tools_sha256(tools)
            assert len(client.tools_sha256) == 64
            result = await client.call_tool("echo", {"text": "hello, trio"})
            assert result.text == "hello, trio"
            assert not result.is_error
            assert result.structured_content == {"result": "hello, trio"}
            pid = client.pid
    assert wait_gone(pid) == []
    assert seen == []  # echo sends no notifications


async def test_hash_is_canonical_across_protocols_and_changes_with_the_tool_set() -> None:
    """Real stdio demo servers speaking the modern and the legacy protocol, and offering another
    tool set: the hash follows the tools only."""
    with trio.fail_after(BOUND):
        async with open_client(demo()) as client:
            await client.list_tools()
            modern = (client.protocol_version, client.tools_sha256)
        # the legacy handshake lists the same tools with their schema keys in another order
        async with open_client(demo(protocol="legacy")) as client:
            await client.list_tools()
            legacy = (client.protocol_version, client.tools_sha256)
        async with open_client(demo(env={"DEMO_TOOLSET": "2"})) as client:
            tools = await client.list_tools()
            changed = client.tools_sha256
    assert modern[0] != legacy[0]  # two protocol eras really were spoken
    assert modern[1] == legacy[1]
    assert changed != modern[1]
    assert "extra" in {t.name for t in tools}


async def test_progress_moves_the_call_deadline_on() -> None:
    """A real stdio server's progress notifications reset the per-call deadline; without resets,
    or with slower progress, the call times out."""
    seen: list[Notification] = []
    with trio.fail_after(BOUND):
        async with open_client(demo(), on_notification=seen.append) as client:
            # 5 x 0.5 s = 2.5 s of work against a 1 s deadline: only the resets let it finish
            began = trio.current_time()
            result = await client.call_tool("progress", {"steps": 5, "interval": 0.5}, timeout=1.0)
            assert result.text == "done after 5 steps"
            assert result.progress_notifications == 5
            assert trio.current_time() - began > 2.0

            # the same call without resets times out at the first deadline
            with pytest.raises(McpTimeoutError) as caught:
                await client.call_tool(
                    "progress", {"steps": 5, "interval": 0.5}, timeout=1.0, reset_on_progress=False
                )
            assert caught.value.reason == "timed-out"
            assert 1.0 <= caught.value.details["elapsed_seconds"] < 2.0
            assert caught.value.details["progress_notifications"] >= 1

            # progress slower than the deadline does not save a call
            with pytest.raises(McpTimeoutError) as caught:
                await client.call_tool("progress", {"steps": 3, "interval": 1.5}, timeout=1.0)
            assert caught.value.details["progress_notifications"] == 0

            # the session survives its timed-out calls
            assert (await client.call_tool("echo", {"text": "still here"})).text == "still here"
    progress = [n for n in seen if n.method == "notifications/progress"]
    assert len(progress) >= 6
    assert progress[0].params is not None and progress[0].params["message"] == "step 1"


async def test_session_timeout_caps_a_call_however_much_progress_it_reports() -> None:
    """A real stdio server reporting progress forever is still stopped at the session timeout."""
    with trio.fail_after(BOUND):
        async with open_client(demo(), session_timeout=2.0) as client:
            with pytest.raises(McpTimeoutError) as caught:
                await client.call_tool("progress", {"steps": 8, "interval": 0.4}, timeout=1.0)
    assert "session timeout of 2s" in caught.value.message
    assert caught.value.details["progress_notifications"] >= 3
    assert 2.0 <= caught.value.details["elapsed_seconds"] < 3.0


async def test_is_error_result_is_a_tool_invocation_error() -> None:
    """A real stdio server's isError result raises tool-invocation-error (or is returned when
    asked)."""
    with trio.fail_after(BOUND):
        async with open_client(demo()) as client:
            with pytest.raises(ToolInvocationError) as caught:
                await client.call_tool("fail", {"why": "the build is red"})
            result = await client.call_tool("fail", {"why": "again"}, raise_on_error=False)
    assert caught.value.reason == "tool-invocation-error"
    assert "the build is red" in caught.value.message
    assert caught.value.result is not None and caught.value.result.is_error
    assert result.is_error and result.text.endswith("again")


async def test_every_notification_reaches_the_observer_in_order() -> None:
    """A real stdio server's log and codex/event notifications reach an async observer, in order."""
    seen: list[Notification] = []

    async def observe(note: Notification) -> None:  # async observers are awaited
        await trio.lowlevel.checkpoint()
        seen.append(note)

    with trio.fail_after(BOUND):
        async with open_client(demo(), on_notification=observe) as client:
            assert (await client.call_tool("chatter")).text == "chattered"
    methods = [n.method for n in seen]
    assert methods == ["notifications/message", "codex/event"]
    assert seen[0].params is not None and seen[0].params["data"] == "chatter says hello"
    assert seen[1].params == {"msg": {"type": "agent_message", "message": "hi from chatter"}}
    assert all(n.server == "demo" for n in seen)


async def test_server_crashing_mid_call() -> None:
    """A real stdio server process that exits 3 during a call: tool-invocation-error with its
    exit code and stderr tail."""
    stderr: list[str] = []
    with trio.fail_after(BOUND):
        async with open_client(demo(), on_stderr=stderr.append) as client:
            pid = client.pid
            with pytest.raises(ToolInvocationError) as caught:
                await client.call_tool("crash", {"code": 3})
    error = caught.value
    assert error.reason == "tool-invocation-error"
    assert "exited with code 3" in error.message
    assert error.details["exit_code"] == 3
    assert "crashing now" in error.details["stderr_tail"]
    assert "demo server: crashing now" in stderr  # each stderr line reached the callback
    assert pid is not None and wait_gone(pid) == []


async def test_server_hanging_mid_call_is_timed_out_and_its_group_killed(tmp_path: Path) -> None:
    """A real stdio server that hangs and ignores SIGTERM: timed-out, then it and its child are
    SIGKILLed."""
    pid_file = tmp_path / "pids"
    spec = demo(env={"DEMO_PID_FILE": str(pid_file)}, shutdown_grace=0.5)
    with trio.fail_after(BOUND):
        async with open_client(spec) as client:
            with pytest.raises(McpTimeoutError) as caught:
                await client.call_tool("hang", timeout=1.5)
    server, child = read_pids(pid_file)
    assert caught.value.reason == "timed-out"
    assert caught.value.details["timeout_seconds"] == 1.5
    # the server ignored both the closed stdin and SIGTERM; SIGKILL took it and its child
    assert wait_gone(server, child) == []


async def test_cancelling_the_caller_stops_the_server(tmp_path: Path) -> None:
    """What a stage timeout or a cancelled run does: the server goes, and fast."""
    pid_file = tmp_path / "pids"
    spec = demo(env={"DEMO_PID_FILE": str(pid_file)}, shutdown_grace=0.5)
    with trio.fail_after(BOUND):
        with trio.move_on_after(30) as outer:
            async with open_client(spec) as client:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(client.call_tool, "hang")
                    while not pid_file.exists():  # wait until the tool runs
                        await trio.sleep(0.05)
                    outer.cancel()
        assert outer.cancelled_caught
    assert wait_gone(*read_pids(pid_file)) == []


def broken(mode: str, pid_file: Path) -> ServerSpec:
    return ServerSpec.stdio(
        "broken", python_command(GARBAGE, mode), env={"DEMO_PID_FILE": str(pid_file)},
        shutdown_grace=0.3,
    )  # fmt: skip


async def test_garbage_on_stdout_mid_call(tmp_path: Path) -> None:
    """A real stdio server writing non-JSON-RPC text mid-call: malformed-tool-response, and the
    session stays broken."""
    with trio.fail_after(BOUND):
        async with open_client(broken("call", tmp_path / "pid")) as client:
            assert [t.name for t in await client.list_tools()] == ["broken"]
            with pytest.raises(MalformedResponseError) as caught:
                await client.call_tool("broken", timeout=30)
            # the session is broken for good, and says so at once
            with pytest.raises(MalformedResponseError):
                await client.call_tool("broken")
    error = caught.value
    assert error.reason == "malformed-tool-response"
    assert "this is not JSON-RPC" in error.details["line_excerpt"]
    assert wait_gone(*read_pids(tmp_path / "pid")) == []


async def test_answer_of_the_wrong_shape(tmp_path: Path) -> None:
    """A real stdio server answering tools/call with a result of the wrong shape:
    malformed-tool-response naming the problem."""
    with trio.fail_after(BOUND):
        async with open_client(broken("shape", tmp_path / "pid")) as client:
            with pytest.raises(MalformedResponseError) as caught:
                await client.call_tool("broken", timeout=30)
    assert caught.value.reason == "malformed-tool-response"
    assert any(p.startswith("content") for p in caught.value.details["problems"])
    assert wait_gone(*read_pids(tmp_path / "pid")) == []


async def test_server_that_never_answers_the_handshake(tmp_path: Path) -> None:
    """A real stdio server that never answers initialize: timed-out at the connect timeout, the
    process killed."""
    pid_file = tmp_path / "pids"
    spec = ServerSpec.stdio(
        "silent", python_command(SILENT), env={"DEMO_PID_FILE": str(pid_file)},
        connect_timeout=1.5, shutdown_grace=0.3,
    )  # fmt: skip
    with trio.fail_after(BOUND), pytest.raises(McpTimeoutError) as caught:
        async with open_client(spec):
            raise AssertionError("the handshake cannot have succeeded")
    assert caught.value.details["connect_timeout_seconds"] == 1.5
    assert wait_gone(*read_pids(pid_file)) == []


async def test_server_greeting_with_garbage(tmp_path: Path) -> None:
    """A real stdio server that greets with plain text: malformed-tool-response quoting it."""
    with trio.fail_after(BOUND), pytest.raises(MalformedResponseError) as caught:
        async with open_client(broken("greeting", tmp_path / "pid")):
            raise AssertionError("the handshake cannot have succeeded")
    assert "Hello! Welcome" in caught.value.details["line_excerpt"]
    assert wait_gone(*read_pids(tmp_path / "pid")) == []


async def test_server_exiting_before_the_handshake() -> None:
    """A real subprocess that exits 2 before the handshake: tool-invocation-error with its exit
    code and stderr."""
    script = "import sys; sys.stderr.write('no config found\\n'); sys.exit(2)"
    spec = ServerSpec.stdio("broken", [sys.executable, "-c", script])
    with trio.fail_after(BOUND), pytest.raises(ToolInvocationError) as caught:
        async with open_client(spec):
            raise AssertionError("the handshake cannot have succeeded")
    assert caught.value.details["exit_code"] == 2
    assert "no config found" in caught.value.details["stderr_tail"]


async def test_command_that_cannot_start(tmp_path: Path) -> None:
    """A server command that does not exist: spawn-failed naming the command."""
    spec = ServerSpec.stdio("missing", [str(tmp_path / "no-such-server")])
    with pytest.raises(ServerStartError) as caught:
        async with open_client(spec):
            raise AssertionError("cannot have started")
    assert caught.value.reason == "spawn-failed"
    assert caught.value.details["command"] == [str(tmp_path / "no-such-server")]
