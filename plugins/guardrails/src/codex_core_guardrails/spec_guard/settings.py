"""The spec guard's settings: ``[guardrails.spec_guard]`` in ``codex-core.toml``.

(``[tool.codex-core.guardrails.spec_guard]`` in ``pyproject.toml``.) Every key is optional::

    [guardrails.spec_guard]
    index = "tasks/index.json"          # the spec index, relative to the repo
    max_age_days = 30                   # a spec reviewed longer ago than this is stale
    code_paths = ["src/**", "*.py"]     # what counts as code (.gitignore patterns, see globs.py)
    spec_paths = ["tasks/specs/**"]     # changes here count as spec changes, beside the index
                                        # and every file it lists

A bad value is a :class:`~codex_core.errors.ConfigError` naming the file and the key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from codex_core.errors import ConfigError, UsageError
from pathspec import GitIgnoreSpec

from .globs import compile_globs, glob_problem

SECTION = "spec_guard"  # under the shared [guardrails] table
DEFAULT_INDEX = "tasks/index.json"
DEFAULT_MAX_AGE_DAYS = 30
#: The original tool's code folders, plus source files of the common languages anywhere.
DEFAULT_CODE_PATHS = (
    "src/**",
    "app/**",
    "server/**",
    "lib/**",
    "migrations/**",
    "db/migrations/**",
    "prisma/migrations/**",
    "*.py",
    "*.pyi",
    "*.js",
    "*.mjs",
    "*.cjs",
    "*.jsx",
    "*.ts",
    "*.tsx",
    "*.go",
    "*.rs",
    "*.java",
    "*.kt",
    "*.scala",
    "*.rb",
    "*.php",
    "*.cs",
    "*.swift",
    "*.c",
    "*.h",
    "*.cc",
    "*.cpp",
    "*.hpp",
    "*.sh",
    "*.sql",
)
DEFAULT_SPEC_PATHS = ("tasks/specs/**",)
#: Statuses after which a spec is no longer reviewed: exempt from the freshness rules.
TERMINAL_STATUSES = frozenset({"done", "archived"})
#: Injects "today" (YYYY-MM-DD): for tests, and to ask "will this pass next week?".
TODAY_ENV = "CODEX_CORE_TODAY"

_KEYS = {"index", "max_age_days", "code_paths", "spec_paths"}


@dataclass(frozen=True)
class Settings:
    index: str = DEFAULT_INDEX
    max_age_days: int = DEFAULT_MAX_AGE_DAYS
    code_paths: tuple[str, ...] = DEFAULT_CODE_PATHS
    spec_paths: tuple[str, ...] = DEFAULT_SPEC_PATHS

    @property
    def code_globs(self) -> GitIgnoreSpec:
        return compile_globs(self.code_paths)

    @property
    def spec_globs(self) -> GitIgnoreSpec:
        return compile_globs(self.spec_paths)


def settings_from(config: Any) -> Settings:
    """Read and check the spec guard's table of the repo's config (a ``codex_core`` Config)."""
    where = f"{config.path}: {_prefix(config)}guardrails.{SECTION}"
    table = config.section("guardrails").get(SECTION, {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: expected a table")
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(_KEYS))})"
        )
    index = table.get("index", DEFAULT_INDEX)
    if not isinstance(index, str) or not _is_relative_path(index):
        raise ConfigError(f"{where}.index: expected a path inside the repository, got {index!r}")
    max_age = table.get("max_age_days", DEFAULT_MAX_AGE_DAYS)
    if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0:
        raise ConfigError(
            f"{where}.max_age_days: expected a whole number of days (0 or more), got {max_age!r}"
        )
    return Settings(
        index=str(PurePosixPath(index)),
        max_age_days=max_age,
        code_paths=_globs(table, "code_paths", DEFAULT_CODE_PATHS, where),
        spec_paths=_globs(table, "spec_paths", DEFAULT_SPEC_PATHS, where),
    )


def _globs(
    table: Mapping[str, Any], key: str, default: tuple[str, ...], where: str
) -> tuple[str, ...]:
    value = table.get(key, default)
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{where}.{key}: expected a list of globs, got {value!r}")
    for position, pattern in enumerate(value):
        problem = glob_problem(pattern)
        if problem:
            raise ConfigError(f"{where}.{key}[{position}]: {problem} (got {pattern!r})")
    return tuple(value)


def _is_relative_path(text: str) -> bool:
    path = PurePosixPath(text)
    return bool(text.strip()) and not path.is_absolute() and ".." not in path.parts


def _prefix(config: Any) -> str:
    path = getattr(config, "path", None)
    return "tool.codex-core." if path is not None and path.name == "pyproject.toml" else ""


def today_from(env: Mapping[str, str]) -> dt.date:
    """The date freshness is measured against: ``$CODEX_CORE_TODAY``, else the local date."""
    value = env.get(TODAY_ENV)
    if not value:
        return dt.date.today()
    try:
        return parse_date(value)
    except ValueError:
        raise UsageError(f"{TODAY_ENV}={value!r}: expected a date as YYYY-MM-DD") from None


def parse_date(text: str) -> dt.date:
    """A ``YYYY-MM-DD`` date, strictly (no times, no other layouts); ValueError otherwise."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-" or not text.replace("-", "").isdigit():
        raise ValueError(text)
    return dt.date.fromisoformat(text)
