"""Finding the Codex CLI to run.

First match wins:

1. ``[codex] binary`` in the repo's configuration (relative paths are relative to the repo);
2. the ``CODEX_CORE_CODEX_BIN`` environment variable;
3. ``node_modules/.bin/codex`` in the repository (a repo that pins Codex with npm);
4. ``node_modules/.bin/codex`` beside codex-core itself (this project's own ``npm ci``);
5. ``codex`` on ``PATH``.

A binary named explicitly (1 or 2) that does not exist is an error, never a silent fall-through
to another Codex: the user asked for that one.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import attrs
from codex_core.errors import CodexCoreError

ENV_BINARY = "CODEX_CORE_CODEX_BIN"
NODE_BIN = Path("node_modules") / ".bin" / "codex"


class CodexNotFoundError(CodexCoreError):
    """No Codex CLI where we looked (or not where the user said it is)."""

    code = "codex-not-found"


@attrs.frozen
class CodexBinary:
    """The Codex executable and where it was found (``config``, ``env``, ``repo``, ...)."""

    path: Path
    source: str

    @property
    def argv(self) -> list[str]:
        return [os.path.abspath(self.path)]


def find_binary(
    repo: Path | None, configured: str | None = None, env: Mapping[str, str] | None = None
) -> CodexBinary:
    """The Codex CLI to run for ``repo``; raises :class:`CodexNotFoundError`."""
    env = os.environ if env is None else env
    if configured:
        if "/" not in configured:  # a command name, looked up on PATH like a shell would
            found = shutil.which(configured, path=env.get("PATH"))
            if not found:
                raise CodexNotFoundError(
                    f"Codex CLI {configured!r} ([codex] binary) is not on PATH"
                )
            return CodexBinary(Path(found), "config")
        path = Path(configured).expanduser()
        if not path.is_absolute() and repo is not None:
            path = repo / path
        return _explicit(path, "config", f"[codex] binary = {configured!r}")
    if env.get(ENV_BINARY):
        return _explicit(Path(env[ENV_BINARY]).expanduser(), "env", f"${ENV_BINARY}")
    if repo is not None and _runnable(repo / NODE_BIN):
        return CodexBinary(repo / NODE_BIN, "repo")
    project = codex_core_node_bin()
    if project is not None:
        return CodexBinary(project, "codex-core")
    on_path = shutil.which("codex", path=env.get("PATH"))
    if on_path:
        return CodexBinary(Path(on_path), "PATH")
    raise CodexNotFoundError(
        "Codex CLI not found: set [codex] binary or $CODEX_CORE_CODEX_BIN, run `npm ci` where a "
        "package.json pins @openai/codex (node_modules/.bin/codex), or put `codex` on PATH"
    )


def codex_core_node_bin() -> Path | None:
    """``node_modules/.bin/codex`` in a directory above the installed codex-core, if any.

    An editable install (this project's own workspace) finds the project root's
    ``node_modules``; a virtualenv inside a project finds that project's.
    """
    import codex_core

    for directory in Path(codex_core.__file__).resolve().parents:
        candidate = directory / NODE_BIN
        if _runnable(candidate):
            return candidate
    return None


def _explicit(path: Path, source: str, named_by: str) -> CodexBinary:
    if not _runnable(path):
        raise CodexNotFoundError(f"Codex CLI not found at {path} (named by {named_by})")
    return CodexBinary(path, source)


def _runnable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
