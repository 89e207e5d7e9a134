"""What changed since the base, from ``git``: the base the spec guard compares against, and the paths.

The base, first that applies:

1. ``--base REF``: the merge-base of REF and HEAD (REF itself when it is an ancestor of HEAD,
   or when the two share no history); a REF that names no commit is bad input.
2. The branch's upstream (``@{upstream}``): the merge-base with it, so commits that landed
   upstream after the branch forked are not counted. When HEAD is already in its upstream (a
   pushed branch, CI's checkout of ``main``) that would compare nothing: go on to 3.
3. The previous commit, ``HEAD~1``.
4. HEAD is the first commit, or there is no commit yet: the empty tree, so every file counts as
   changed. In a shallow clone without ``HEAD~1`` this is refused instead (the answer would be
   wrong): fetch two commits or pass ``--base``.

"Changed" is the base against the working tree (committed, staged and unstaged changes, deleted
files included) plus untracked files that ``.gitignore`` does not exclude.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from codex_core.errors import UsageError


class BaseRefError(UsageError):
    """``--base`` names no commit, or the history needed to pick a base is missing."""

    code = "bad-base"


@dataclass(frozen=True)
class Base:
    """The commit the change rule compares against; ``commit`` None is the empty tree."""

    commit: str | None
    ref: str  # what was asked for or chosen: "origin/main", "HEAD~1", "empty tree"
    how: str  # "option", "upstream", "previous-commit", "first-commit", "no-commit"
    description: str  # one line for people

    def to_json(self) -> dict[str, str | None]:
        return asdict(self)


class GitError(Exception):
    """git itself is missing."""


def _git(repo: Path, *args: str) -> str | None:
    """stdout of ``git -C repo args``, or None when git says no (exit != 0)."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    return proc.stdout if proc.returncode == 0 else None


def is_work_tree(repo: Path) -> bool:
    try:
        return (_git(repo, "rev-parse", "--is-inside-work-tree") or "").strip() == "true"
    except GitError:
        return False


def _commit(repo: Path, ref: str) -> str | None:
    out = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return out.strip() if out else None


def _merge_base(repo: Path, a: str, b: str) -> str | None:
    out = _git(repo, "merge-base", a, b)
    return out.strip() if out else None


def resolve_base(repo: Path, requested: str | None) -> Base | None:
    """The base to compare against (see the module docstring).

    None when ``repo`` is not a git work tree (nothing to compare) and no base was asked for;
    BaseRefError when the base asked for, or the history needed to choose one, is missing.
    """
    if not is_work_tree(repo):
        if requested is None:
            return None
        raise BaseRefError(f"--base {requested}: {repo} is not a git work tree")
    head = _commit(repo, "HEAD")
    if requested is not None:
        return _requested_base(repo, requested, head)
    if head is None:
        return Base(
            None,
            "empty tree",
            "no-commit",
            "the empty tree (the repository has no commit yet: every file counts as changed)",
        )
    upstream = (
        _git(repo, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}") or ""
    ).strip()
    in_upstream = ""
    if upstream:
        merge_base = _merge_base(repo, "HEAD", "@{upstream}")
        if merge_base and merge_base != head:
            return Base(
                merge_base,
                upstream,
                "upstream",
                f"{merge_base[:12]}, the merge-base of HEAD and its upstream {upstream}",
            )
        if merge_base == head:  # nothing of ours is new there: the last commit is the question
            in_upstream = f"; HEAD is already in its upstream {upstream}"
    previous = _commit(repo, "HEAD~1")
    if previous:
        return Base(
            previous,
            "HEAD~1",
            "previous-commit",
            f"{previous[:12]}, the previous commit (HEAD~1{in_upstream})",
        )
    if (_git(repo, "rev-parse", "--is-shallow-repository") or "").strip() == "true":
        raise BaseRefError(
            f"{repo} is a shallow clone without HEAD~1: fetch at least two commits "
            "(actions/checkout: fetch-depth: 2) or pass --base REF"
        )
    return Base(
        None,
        "empty tree",
        "first-commit",
        f"the empty tree (HEAD {head[:12]} is the repository's first commit: every file counts as changed)",
    )


def _requested_base(repo: Path, requested: str, head: str | None) -> Base:
    if not requested.strip() or requested.startswith("-"):
        raise BaseRefError(f"--base {requested!r}: not a git revision")
    commit = _commit(repo, requested)
    if commit is None:
        raise BaseRefError(f"--base {requested}: no such commit in {repo}")
    merge_base = _merge_base(repo, commit, "HEAD") if head else None
    if merge_base and merge_base != commit:
        return Base(
            merge_base,
            requested,
            "option",
            f"{merge_base[:12]}, the merge-base of {requested} and HEAD",
        )
    return Base(commit, requested, "option", f"{commit[:12]} ({requested})")


def changed_paths(repo: Path, base: Base) -> list[str]:
    """Repo-relative paths changed since ``base``, sorted, each once."""
    tree = base.commit or _empty_tree(repo)
    diff = _git(repo, "diff", "--name-only", "--no-renames", "--relative", "-z", tree, "--")
    untracked = _git(repo, "ls-files", "--others", "--exclude-standard", "-z")
    if diff is None or untracked is None:
        raise BaseRefError(f"git could not list the changes of {repo} since {base.ref}")
    return sorted({p for p in (diff + untracked).split("\0") if p})


def _empty_tree(repo: Path) -> str:
    # Asked of git rather than hard-coded: a SHA-256 repository has another empty tree.
    out = _git(repo, "hash-object", "-t", "tree", "--stdin")  # stdin is empty (DEVNULL)
    if not out:
        raise BaseRefError(f"git could not compute the empty tree in {repo}")
    return out.strip()
