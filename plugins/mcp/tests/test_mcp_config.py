"""Server configuration, stage options, the tools hash and argument checks (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from codex_core.config import load_config
from codex_core.discovery import installed
from codex_core.errors import ConfigError
from codex_core.kernel import Kernel
from codex_core.pipeline import StageSpec
from codex_core.testing import make_repo
from codex_core_mcp import (
    ServerSpec,
    ToolInfo,
    argument_problems,
    canonical_tools_json,
    find_transport,
    server_from_table,
    servers_from_config,
    tools_sha256,
)
from codex_core_mcp.spec import DEFAULT_SESSION_TIMEOUT
from codex_core_mcp.stage import McpStage, stage_options


def test_server_tables(tmp_path: Path) -> None:
    """``[mcp.servers.*]`` tables of a real repo's codex-core.toml become stdio and HTTP specs
    (no server started)."""
    repo = make_repo(
        tmp_path / "repo",
        {
            "tools/.keep": "",
            "codex-core.toml": """
[mcp.servers.local]
command = "python server.py --flag 'two words'"
env = { MODE = "test" }
cwd = "tools"
call_timeout = 30
protocol = "legacy"

[mcp.servers.remote]
url = "https://mcp.example.invalid/mcp"
headers = { Authorization = "Bearer secret" }
session_timeout = 7200
log_level = false
""",
        },
    )
    servers = servers_from_config(load_config(repo))
    local, remote = servers["local"], servers["remote"]
    assert local.transport == "stdio"
    assert local.command == ("python", "server.py", "--flag", "two words")
    assert local.env == {"MODE": "test"}
    assert local.cwd == (repo / "tools").resolve()
    assert local.call_timeout == 30.0
    assert local.session_timeout == DEFAULT_SESSION_TIMEOUT == 3600.0
    assert local.protocol == "legacy"
    assert remote.transport == "http"
    assert remote.session_timeout == 7200.0
    assert remote.log_level is None
    assert "secret" not in repr(remote) and "secret" not in remote.describe()


def test_server_tables_in_pyproject_name_the_full_key(tmp_path: Path) -> None:
    """A bad table under ``[tool.codex-core]`` in pyproject.toml: the error names pyproject.toml
    and the full key."""
    repo = make_repo(
        tmp_path / "repo",
        {"pyproject.toml": '[tool.codex-core.mcp.servers.x]\nurl = "ftp://nope"\n'},
    )
    with pytest.raises(
        ConfigError, match=r"pyproject.toml: tool\.codex-core\.mcp\.servers\.x\.url"
    ):
        servers_from_config(load_config(repo))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({}, "needs 'command'"),
        ({"command": ["a"], "url": "http://x"}, "not both"),
        ({"command": []}, "non-empty list of strings"),
        ({"command": ["a", 1]}, "non-empty list of strings"),
        ({"command": ["a"], "url_": "x"}, "unknown key(s) for a stdio server: url_"),
        ({"url": "http://x", "command_": ["a"]}, "unknown key(s) for a http server: command_"),
        ({"command": ["a"], "env": {"A": 1}}, "env: expected a table of strings"),
        ({"command": ["a"], "session_timeout": 0}, "session_timeout: expected a positive number"),
        ({"command": ["a"], "call_timeout": True}, "call_timeout: expected a positive number"),
        ({"command": ["a"], "protocol": "newest"}, "protocol: expected 'auto', 'legacy'"),
        ({"command": ["a"], "log_level": "loud"}, "log_level: expected one of"),
        ({"command": ["a"], "cwd": "../elsewhere"}, "cwd: path '../elsewhere' resolves to"),
        ({"url": "http://x", "headers": {"A": ["b"]}}, "headers: expected a table of strings"),
    ],
)
def test_bad_server_tables(tmp_path: Path, table: dict, message: str) -> None:
    """Each malformed server table is a ConfigError naming the key (pure parsing, no server)."""
    with pytest.raises(ConfigError) as caught:
        server_from_table("s", table, "codex-core.toml: mcp.servers.s", root=tmp_path)
    assert message in str(caught.value)


def test_server_names_are_ids() -> None:
    """A server name that is not a valid id (``../x``) is refused (pure parsing)."""
    with pytest.raises(ConfigError, match="server name"):
        server_from_table("../x", {"command": ["a"]}, "here")


def test_a_third_party_transport_gets_its_own_keys() -> None:
    """A table naming another transport keeps its unknown keys for that transport (pure parsing)."""
    spec = server_from_table("w", {"transport": "websocket", "endpoint": "ws://x"}, "here")
    assert spec.transport == "websocket"
    assert spec.options == {"endpoint": "ws://x"}


def test_stage_options() -> None:
    """An ``mcp`` stage's options parsed with their defaults; bad ones refused by the stage
    kind's validate (no server)."""
    options = stage_options(
        StageSpec(
            id="a", kind="mcp",
            options={"server": "s", "tool": "t", "arguments": {"n": 1}, "call_timeout": 5},
        )
    )  # fmt: skip
    assert (options.server, options.tool, options.arguments) == ("s", "t", {"n": 1})
    assert options.call_timeout == 5.0 and options.reset_on_progress is True
    with pytest.raises(ConfigError, match="takes no 'command'"):
        McpStage().validate(
            StageSpec(id="a", kind="mcp", command="ls", options={"server": "s", "tool": "t"})
        )


