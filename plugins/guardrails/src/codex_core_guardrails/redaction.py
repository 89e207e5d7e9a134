"""Secret redaction: the patterns of API keys and tokens masked in everything a run writes.

:class:`SecretRedaction` answers ``codex_redaction_patterns``; the kernel replaces each match by
``[REDACTED]`` in command logs, error artifacts, the manifest, ``events.jsonl`` and
``runner.log`` (the private ``pipeline.json`` keeps commands as written: a resume must run
them). Built in:

- OpenAI keys: ``sk-...``, ``sk-proj-...``, ``sk-svcacct-...``, ``sk-admin-...``;
- GitHub tokens: ``ghp_``, ``gho_``, ``ghs_``, ``ghu_``, ``ghr_`` and ``github_pat_...``;
- AWS access key ids (``AKIA...``, ``ASIA...``), and ``aws_secret_access_key = ...`` /
  ``"SecretAccessKey": "..."`` assignments (name and value are masked together);
- ``Bearer <token>`` (``Authorization: Bearer ...`` becomes ``Authorization: [REDACTED]``) and
  ``Authorization: Basic ...`` headers.

Each pattern needs the token's own shape (a prefix, a length, a digit where real keys always have
one, a boundary before the prefix) so ordinary text, git SHAs and UUIDs are left alone. A repo adds its own::

    [guardrails.redaction]
    patterns = ["acme_[0-9a-f]{32}", "(?<=password=)\\\\S+"]

Python regular expressions; the whole match is masked, so mask only a value by putting what
precedes it in a lookbehind. Redaction works a line at a time: a pattern cannot span lines.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from codex_core import hookimpl
from codex_core.config import Config
from codex_core.errors import ConfigError
from codex_core.hookspecs import DoctorCheck

__all__ = ["DEFAULT_PATTERNS", "SecretRedaction", "configured_patterns"]

#: name -> pattern. Each starts with a literal (a lookbehind only after it) so that the regex
#: engine can skip ordinary text quickly: every line a run logs goes through all of them.
DEFAULT_PATTERNS: dict[str, str] = {
    "openai-key": (
        r"sk-(?<![A-Za-z0-9-]sk-)(?:proj-|svcacct-|admin-)?"
        r"(?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{20,}"
    ),
    "github-token": r"gh[pousr]_(?<![A-Za-z0-9]gh[pousr]_)[A-Za-z0-9]{36,}",
    "github-pat": r"github_pat_(?<![A-Za-z0-9_]github_pat_)[A-Za-z0-9_]{22,}",
    "aws-access-key-id": r"A[KS]IA(?<![A-Za-z0-9]A[KS]IA)[A-Z0-9]{16}(?![A-Za-z0-9])",
    # The name is masked with the value: a lookbehind-first pattern would cost every position.
    "aws-secret-access-key": (
        r"(?:[Aa][Ww][Ss]_[Ss][Ee][Cc][Rr][Ee][Tt]_[Aa][Cc][Cc][Ee][Ss][Ss]_[Kk][Ee][Yy]"
        r"|SecretAccessKey)[\"']?[ \t]*[:=][ \t]*[\"']?[A-Za-z0-9/+=]{20,}"
    ),
    "bearer-token": r"[Bb](?:earer|EARER)[ \t]+(?=[A-Za-z]*[0-9._~+/-])[A-Za-z0-9._~+/-]{8,}=*",
    "basic-auth-header": (
        r"[Aa](?:uthorization|UTHORIZATION)[\"']?[ \t]*[:=][ \t]*[\"']?"
        r"(?:[Bb]asic|BASIC)[ \t]+[A-Za-z0-9+/]{8,}=*"
    ),
}
_COMPILED = tuple(re.compile(p) for p in DEFAULT_PATTERNS.values())
_KEYS = frozenset({"patterns"})


def configured_patterns(config: Config) -> list[re.Pattern[str]]:
    """The repo's own ``[guardrails.redaction] patterns``, compiled; ConfigError if malformed."""
    prefix = "tool.codex-core." if config.path and config.path.name == "pyproject.toml" else ""
    where = f"{config.path}: {prefix}guardrails.redaction"
    table: Any = config.section("guardrails").get("redaction", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: patterns)")
    patterns = table.get("patterns", [])
    if not isinstance(patterns, list):
        raise ConfigError(f"{where}.patterns: expected a list of regular expressions")
    compiled = []
    for position, text in enumerate(patterns):
        if not isinstance(text, str) or not text:
            raise ConfigError(f"{where}.patterns[{position}]: expected a non-empty string")
        try:
            pattern = re.compile(text)
        except re.error as err:
            raise ConfigError(
                f"{where}.patterns[{position}]: {text!r} is not a valid regular expression ({err})"
            ) from None
        if pattern.search(""):
            raise ConfigError(f"{where}.patterns[{position}]: {text!r} matches the empty string")
        compiled.append(pattern)
    return compiled


class SecretRedaction:
    """The ``redaction`` guardrail (entry point ``codex_core.guardrails:redaction``)."""

    @hookimpl
    def codex_redaction_patterns(self, config: Config) -> list[re.Pattern[str]]:
        return [*_COMPILED, *configured_patterns(config)]

    @hookimpl
    def codex_doctor_checks(self, repo: Path, config: Config) -> list[DoctorCheck]:
        try:
            own = configured_patterns(config)
        except ConfigError as err:
            return [DoctorCheck("secret redaction", False, str(err))]
        return [
            DoctorCheck(
                "secret redaction",
                True,
                f"{len(DEFAULT_PATTERNS)} built-in pattern(s), {len(own)} from the repo",
            )
        ]
