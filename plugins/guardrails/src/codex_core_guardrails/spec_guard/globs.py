"""Path patterns for ``code_paths`` and ``spec_paths``: ``.gitignore`` patterns, matched by pathspec.

The patterns are git's (``gitignore(5)``), matched by :class:`pathspec.GitIgnoreSpec`:

- A pattern without a ``/`` (a trailing one aside) matches at any depth: ``*.py`` is every
  Python file, ``src/`` every folder named ``src`` with everything in it.
- A pattern with a ``/`` at its start or in its middle is anchored at the repository root:
  ``src/*.py`` is ``src/a.py`` but not ``src/x/a.py``; ``/setup.py`` is only the top one.
- ``*`` and ``?`` stay within one path segment; ``[abc]`` and ``[!abc]`` are character classes.
- ``**`` is any number of whole segments: ``src/**`` is everything under ``src/``,
  ``**/migrations/**`` everything under any ``migrations/`` folder.
- A trailing ``/`` matches a folder (so everything in it), never a file of that name.
- ``!pattern`` takes back what an earlier pattern matched (the last matching pattern decides).

Paths are repo-relative POSIX paths, as ``git diff --name-only`` prints them. Patterns are checked
first (:func:`glob_problem`): no empty ones, no ``\\`` (use ``/``; gitignore's backslash escapes
are not accepted), no ``..``, and none that can match nothing (a ``#`` comment, an unclosed
``[``, a lone ``/``).
"""

from __future__ import annotations

from collections.abc import Iterable

from pathspec import GitIgnoreSpec

__all__ = ["compile_globs", "glob_problem"]


def compile_globs(patterns: Iterable[str]) -> GitIgnoreSpec:
    """The patterns as one matcher: ``compile_globs(p).match_file(path)``."""
    return GitIgnoreSpec.from_lines(patterns)


def glob_problem(pattern: object) -> str | None:
    """Why ``pattern`` cannot be a path pattern, or None when it can."""
    if not isinstance(pattern, str) or not pattern.strip():
        return "expected a non-empty string"
    if "\\" in pattern:
        return "use / as the path separator"
    if ".." in pattern.removeprefix("!").split("/"):
        return "'..' would leave the repository"
    try:
        spec = compile_globs([pattern])
    except ValueError as exc:  # pathspec's pattern errors are ValueErrors
        return f"not a valid gitignore pattern ({exc})"
    if all(compiled.include is None for compiled in spec.patterns):
        return "matches no path (to git it is a comment, an unclosed '[', or no name at all)"
    return None
