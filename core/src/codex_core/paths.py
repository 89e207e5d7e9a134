"""The path-containment check every write made on someone else's behalf goes through.

``contained_path(root, candidate)`` resolves ``candidate`` (relative to ``root`` or absolute),
following every symlink that exists, and refuses it unless it stays inside ``root``: not through
``..``, not through a symlink, not into a sibling that merely shares the root's prefix
(``/repo`` vs ``/repo-evil``). Anything inside a ``.git`` directory (any case, at any depth) is
refused too unless ``allow_git``.
A check cannot close the race of a symlink swapped in after it; writers that must survive that
open the result with ``O_NOFOLLOW`` (see the guardrails plugin's sandbox).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from .errors import PathEscapeError

__all__ = ["contained_path", "is_contained", "repo_relative"]


def contained_path(
    root: str | os.PathLike[str], candidate: str | os.PathLike[str], *, allow_git: bool = False
) -> Path:
    """Return the resolved ``candidate`` if it lies inside ``root``, else raise PathEscapeError."""
    if "\x00" in os.fspath(candidate):
        raise PathEscapeError(f"path {os.fspath(candidate)!r} contains a NUL byte")
    real_root = Path(os.path.realpath(root))
    joined = Path(root, candidate)
    real = Path(os.path.realpath(joined))
    try:
        relative = real.relative_to(real_root)
    except ValueError:
        raise PathEscapeError(
            f"path {os.fspath(candidate)!r} resolves to {real}, outside {real_root}"
        ) from None
    # Any .git, the repo's or a submodule's, in any case (case-insensitive file systems).
    if not allow_git and any(part.lower() == ".git" for part in relative.parts):
        raise PathEscapeError(f"path {os.fspath(candidate)!r} is inside .git")
    return real


def is_contained(root: str | os.PathLike[str], candidate: str | os.PathLike[str]) -> bool:
    """True when :func:`contained_path` would accept ``candidate``."""
    try:
        contained_path(root, candidate)
    except PathEscapeError:
        return False
    return True


def repo_relative(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> str:
    """``path`` as a POSIX path relative to ``root`` (as written into manifests)."""
    return PurePosixPath(Path(path).relative_to(root)).as_posix()
