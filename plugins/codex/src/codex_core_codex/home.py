"""An isolated ``CODEX_HOME`` per session, and the settings that keep Codex off the network.

Left alone, Codex reaches out at start-up for things a run must not depend on: it syncs the
curated plugin marketplace (a ``git`` fetch of ``github.com/openai/plugins``) and posts analytics
(``ab.chatgpt.com``); the interactive CLI also checks for updates. Every session therefore gets a
fresh temporary ``CODEX_HOME`` whose ``config.toml`` turns those off (:data:`ISOLATION`), then
adds the repo's ``[codex.config]`` table (model providers, model, ...), which may override them.
The directory, with the session logs Codex writes there, is removed when the session ends.

With ``[codex] home`` the user's own ``CODEX_HOME`` is used instead (their login, their config);
it is never written to, and the isolation settings are passed as ``-c`` overrides instead.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: config.toml settings that stop Codex's own network traffic (keys known since 0.153; checked
#: against 0.169 with ``--strict-config``, which rejects unknown keys)
ISOLATION: dict[str, Any] = {
    "check_for_update_on_startup": False,
    "analytics": {"enabled": False},
    "feedback": {"enabled": False},
    "features": {"plugins": False},
}


@contextmanager
def codex_home(
    configured: str | None, config: Mapping[str, Any]
) -> Iterator[tuple[Path, list[str]]]:
    """``(CODEX_HOME, extra -c arguments)`` for one session."""
    if configured:
        home = Path(configured).expanduser()
        overrides = [
            arg
            for key, value in _flatten(ISOLATION)
            if not _has(config, key)
            for arg in ("-c", f"{key}={toml_value(value)}")
        ]
        overrides += [
            arg for key, value in _flatten(dict(config)) for arg in ("-c", f"{key}={toml_value(value)}")
        ]  # fmt: skip
        yield home, overrides
        return
    with tempfile.TemporaryDirectory(prefix="codex-core-home-") as tmp:
        home = Path(tmp)
        (home / "config.toml").write_text(dumps(merge(ISOLATION, config)))
        yield home, []


def merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``, tables merged key by key."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def dumps(data: Mapping[str, Any]) -> str:
    """A TOML document for plain data (str, int, float, bool, lists, tables)."""
    lines: list[str] = []
    _table(data, (), lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def _table(data: Mapping[str, Any], path: tuple[str, ...], lines: list[str]) -> None:
    scalars = [(k, v) for k, v in data.items() if not isinstance(v, Mapping)]
    tables = [(k, v) for k, v in data.items() if isinstance(v, Mapping)]
    if path and (scalars or not tables):
        lines.append(f"\n[{'.'.join(_key(p) for p in path)}]")
    for key, value in scalars:
        lines.append(f"{_key(key)} = {toml_value(value)}")
    for key, value in tables:
        _table(value, (*path, key), lines)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON's escapes are TOML basic-string escapes
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML: {value!r}")


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        dotted = f"{prefix}{_key(key)}"
        if isinstance(value, Mapping):
            out.extend(_flatten(value, dotted + "."))
        else:
            out.append((dotted, value))
    return out


def _has(data: Mapping[str, Any], dotted: str) -> bool:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def session_environment(base: Mapping[str, str], home: Path) -> dict[str, str]:
    """The environment Codex runs with: the stage's, with ``CODEX_HOME`` set."""
    return {**base, "CODEX_HOME": os.fspath(home)}