def test_tools_hash_is_canonical() -> None:
    """The tools hash ignores order of tools and schema keys and changes with the set (pure
    function)."""
    a = ToolInfo("a", "first", {"type": "object", "properties": {"x": {"type": "string"}}})
    b = ToolInfo("b", None, {"properties": {}, "type": "object"})
    reordered_schema = ToolInfo(
        "a", "first", {"properties": {"x": {"type": "string"}}, "type": "object"}
    )
    assert tools_sha256([a, b]) == tools_sha256([b, reordered_schema])
    assert canonical_tools_json([b, a]).startswith('[{"description":"first","inputSchema"')
    assert tools_sha256([a, b]) != tools_sha256([a])
    assert tools_sha256([a, b]) != tools_sha256([a, ToolInfo("b", "now described", b.input_schema)])
    assert tools_sha256([a, b]) != tools_sha256(
        [a, ToolInfo("b", None, {"type": "object", "required": ["y"]})]
    )


def test_argument_problems() -> None:
    """Tool arguments checked against the tool's JSON Schema, each problem named (pure function)."""
    schema = {
        "type": "object",
        "properties": {"text": {"type": "string"}, "n": {"type": "integer"}},
        "required": ["text"],
    }
    assert argument_problems(schema, {"text": "x", "n": 2}) == []
    assert argument_problems(schema, {"n": "2"}) == [
        "(arguments): 'text' is a required property",
        "n: '2' is not of type 'integer'",
    ]
    assert argument_problems({}, {"anything": 1}) == []
    # a schema the server got wrong is not held against the arguments
    assert argument_problems({"type": "no-such-type"}, {"a": 1}) == []


def test_transports_are_entry_points(git_repo: Path) -> None:
    """The installed distribution's entry points: stdio and http transports and the mcp stage
    kind found through a real kernel."""
    names = {(i.name, i.distribution) for i in installed(["codex_core.transports"])}
    assert {("stdio", "codex-core-mcp"), ("http", "codex-core-mcp")} <= names
    kernel = Kernel.for_repo(git_repo)
    assert find_transport("stdio", kernel).name == "stdio"
    assert find_transport("http", kernel).name == "http"
    assert kernel.stage_kind("mcp") is not None
    with pytest.raises(LookupError, match="no MCP transport named 'carrier-pigeon'"):
        find_transport("carrier-pigeon")


def test_spec_constructors() -> None:
    """ServerSpec's constructors and their one-line descriptions (pure)."""
    assert ServerSpec.stdio("s", ["a", "b"]).describe() == "stdio: a b"
    assert ServerSpec.http("h", "http://x/mcp").describe() == "http: http://x/mcp"
