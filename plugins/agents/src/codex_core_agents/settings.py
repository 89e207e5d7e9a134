"""The ``[agents]`` table: which model, at which OpenAI-compatible endpoint, with which limits.

::

    [agents]
    model = "gpt-4.1"                          # any model name the endpoint serves
    base_url = "http://127.0.0.1:11434/v1"     # default: OpenAI's API
    api_key_env = "OPENAI_API_KEY"             # the environment variable holding the key
    api = "chat_completions"                   # or "responses"; default: responses for OpenAI,
                                               # chat_completions when base_url is set
    max_model_calls = 50                       # model calls one backend turn may make
    command_timeout = 600                      # seconds one run_command tool call may take
    mcp_servers = ["docs"]                     # which [mcp.servers.<name>] to attach (default: all)

    [agents.instructions]                      # appended to a role's built-in instructions
    builder = "Prefer small commits of focused changes."

``CODEX_CORE_AGENTS_MODEL`` in the environment overrides ``model``; it is how tests select a
scripted model (``scripted:...``, see :mod:`.scripted`) for a ``codex-core`` subprocess.
Nothing here imports the Agents SDK.
"""

from __future__ import annotations

from typing import Any

import attrs
from codex_core.errors import ConfigError

SECTION = "agents"
MODEL_ENV = "CODEX_CORE_AGENTS_MODEL"
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"
DEFAULT_MAX_MODEL_CALLS = 50
DEFAULT_COMMAND_TIMEOUT = 600.0
APIS = ("responses", "chat_completions")
ROLES = ("manager", "builder", "tester", "reviewer")
_KEYS = {
    "model", "base_url", "api_key_env", "api", "max_model_calls", "command_timeout",
    "mcp_servers", "instructions",
}  # fmt: skip


@attrs.frozen
class AgentsSettings:
    model: str | None = None
    base_url: str | None = None
    api_key_env: str = DEFAULT_API_KEY_ENV
    api: str | None = None
    max_model_calls: int = DEFAULT_MAX_MODEL_CALLS
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT
    #: None: every configured MCP server
    mcp_servers: tuple[str, ...] | None = None
    instructions: dict[str, str] = attrs.field(factory=dict)

    @property
    def resolved_api(self) -> str:
        return self.api or ("chat_completions" if self.base_url else "responses")

    def model_for(self, env: dict[str, str] | Any, requested: str | None) -> str | None:
        """The model a turn uses: ``$CODEX_CORE_AGENTS_MODEL``, else the request's, else ours."""
        return (env or {}).get(MODEL_ENV) or requested or self.model


def _where(config: Any) -> str:
    path = getattr(config, "path", None)
    if path is None:
        return SECTION
    prefix = "tool.codex-core." if path.name == "pyproject.toml" else ""
    return f"{path}: {prefix}{SECTION}"


def settings_from(config: Any) -> AgentsSettings:
    """Read and check ``[agents]`` of a codex_core ``Config`` (None: the defaults)."""
    if config is None:
        return AgentsSettings()
    table = config.section(SECTION)
    where = _where(config)
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(_KEYS))})"
        )
    fields: dict[str, Any] = {}
    for key in ("model", "base_url", "api_key_env"):
        if key in table:
            value = table[key]
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{where}.{key}: expected a non-empty string, got {value!r}")
            fields[key] = value.strip()
    if "base_url" in fields and not fields["base_url"].startswith(("http://", "https://")):
        raise ConfigError(f"{where}.base_url: expected an http:// or https:// URL")
    if "api" in table:
        if table["api"] not in APIS:
            raise ConfigError(
                f"{where}.api: expected one of {', '.join(APIS)}, got {table['api']!r}"
            )
        fields["api"] = table["api"]
    if "max_model_calls" in table:
        value = table["max_model_calls"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(
                f"{where}.max_model_calls: expected a whole number >= 1, got {value!r}"
            )
        fields["max_model_calls"] = value
    if "command_timeout" in table:
        value = table["command_timeout"]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"{where}.command_timeout: expected a positive number of seconds")
        fields["command_timeout"] = float(value)
    if "mcp_servers" in table:
        value = table["mcp_servers"]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{where}.mcp_servers: expected a list of server names")
        fields["mcp_servers"] = tuple(value)
    if "instructions" in table:
        value = table["instructions"]
        if not isinstance(value, dict) or not all(
            k in ROLES and isinstance(v, str) for k, v in value.items()
        ):
            raise ConfigError(
                f"{where}.instructions: expected a table of role -> text (roles: {', '.join(ROLES)})"
            )
        fields["instructions"] = dict(value)
    return AgentsSettings(**fields)
