"""What an MCP server is, as configured: :class:`ServerSpec`, and reading ``[mcp.servers.<name>]``.

A server is reached over a transport: ``stdio`` (a command started as a subprocess, its own
process group, JSON-RPC on its stdin/stdout) or ``http`` (streamable HTTP at a URL). Third-party
transports (entry points in ``codex_core.transports``) get the keys they define in ``options``.

Configuration (``codex-core.toml``, or ``[tool.codex-core.mcp.servers.<name>]`` in pyproject)::

    [mcp.servers.demo]
    command = ["python", "tools/server.py"]    # or a string, split like a shell would
    env = { DEMO_MODE = "1" }                    # added to the stage's environment
    cwd = "tools"                                # relative to the repo (default: the stage's cwd)
    session_timeout = 3600                       # longest any one request may take, in seconds
    call_timeout = 600                           # a tool call's deadline; progress moves it on

    [mcp.servers.remote]
    url = "http://127.0.0.1:8765/mcp"
    headers = { Authorization = "Bearer ..." }

Nothing here imports the ``mcp`` SDK, so plan-time validation stays cheap.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import attrs
from codex_core.errors import ConfigError, PathEscapeError
from codex_core.ids import id_problem
from codex_core.paths import contained_path

#: the default for ``session_timeout``: an hour, so a long build is never cut at a fixed minute
DEFAULT_SESSION_TIMEOUT = 3600.0
#: how long starting a server and the MCP handshake may take
DEFAULT_CONNECT_TIMEOUT = 60.0
#: after closing a stdio server's stdin: how long it gets to exit, then again after SIGTERM
DEFAULT_SHUTDOWN_GRACE = 2.0
LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
BUILTIN_TRANSPORTS = ("stdio", "http")

_COMMON_KEYS = {
    "transport", "session_timeout", "call_timeout", "connect_timeout", "protocol", "log_level",
}  # fmt: skip
_STDIO_KEYS = {"command", "env", "cwd", "inherit_env", "shutdown_grace"}
_HTTP_KEYS = {"url", "headers"}
_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}")


@attrs.frozen
class ServerSpec:
    """One MCP server and how to talk to it.

    ``session_timeout`` bounds every request of the session (a tool call included, whatever
    progress it reports); ``call_timeout`` is a tool call's own deadline, moved on whenever the
    server reports progress for that call (None: ``session_timeout``). ``protocol`` is the SDK's
    connect mode: ``auto`` (probe ``server/discover``, fall back to ``initialize``), ``legacy``
    (the ``initialize`` handshake only) or a protocol version to adopt. ``log_level`` asks the
    server for log notifications at that level and above (None: whatever the server sends).
    ``env`` is added to the environment the caller gives (``inherit_env = false``: to the SDK's
    minimal safe environment instead). ``shutdown_grace`` is how long a stdio server gets to exit
    once its stdin is closed, and again after SIGTERM, before its process group is killed.
    """

    name: str
    transport: str = "stdio"
    command: tuple[str, ...] = ()
    env: dict[str, str] = attrs.field(factory=dict)
    cwd: Path | None = None
    inherit_env: bool = True
    url: str | None = None
    headers: dict[str, str] = attrs.field(factory=dict, repr=False)
    session_timeout: float = DEFAULT_SESSION_TIMEOUT
    call_timeout: float | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE
    protocol: str = "auto"
    log_level: str | None = "info"
    #: keys a third-party transport defines
    options: dict[str, Any] = attrs.field(factory=dict)

    @classmethod
    def stdio(cls, name: str, command: list[str] | tuple[str, ...], **fields: Any) -> ServerSpec:
        return cls(name=name, transport="stdio", command=tuple(command), **fields)

    @classmethod
    def http(cls, name: str, url: str, **fields: Any) -> ServerSpec:
        return cls(name=name, transport="http", url=url, **fields)

    def describe(self) -> str:
        """One line for logs and error details; never shows env or header values."""
        if self.transport == "stdio":
            return f"stdio: {shlex.join(self.command)}"
        if self.transport == "http":
            return f"http: {self.url}"
        return self.transport


def config_prefix(config: Any) -> str:
    """Where a key lives, for error messages: ``<file>: `` plus ``tool.codex-core.`` in pyproject."""
    path = getattr(config, "path", None)
    if path is None:
        return ""
    inner = "tool.codex-core." if Path(path).name == "pyproject.toml" else ""
    return f"{path}: {inner}"


def servers_from_config(config: Any) -> dict[str, ServerSpec]:
    """Every ``[mcp.servers.<name>]`` of ``config`` (a codex_core Config), checked.

    Relative ``cwd`` values are resolved against the directory of the config file (the repo) and
    must stay inside it. Raises ConfigError naming the file and the key.
    """
    where = f"{config_prefix(config)}mcp"
    section = config.section("mcp")
    servers = section.get("servers", {})
    if not isinstance(servers, dict):
        raise ConfigError(f"{where}.servers: expected a table of servers")
    root = Path(config.path).parent if getattr(config, "path", None) else None
    return {
        name: server_from_table(name, table, f"{where}.servers.{name}", root=root)
        for name, table in servers.items()
    }


def server_from_table(name: str, table: Any, where: str, *, root: Path | None = None) -> ServerSpec:
    """One server table to a ServerSpec (see the module docstring for the keys)."""
    if id_problem(name):
        raise ConfigError(f"{where}: server name {name!r} {id_problem(name)}")
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    transport = table.get("transport")
    if transport is None:
        if "command" in table and "url" in table:
            raise ConfigError(f"{where}: give either 'command' (stdio) or 'url' (http), not both")
        if "command" in table:
            transport = "stdio"
        elif "url" in table:
            transport = "http"
        else:
            raise ConfigError(
                f"{where}: needs 'command' (a stdio server) or 'url' (streamable HTTP)"
            )
    if not isinstance(transport, str) or not transport:
        raise ConfigError(f"{where}.transport: expected a transport name")
    fields: dict[str, Any] = {"name": name, "transport": transport}
    if transport in BUILTIN_TRANSPORTS:
        allowed = _COMMON_KEYS | (_STDIO_KEYS if transport == "stdio" else _HTTP_KEYS)
        unknown = set(table) - allowed
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) for a {transport} server: {', '.join(sorted(unknown))}"
            )
    else:
        fields["options"] = {k: v for k, v in table.items() if k not in _COMMON_KEYS}
    if transport == "stdio":
        fields["command"] = _command(table.get("command"), f"{where}.command")
        fields["env"] = _strings(table.get("env", {}), f"{where}.env")
        if "cwd" in table:
            fields["cwd"] = _cwd(table["cwd"], f"{where}.cwd", root)
        if "inherit_env" in table:
            if not isinstance(table["inherit_env"], bool):
                raise ConfigError(f"{where}.inherit_env: expected true or false")
            fields["inherit_env"] = table["inherit_env"]
        if "shutdown_grace" in table:
            fields["shutdown_grace"] = _seconds(table["shutdown_grace"], f"{where}.shutdown_grace")
    elif transport == "http":
        url = table.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}.url: expected an http:// or https:// URL, got {url!r}")
        fields["url"] = url
        fields["headers"] = _strings(table.get("headers", {}), f"{where}.headers")
    for key in ("session_timeout", "connect_timeout", "call_timeout"):
        if key in table:
            fields[key] = _seconds(table[key], f"{where}.{key}")
    if "protocol" in table:
        protocol = table["protocol"]
        if not isinstance(protocol, str) or not (
            protocol in ("auto", "legacy") or _VERSION.fullmatch(protocol)
        ):
            raise ConfigError(
                f"{where}.protocol: expected 'auto', 'legacy' or a protocol version "
                f"(YYYY-MM-DD), got {protocol!r}"
            )
        fields["protocol"] = protocol
    if "log_level" in table:
        level = table["log_level"]
        if level is not False and level not in LOG_LEVELS:
            raise ConfigError(
                f"{where}.log_level: expected one of {', '.join(LOG_LEVELS)} or false, got {level!r}"
            )
        fields["log_level"] = level or None
    return ServerSpec(**fields)


def _command(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        try:
            value = shlex.split(value)
        except ValueError as exc:
            raise ConfigError(f"{where}: cannot be split into words ({exc})") from None
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(part, str) and part for part in value)
    ):
        raise ConfigError(f"{where}: expected a non-empty list of strings, got {value!r}")
    return tuple(value)


def _strings(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(f"{where}: expected a table of strings")
    return dict(value)


def _cwd(value: Any, where: str, root: Path | None) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: expected a directory (a string)")
    if root is None:
        return Path(value)
    try:
        return contained_path(root, value)
    except PathEscapeError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{where}: expected a positive number of seconds, got {value!r}")
    return float(value)
