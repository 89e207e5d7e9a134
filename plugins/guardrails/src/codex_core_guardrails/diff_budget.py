"""The diff budget: a guardrail stage that fails when the working tree's change is too large.

A change counts every file that differs from the base commit (``HEAD`` unless configured:
staged and unstaged changes alike, renames as one file) plus every untracked file ``.gitignore``
does not exclude, whose lines all count as added. ``.runs/`` never counts. Lines are added plus
deleted lines, as ``git diff --numstat`` counts them; a binary file counts as a file, not lines.

Two ways to use it:

- configure ``[guardrails.diff_budget]`` and :class:`DiffBudget` adds a ``diff-budget`` stage
  (``guardrail = true``) to the assembled ``diagnostics`` pipeline; without that table it adds
  nothing::

      [guardrails.diff_budget]
      max_files = 20          # default 25
      max_lines = 400         # default 1000
      base = "origin/main"    # default "HEAD": the uncommitted change
      exclude = ["uv.lock", "**/*.snap"]   # git glob pathspecs that do not count

- or name the kind in any pipeline, with the same keys as stage options (they win over the
  table, which wins over the defaults)::

      stages = [{ id = "budget", kind = "diff-budget", max_files = 5, max_lines = 200, guardrail = true }]

Over budget, the stage fails with ``reason: diff-budget-exceeded``; its summary and error
artifact give the counts, the limits and the largest files. A run started with
``--override <stage id> --reason ... --approver ...`` passes instead and records the approval.
``git`` runs directly (read-only, not through the command policy: the budget must be measurable
whatever commands an allow-list permits).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import trio
from codex_core import StageOutcome, StageSpec, hookimpl
from codex_core.config import Config
from codex_core.errors import ConfigError
from codex_core.gitdiff import parse_numstat
from codex_core.hookspecs import DoctorCheck

__all__ = ["Budget", "Change", "DiffBudget", "DiffBudgetStage", "FileChange", "measure"]

KIND = "diff-budget"
SECTION = "diff_budget"  # under the shared [guardrails] table
REASON_EXCEEDED = "diff-budget-exceeded"
REASON_ERROR = "diff-budget-error"
DEFAULT_MAX_FILES = 25
DEFAULT_MAX_LINES = 1000
DEFAULT_BASE = "HEAD"
_KEYS = ("max_files", "max_lines", "base", "exclude")
_GIT_ENV = {"GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
_SHOWN = 20  # the largest files listed in the error artifact


class GitError(Exception):
    """git could not answer (no repository, a base that names no commit, git missing)."""


@attrs.frozen
class Budget:
    max_files: int = DEFAULT_MAX_FILES
    max_lines: int = DEFAULT_MAX_LINES
    base: str = DEFAULT_BASE
    exclude: tuple[str, ...] = ()

    @classmethod
    def from_table(
        cls, table: dict[str, Any], where: str, *, inherit: Budget | None = None, noun: str = "key"
    ) -> Budget:
        """Keys of ``table`` over ``inherit`` (or the defaults); ConfigError naming ``where``."""
        unknown = set(table) - set(_KEYS)
        if unknown:
            raise ConfigError(
                f"{where}: unknown {noun}(s) {', '.join(sorted(unknown))} (known: {', '.join(_KEYS)})"
            )
        changes: dict[str, Any] = {}
        for key in ("max_files", "max_lines"):
            if key in table:
                value = table[key]
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ConfigError(f"{where}.{key}: expected a whole number >= 0, got {value!r}")
                changes[key] = value
        if "base" in table:
            base = table["base"]
            if not isinstance(base, str) or not base.strip() or base.startswith("-"):
                raise ConfigError(f"{where}.base: expected a git revision, got {base!r}")
            changes["base"] = base
        if "exclude" in table:
            exclude = table["exclude"]
            if not isinstance(exclude, list) or not all(
                isinstance(p, str) and p and not p.startswith(":") for p in exclude
            ):
                raise ConfigError(
                    f"{where}.exclude: expected a list of path globs, got {exclude!r}"
                )
            changes["exclude"] = tuple(exclude)
        return attrs.evolve(inherit or cls(), **changes)

    def as_options(self) -> dict[str, Any]:
        return {
            "max_files": self.max_files,
            "max_lines": self.max_lines,
            "base": self.base,
            "exclude": list(self.exclude),
        }


@attrs.frozen
class FileChange:
    path: str
    added: int
    deleted: int
    binary: bool = False
    untracked: bool = False

    @property
    def lines(self) -> int:
        return self.added + self.deleted

    def as_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class Change:
    base: str  # what was compared against, for people: "HEAD (3f2a9c1)", "the empty tree"
    files: tuple[FileChange, ...]

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def deleted(self) -> int:
        return sum(f.deleted for f in self.files)

    def largest(self, n: int = _SHOWN) -> list[FileChange]:
        return sorted(self.files, key=lambda f: (-f.lines, f.path))[:n]


def section(config: Config) -> tuple[dict[str, Any] | None, str]:
    """``[guardrails.diff_budget]`` (None when absent) and its name for error messages."""
    prefix = "tool.codex-core." if config.path and config.path.name == "pyproject.toml" else ""
    where = f"{config.path}: {prefix}guardrails.{SECTION}"
    table = config.section("guardrails").get(SECTION)
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    return table, where


# -------------------------------------------------------------------------------------------
# Measuring the change with git
# -------------------------------------------------------------------------------------------


async def _git(repo: Path, *args: str) -> bytes:
    try:
        proc = await trio.run_process(
            ["git", *args], cwd=repo, env={**os.environ, **_GIT_ENV}, stdin=b"",
            capture_stdout=True, capture_stderr=True, check=False,
        )  # fmt: skip
    except OSError as err:
        raise GitError(f"cannot run git: {err}") from None
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(
            f"git {args[0]} failed: {detail[-1] if detail else f'exit {proc.returncode}'}"
        )
    return proc.stdout


async def _resolve_base(repo: Path, base: str) -> tuple[str, str]:
    """The tree-ish to diff against and how to name it."""
    try:
        sha = (await _git(repo, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")).decode()
        return sha.strip(), f"{base} ({sha.strip()[:10]})"
    except GitError:
        pass
    await _git(repo, "rev-parse", "--is-inside-work-tree")  # "not a git repository" if not
    if base != DEFAULT_BASE:
        raise GitError(f"base {base!r} names no commit")
    empty = (await _git(repo, "hash-object", "-t", "tree", "/dev/null")).decode().strip()
    return empty, "the empty tree (no commit yet)"


def _pathspecs(exclude: Sequence[str]) -> list[str]:
    return ["--", ".", ":(exclude).runs", *(f":(exclude,glob){p}" for p in exclude)]


def _parse_numstat(out: bytes) -> list[FileChange]:
    """``git diff --numstat -z`` as this guardrail's changes (the kernel reads the format)."""
    return [
        FileChange(path=e.path, added=e.added, deleted=e.deleted, binary=e.binary)
        for e in parse_numstat(out)
    ]


