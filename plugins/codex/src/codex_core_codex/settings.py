"""The ``[codex]`` section of a repo's configuration, stage options, and checking their values.

::

    [codex]
    binary = "node_modules/.bin/codex"   # else $CODEX_CORE_CODEX_BIN, node_modules, PATH
    backend = "codex"                    # codex (app-server) | codex-exec | codex-mcp
    sandbox = "workspace-write"          # read-only | workspace-write | danger-full-access
    approval_policy = "untrusted"        # as the installed Codex accepts
    model = "gpt-5-codex"
    home = "~/.codex"                    # use this CODEX_HOME instead of an isolated one
    turn_timeout = 900                   # seconds one turn may take
    strict_config = true                 # pass --strict-config: unknown config keys are errors

    [codex.config]                       # written into the isolated CODEX_HOME's config.toml
    model_provider = "corp"
    [codex.config.model_providers.corp]
    base_url = "https://llm.example/v1"
    env_key = "CORP_API_KEY"

Values are checked twice: for their shape here (a ``ConfigError`` names the file and key), and
against what the installed Codex accepts (:func:`check_against`), since that changes between
versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from codex_core.backend_api import SANDBOX_MODES
from codex_core.errors import ConfigError

from .capabilities import CodexCapabilities

BACKENDS = ("codex", "codex-exec", "codex-mcp")
DEFAULT_BACKEND = "codex"
#: Codex's own default is read-only, where a builder's commands fail while the turn still
#: "completes": codex-core asks for workspace-write unless the user chose otherwise.
DEFAULT_SANDBOX = "workspace-write"
#: ``on-request``: Codex runs every command inside the sandbox without asking, and asks (the
#: guardrail vote answers) only when the model wants a command to run outside it. Not
#: ``untrusted``: Codex 0.169 re-runs an approved command outside the sandbox, without asking
#: again, when the sandbox blocks it, so read-only would not hold. exec, and codex-core's MCP
#: client for the legacy mcp-server, cannot answer an approval request at all: ``never``.
DEFAULT_APPROVAL = {"codex": "on-request", "codex-exec": "never", "codex-mcp": "never"}
#: every approval policy any Codex release has accepted (the installed one decides the rest)
KNOWN_APPROVAL_POLICIES = ("untrusted", "on-failure", "on-request", "never")
DEFAULT_TURN_TIMEOUT = 1800.0

_KEYS = {
    "binary": str, "backend": str, "sandbox": str, "approval_policy": str, "model": str,
    "home": str, "turn_timeout": (int, float), "strict_config": bool, "config": dict,
}  # fmt: skip
#: the options a stage run by Codex may set (``{ command = "pytest -q", backend = "codex" }``)
STAGE_OPTIONS = ("backend", "sandbox", "approval_policy", "model")


@attrs.frozen
class CodexSettings:
    binary: str | None = None
    backend: str = DEFAULT_BACKEND
    sandbox: str | None = None
    approval_policy: str | None = None
    model: str | None = None
    home: str | None = None
    turn_timeout: float = DEFAULT_TURN_TIMEOUT
    strict_config: bool = True
    config: dict[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_config(cls, config: Any) -> CodexSettings:
        """The ``[codex]`` section of a :class:`codex_core.config.Config` (or None)."""
        if config is None:
            return cls()
        where = f"{config.path}: codex" if config.path else "codex"
        table = config.section("codex")
        unknown = sorted(set(table) - set(_KEYS))
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})"
            )
        for key, kind in _KEYS.items():
            value = table.get(key)
            wrong_bool = isinstance(value, bool) and kind is not bool  # True is an int too
            if value is not None and (wrong_bool or not isinstance(value, kind)):
                raise ConfigError(f"{where}.{key}: expected {_describe(kind)}, got {value!r}")
        settings = cls(
            binary=table.get("binary"),
            backend=table.get("backend", DEFAULT_BACKEND),
            sandbox=table.get("sandbox"),
            approval_policy=table.get("approval_policy"),
            model=table.get("model"),
            home=table.get("home"),
            turn_timeout=float(table.get("turn_timeout", DEFAULT_TURN_TIMEOUT)),
            strict_config=table.get("strict_config", True),
            config=dict(table.get("config", {})),
        )
        if settings.turn_timeout <= 0:
            raise ConfigError(f"{where}.turn_timeout: expected a positive number of seconds")
        check_values(settings.backend, settings.sandbox, settings.approval_policy, where)
        return settings

    def with_options(
        self, options: Mapping[str, Any], where: str, what: str = "a codex-command stage"
    ) -> CodexSettings:
        """These settings with a stage's own options on top (checked for shape)."""
        check_stage_options(options, where, what)
        return attrs.evolve(self, **{k: options[k] for k in STAGE_OPTIONS if k in options})

    def sandbox_for(self, requested: str | None) -> str:
        return requested or self.sandbox or DEFAULT_SANDBOX

    def approval_for(self, requested: str | None, backend: str | None = None) -> str:
        return requested or self.approval_policy or DEFAULT_APPROVAL[backend or self.backend]


