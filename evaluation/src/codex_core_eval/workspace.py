"""The scenario's work tree: the target unpacked (or copied) into a temp dir and put under git.

The source is never touched: an sdist is read from the cache and extracted with tarfile's
``data`` filter (no absolute paths, no ``..``, no links out, no device files); a fixture folder
is copied. The copy becomes a git repository with one commit, so the change the assets make is
``git diff`` against it: a diff stat and a patch anyone can read or ``git apply``.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

import trio
from codex_core.errors import CodexCoreError
from codex_core.gitdiff import DiffStat

from .proc import run

__all__ = ["WorkspaceError", "commit_baseline", "copy_fixture", "diff", "unpack_sdist"]

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "codex-core eval",
    "GIT_AUTHOR_EMAIL": "eval@codex-core.invalid",
    "GIT_COMMITTER_NAME": "codex-core eval",
    "GIT_COMMITTER_EMAIL": "eval@codex-core.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}
_IGNORED = shutil.ignore_patterns(".git", ".runs", "__pycache__", "*.pyc", ".venv")


class WorkspaceError(CodexCoreError):
    code = "workspace-failed"


def unpack_sdist(archive: Path, into: Path) -> Path:
    """Extract ``archive`` into ``into`` and return the project folder (its single top dir)."""
    into.mkdir(parents=True)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise WorkspaceError(f"cannot unpack {archive.name}: {exc}") from None
    entries = [p for p in into.iterdir()]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return into


def copy_fixture(folder: Path, into: Path) -> Path:
    shutil.copytree(folder, into, ignore=_IGNORED, symlinks=True)
    return into


async def _git(tree: Path, log: Path, *args: str) -> str:
    result = await run(["git", "-c", "commit.gpgsign=false", *args], cwd=tree, log=log, env=_GIT_ENV, timeout=300)  # fmt: skip
    if result.returncode != 0:
        raise WorkspaceError(f"git {' '.join(args)} failed in {tree}: {result.tail(500)}")
    return result.output


#: never part of the change: a goal's own run store, bytecode a test run leaves behind
EXCLUDED = ".runs/\n__pycache__/\n*.pyc\n.pytest_cache/\n"


async def commit_baseline(tree: Path, log: Path) -> None:
    """Make ``tree`` a git repository whose one commit is the target as unpacked (every file,
    even those its own ``.gitignore`` names); later changes are seen through ``.gitignore``."""
    await _git(tree, log, "init", "-q")
    (tree / ".git" / "info").mkdir(exist_ok=True)
    (tree / ".git" / "info" / "exclude").write_text(EXCLUDED)
    await _git(tree, log, "add", "-A", "--force")
    await _git(tree, log, "commit", "-q", "--no-verify", "-m", "baseline", "--allow-empty")


async def diff(tree: Path, log: Path, patch: Path) -> DiffStat:
    """The change since the baseline commit: its stat, and the patch written to ``patch``."""
    await _git(tree, log, "add", "-A")
    with trio.fail_after(300):  # bytes, not the log's text: -z keeps every path exact
        numstat = await trio.run_process(
            ["git", "diff", "--cached", "--numstat", "-z", "--no-renames"], cwd=tree,
            env={**os.environ, **_GIT_ENV}, capture_stdout=True, capture_stderr=True, check=False,
        )  # fmt: skip
    text = await run(
        ["git", "diff", "--cached", "--no-renames", "--no-color"], cwd=tree, log=log, env=_GIT_ENV, timeout=300
    )  # fmt: skip
    if numstat.returncode != 0 or text.returncode != 0:
        raise WorkspaceError(f"git diff failed in {tree}")
    from codex_core.atomic import write_atomic

    write_atomic(patch, text.output)
    return DiffStat.from_numstat(numstat.stdout)