def _count_untracked(repo: Path, paths: Sequence[str]) -> list[FileChange]:
    """Untracked files as all-added lines; read without following symlinks."""
    found = []
    for rel in paths:
        try:
            info = os.lstat(repo / rel)
        except FileNotFoundError:
            continue  # removed since git listed it
        if stat.S_ISLNK(info.st_mode):
            found.append(FileChange(rel, 1, 0, untracked=True))  # git shows the target, one line
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        lines, binary = _count_lines(repo / rel)
        found.append(FileChange(rel, lines, 0, binary=binary, untracked=True))
    return found


def _count_lines(path: Path) -> tuple[int, bool]:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        head = handle.read(8000)
        if b"\0" in head:  # git's own test for a binary file
            return 0, True
        lines, last = head.count(b"\n"), head[-1:]
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (1 if last and last != b"\n" else 0), False


async def measure(repo: Path, budget: Budget) -> Change:
    """What changed in ``repo`` against ``budget.base``, excluding ``.runs/`` and ``exclude``."""
    tree, label = await _resolve_base(repo, budget.base)
    spec = _pathspecs(budget.exclude)
    numstat = await _git(repo, "diff", "--numstat", "-z", "-M", "--no-ext-diff", tree, *spec)
    listed = await _git(repo, "ls-files", "--others", "--exclude-standard", "-z", *spec)
    untracked = [os.fsdecode(p) for p in listed.split(b"\0") if p]
    counted = await trio.to_thread.run_sync(_count_untracked, repo, untracked)
    return Change(base=label, files=(*_parse_numstat(numstat), *counted))


