"""Which files a run covers: the Python files under the paths given, all inside the repository.

Paths are checked before anything runs, and bad ones are bad input (exit 2): a path that does not
exist, or one that resolves outside the repository (through ``..`` or a symlink) or into
``.git``. Directories are walked without following directory symlinks, and these are never
entered: hidden directories (``.git``, ``.venv``, ``.runs``, ``.tox``, ...), ``node_modules``,
``build``, ``dist``, ``__pycache__``, and any virtualenv under any name (a directory holding
``pyvenv.cfg``). A directory named explicitly is walked even if its name is on that list. In a
walk only ``*.py`` files count; a file named explicitly is taken whatever its suffix. A symlinked
file found in a walk that points outside the repository is reported as skipped
(``outside-repo``), never read. Every file appears once, by its real path.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import attrs
from codex_core.errors import UsageError
from codex_core.paths import contained_path

__all__ = ["SKIP_DIRS", "Selection", "select_files"]

SKIP_DIRS = frozenset({"node_modules", "build", "dist", "__pycache__"})


@attrs.frozen
class Selection:
    """The files to process (real path, repo-relative POSIX path) and walked links to skip."""

    files: tuple[tuple[Path, str], ...]
    outside: tuple[str, ...] = ()


def _skip_dir(entry: os.DirEntry[str]) -> bool:
    name = entry.name
    if name.startswith(".") or name in SKIP_DIRS:
        return True
    return os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))


def _walk(top: str) -> Iterable[os.DirEntry[str]]:
    stack = [top]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                children = sorted(entries, key=lambda e: e.name)
        except OSError:
            continue
        for entry in children:
            if entry.is_dir(follow_symlinks=False):
                if not _skip_dir(entry):
                    stack.append(entry.path)
            elif entry.name.endswith(".py"):
                yield entry


def select_files(
    repo: Path, paths: Iterable[str | os.PathLike[str]] | None = None, *, base: Path | None = None
) -> Selection:
    """The Python files under ``paths`` (default: the whole repo), relative to ``base``.

    ``base`` is where relative paths start (the shell's directory for the CLI, the stage's
    ``cwd`` for a stage); it defaults to ``repo``. Raises UsageError (exit 2) for a missing path
    and PathEscapeError (a UsageError) for one outside the repository.
    """
    root = Path(os.path.realpath(repo))
    start = Path(base) if base is not None else root
    targets: list[Path] = []
    for raw in paths or [root]:
        candidate = Path(raw)
        absolute = candidate if candidate.is_absolute() else start / candidate
        if not absolute.exists():
            raise UsageError(f"path {os.fspath(raw)!r} does not exist")
        targets.append(contained_path(root, absolute))
    seen: dict[Path, str] = {}
    outside: list[str] = []

    def take(path: str) -> None:
        real = Path(os.path.realpath(path))
        try:
            rel = real.relative_to(root)
        except ValueError:
            outside.append(Path(path).relative_to(root).as_posix())
            return
        if rel.parts[:1] == (".git",):
            return
        seen.setdefault(real, rel.as_posix())

    for target in targets:
        if target.is_dir():
            for entry in _walk(os.fspath(target)):
                if entry.is_symlink() or not entry.is_file():
                    if not os.path.isfile(entry.path):
                        continue  # a dangling link
                take(entry.path)
        else:
            take(os.fspath(target))
    files = tuple(sorted(((path, rel) for path, rel in seen.items()), key=lambda item: item[1]))
    return Selection(files=files, outside=tuple(sorted(set(outside))))
