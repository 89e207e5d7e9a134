"""Where the agent works, and what it changed there: git worktrees, ``diff.patch``, ``.git`` watch.

- The work tree is the repository itself, or with ``--worktree`` a fresh ``git worktree``
  (detached at ``HEAD``) at ``<run dir>/worktree``: the main checkout is never touched, and a
  resumed run finds the same worktree again. It is left in place after the run, for people to
  inspect (``git worktree remove <path>`` when done).
- :func:`record_diff` writes what changed since the build started (a tree recorded by
  :func:`snapshot_tree`; tracked and untracked files alike, as ``git add -A`` sees them, with a
  throw-away index so the repository's own index is never touched) to ``<run dir>/diff.patch``
  and returns the stat.
- :func:`git_fingerprint` hashes the parts of ``.git`` that change what git (or a hook) does,
  ``config``, ``hooks/``, ``info/`` and, in a worktree, its ``.git`` link file, and the
  repository's history: ``HEAD`` (the file and the commit it resolves to), every ref (the files
  under ``refs/``, ``packed-refs``, and what ``git for-each-ref`` resolves each to). A turn after
  which the fingerprint differs touched ``.git`` (a ``git commit``, ``git branch``, ``git
  update-ref``, ``git config`` ...), and fails the build.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import trio
from codex_core.atomic import write_atomic
from codex_core.gitdiff import DiffStat

WORKTREE_DIR = "worktree"
DIFF_FILE = "diff.patch"
_GIT_ENV = {"GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}


class GitError(RuntimeError):
    pass


def _git_sync(cwd: Path, *args: str, env: dict[str, str] | None = None) -> bytes:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **_GIT_ENV, **(env or {})},
        stdin=subprocess.DEVNULL, capture_output=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(
            f"git {args[0]} failed: {detail[-1] if detail else f'exit {proc.returncode}'}"
        )
    return proc.stdout


async def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> bytes:
    return await trio.to_thread.run_sync(lambda: _git_sync(cwd, *args, env=env))


def worktree_path(run_dir: Path) -> Path:
    return run_dir / WORKTREE_DIR


async def ensure_worktree(repo: Path, path: Path) -> Path:
    """The git worktree at ``path`` (made from ``repo``'s ``HEAD`` unless it exists already)."""
    if (path / ".git").is_file():
        return path.resolve()
    try:
        await git(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    except GitError:
        raise GitError(f"{repo} has no commit to make a worktree from") from None
    await git(repo, "worktree", "add", "--detach", str(path), "HEAD")
    return path.resolve()


async def _staged(workdir: Path, run_dir: Path, name: str) -> tuple[dict[str, str], bool]:
    """A throw-away index at ``<run_dir>/roles/<name>`` holding the whole work tree."""
    index = run_dir / "roles" / name
    index.parent.mkdir(parents=True, exist_ok=True)
    env = {"GIT_INDEX_FILE": str(index)}
    has_head = True
    try:
        await git(workdir, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    except GitError:
        has_head = False
    await git(workdir, *(("read-tree", "HEAD") if has_head else ("read-tree", "--empty")), env=env)
    await git(workdir, "add", "-A", "--", ".", env=env)
    return env, has_head


async def snapshot_tree(workdir: Path, run_dir: Path) -> str:
    """A git tree object of the work tree as it is now (what a later diff is taken against).

    Recording the tree before the agent starts makes ``diff.patch`` show the agent's change
    only, even in a checkout that already had uncommitted changes.
    """
    env, _ = await _staged(workdir, run_dir, "snapshot.index")
    try:
        return (await git(workdir, "write-tree", env=env)).decode().strip()
    finally:
        Path(env["GIT_INDEX_FILE"]).unlink(missing_ok=True)


async def record_diff(
    workdir: Path, run_dir: Path, base: str | None = None
) -> tuple[Path | None, DiffStat]:
    """Write ``<run_dir>/diff.patch`` (when anything changed against ``base``, a tree recorded
    by :func:`snapshot_tree`, else ``HEAD``) and return it with the stat."""
    env, has_head = await _staged(workdir, run_dir, "diff.index")
    try:
        against = (base,) if base else (("HEAD",) if has_head else ())
        patch = await git(
            workdir, "diff", "--cached", "--binary", "--no-ext-diff", *against, env=env
        )
        numstat = await git(workdir, "diff", "--cached", "--numstat", "-z", *against, env=env)
    finally:
        Path(env["GIT_INDEX_FILE"]).unlink(missing_ok=True)
    stat = DiffStat.from_numstat(numstat)
    target = run_dir / DIFF_FILE
    if not patch:
        target.unlink(missing_ok=True)  # an earlier attempt's patch no longer says the truth
        return None, stat
    write_atomic(target, patch)
    return target, stat


def git_fingerprint(workdir: Path) -> dict[str, str]:
    """What the parts of ``.git`` that steer git, and the history, are now (the module docstring).

    Keys are paths relative to the git directory (``config``, ``hooks/pre-commit``,
    ``refs/heads/main``, ``packed-refs``, ``HEAD``); two fingerprints differ exactly where
    something changed.
    """
    try:
        out = _git_sync(workdir, "rev-parse", "--absolute-git-dir", "--git-common-dir")
    except GitError:
        return {}
    git_dir_text, common_text = out.decode().splitlines()[:2]
    git_dir = Path(git_dir_text)
    common = Path(common_text) if os.path.isabs(common_text) else (workdir / common_text)
    candidates: list[tuple[str, Path]] = [
        ("config", common / "config"),
        ("HEAD", git_dir / "HEAD"),
        ("packed-refs", common / "packed-refs"),
    ]
    folders = [("hooks", common / "hooks"), ("info", common / "info"), ("refs", common / "refs")]
    if git_dir.resolve() != common.resolve():  # a worktree's own refs (refs/bisect, ...)
        folders.append(("refs", git_dir / "refs"))
    for sub, folder in folders:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                candidates.append((f"{sub}/{path.relative_to(folder).as_posix()}", path))
        candidates.append((f"{sub}/", folder))
    link = workdir / ".git"
    if link.is_file():
        candidates.append((".git (worktree link)", link))
    found: dict[str, str] = {}

    def note(name: str, value: str) -> None:
        found[name] = f"{found[name]}|{value}" if name in found else value

    for name, path in candidates:
        try:
            if path.is_symlink():
                note(name, "symlink:" + os.readlink(path))
            elif path.is_file():
                note(name, hashlib.sha256(path.read_bytes()).hexdigest())
            elif path.is_dir():
                note(name, "dir")
        except OSError:
            continue
    # What the refs resolve to, however they are stored (loose, packed, symbolic).
    for name, value in _resolved_refs(workdir).items():
        note(name, value)
    return found


def _resolved_refs(workdir: Path) -> dict[str, str]:
    """``HEAD`` and every ref, by name, with the object (and symbolic target) each names."""
    refs: dict[str, str] = {}
    try:
        head = _git_sync(workdir, "rev-parse", "--verify", "--quiet", "HEAD").decode().strip()
    except GitError:
        head = "(unborn)"
    refs["HEAD"] = "commit:" + head
    try:
        listing = _git_sync(
            workdir, "for-each-ref", "--format=%(refname)%00%(objectname)%00%(symref)"
        )
    except GitError:
        return refs
    for line in listing.decode(errors="replace").splitlines():
        refname, objectname, symref = [*line.split("\0"), "", ""][:3]
        refs[refname] = f"ref:{objectname}" + (f"->{symref}" if symref else "")
    return refs


def changed_git_files(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )


def outside_changes(root: Path, changes: Any) -> list[str]:
    """The backend-reported file changes that lie outside ``root`` or inside ``.git``."""
    from codex_core_guardrails.sandbox import is_git_component

    bad = []
    real_root = Path(os.path.realpath(root))
    for change in changes:
        text = str(change.path)
        pure = PurePosixPath(text)
        if pure.is_absolute():
            real = Path(os.path.realpath(text))
            if not real.is_relative_to(real_root):
                bad.append(text)
                continue
            pure = PurePosixPath(real.relative_to(real_root).as_posix())
        if ".." in pure.parts or any(is_git_component(p) for p in pure.parts):
            bad.append(text)
    return bad