def check_stage_options(
    options: Mapping[str, Any], where: str, what: str = "a codex-command stage"
) -> None:
    unknown = sorted(set(options) - set(STAGE_OPTIONS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) for {what}: {', '.join(unknown)} "
            f"(it takes: {', '.join(STAGE_OPTIONS)})"
        )
    for key in STAGE_OPTIONS:
        if key in options and not isinstance(options[key], str):
            raise ConfigError(f"{where}.{key}: expected a string, got {options[key]!r}")
    check_values(
        options.get("backend"), options.get("sandbox"), options.get("approval_policy"), where
    )


def check_values(
    backend: str | None, sandbox: str | None, approval: str | None, where: str
) -> None:
    """The values every Codex release would reject, whatever is installed."""
    if backend is not None and backend not in BACKENDS:
        raise ConfigError(f"{where}.backend: {backend!r} is not a Codex backend (one of: {', '.join(BACKENDS)})")  # fmt: skip
    if sandbox is not None and sandbox not in SANDBOX_MODES:
        raise ConfigError(f"{where}.sandbox: {sandbox!r} is not a sandbox mode (one of: {', '.join(SANDBOX_MODES)})")  # fmt: skip
    if approval is not None and approval not in KNOWN_APPROVAL_POLICIES:
        raise ConfigError(
            f"{where}.approval_policy: {approval!r} is not an approval policy "
            f"(one of: {', '.join(KNOWN_APPROVAL_POLICIES)})"
        )


def check_against(
    caps: CodexCapabilities, backend: str, sandbox: str | None, approval: str | None
) -> str | None:
    """Why the installed Codex cannot run ``backend`` with these values, or None if it can."""
    who = f"{caps.version_line} ({caps.binary})"
    if not caps.supports(backend):
        missing = "exec --json" if backend == "codex-exec" else f"`codex {_SUB[backend]}`"
        return f"backend {backend!r} needs {missing}, which {who} does not have"
    if sandbox is not None and caps.sandbox_modes and sandbox not in caps.sandbox_modes:
        return f"sandbox {sandbox!r} is not accepted by {who} (it accepts: {', '.join(caps.sandbox_modes)})"  # fmt: skip
    accepted = caps.approvals_for(backend)
    if approval is not None and accepted and approval not in accepted:
        return (
            f"approval policy {approval!r} is not accepted by the {backend} backend of {who} "
            f"(it accepts: {', '.join(accepted)})"
        )
    return None


_SUB = {"codex": "app-server", "codex-exec": "exec", "codex-mcp": "mcp-server"}


def _describe(kind: Any) -> str:
    return {str: "a string", bool: "true or false", dict: "a table"}.get(kind, "a number")