# -------------------------------------------------------------------------------------------
# The stage kind and the guardrail that contributes it
# -------------------------------------------------------------------------------------------


class DiffBudgetStage:
    """The ``diff-budget`` stage kind (entry point ``codex_core.stages:diff-budget``)."""

    def validate(self, spec: StageSpec) -> None:
        where = f"stage {spec.id!r} (kind {KIND})"
        if spec.command is not None:
            raise ConfigError(f"{where}: takes no command (options: {', '.join(_KEYS)})")
        Budget.from_table(spec.options, where, noun="option")

    async def run(self, ctx: Any) -> StageOutcome:
        try:
            budget = self._budget(ctx.spec, ctx.config)
        except ConfigError as err:
            return StageOutcome("failed", summary=str(err), reason="config-error")
        try:
            change = await measure(ctx.repo, budget)
        except GitError as err:
            return StageOutcome("failed", summary=str(err), reason=REASON_ERROR)
        ctx.log(_report(change))
        counts = (
            f"{len(change.files)} file(s), {change.lines} line(s) changed against {change.base}"
        )
        limits = f"the budget of {budget.max_files} file(s), {budget.max_lines} line(s)"
        exceeded = [
            name
            for name, value, limit in (
                ("files", len(change.files), budget.max_files),
                ("lines", change.lines, budget.max_lines),
            )
            if value > limit
        ]
        if not exceeded:
            return StageOutcome("succeeded", summary=f"{counts} (within {limits})")
        finding = {
            "rule": REASON_EXCEEDED,
            "files": len(change.files),
            "lines": change.lines,
            "max_files": budget.max_files,
            "max_lines": budget.max_lines,
            "exceeded": exceeded,
        }
        if ctx.override is not None and ctx.record_approval is not None:
            approval = ctx.record_approval([finding])
            return StageOutcome(
                "succeeded", summary=f"{counts}: over {limits}, overridden by {approval.approver}"
            )
        return StageOutcome(
            "failed",
            summary=f"{counts}: over {limits}",
            reason=REASON_EXCEEDED,
            details={
                **finding,
                "added": change.added,
                "deleted": change.deleted,
                "base": change.base,
                "largest": [f.as_json() for f in change.largest()],
            },
        )

    @staticmethod
    def _budget(spec: StageSpec, config: Config | None) -> Budget:
        inherit = None
        if config is not None:
            table, where = section(config)
            if table is not None:
                inherit = Budget.from_table(table, where)
        return Budget.from_table(
            spec.options, f"stage {spec.id!r} (kind {KIND})", inherit=inherit, noun="option"
        )


def _report(change: Change) -> str:
    lines = [f"diff budget: {len(change.files)} file(s), +{change.added} -{change.deleted} "
             f"against {change.base}"]  # fmt: skip
    for f in sorted(change.files, key=lambda f: f.path):
        what = "binary" if f.binary else f"+{f.added} -{f.deleted}"
        lines.append(f"  {what:>14}  {f.path}{'  (untracked)' if f.untracked else ''}")
    return "\n".join(lines) + "\n"


class DiffBudget:
    """The ``diff-budget`` guardrail (entry point ``codex_core.guardrails:diff-budget``): adds
    the stage to ``diagnostics`` when ``[guardrails.diff_budget]`` is configured."""

    @hookimpl
    def codex_diagnostics_stages(self, repo: Path, config: Config) -> list[StageSpec]:
        table, where = section(config)
        if table is None:
            return []
        budget = Budget.from_table(table, where)
        return [
            StageSpec(
                id=KIND, kind=KIND, title="Diff budget", guardrail=True, source="codex-core-guardrails",
                options=budget.as_options(),
            )
        ]  # fmt: skip

    @hookimpl
    def codex_doctor_checks(self, repo: Path, config: Config) -> list[DoctorCheck]:
        try:
            table, where = section(config)
            if table is None:
                return [
                    DoctorCheck("diff budget", True, "not configured ([guardrails.diff_budget])")
                ]
            budget = Budget.from_table(table, where)
        except ConfigError as err:
            return [DoctorCheck("diff budget", False, str(err))]
        detail = (
            f"at most {budget.max_files} file(s), {budget.max_lines} line(s) against {budget.base}"
        )
        return [DoctorCheck("diff budget", True, detail)]
