"""Applying a codemod or running lint rules over a repository: the API the CLI, the stage kinds
and the evaluation harness share.

    from codex_core_patterns.runner import apply_codemod, lint

    report = apply_codemod("path/to/repo", "super-call", ["src"], jobs=4, dry_run=True)
    report.counts      # {"applied": 3, "unchanged": 40, "skipped": 200, "failed": 0}
    report.to_json()   # the stable shape of `--format json`

The order of work: select the files (:mod:`.files`; bad paths raise UsageError before anything
runs), read each one and test the asset's precheck, *then* import the implementation (libcst)
only if some file passed, and run the candidates on the worker pool (:mod:`.pool`). A file that
fails the precheck is ``skipped`` with reason ``no-match`` and never parsed. After a real (not
dry) run every directory holding a changed file is fsynced once.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from codex_core.errors import CodexCoreError, UsageError

from .assets import CodemodAsset, LinterAsset, find_asset
from .files import select_files
from .pool import default_jobs, run_tasks
from .results import CANCELLED, NO_MATCH, OUTSIDE_REPO, READ_ERROR, FileResult, Report

__all__ = [
    "AssetLoadError",
    "apply_codemod",
    "coerce_options",
    "in_thread",
    "installed_linters",
    "lint",
]

Progress = Callable[[FileResult], None]
T = TypeVar("T")


class AssetLoadError(CodexCoreError):
    """An installed asset whose implementation cannot be imported (a broken plugin: exit 1)."""

    code = "asset-load-failed"


def coerce_options(asset: CodemodAsset, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validate codemod options against ``asset.options``; CLI strings take the default's type.

    A tuple default takes a list or a comma-separated string; a bool takes true/false.
    Raises UsageError for an unknown option or a value of the wrong type.
    """
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in asset.options:
            known = ", ".join(sorted(asset.options)) or "none"
            raise UsageError(f"{asset.id} has no option {key!r} (options: {known})")
        default = asset.options[key]
        if isinstance(default, tuple):
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
                raise UsageError(f"{asset.id}: option {key!r} takes a list of strings")
            out[key] = tuple(i.strip() for i in items if i.strip())
        elif isinstance(default, bool):
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
                value = value.lower() in ("true", "1")
            if not isinstance(value, bool):
                raise UsageError(f"{asset.id}: option {key!r} takes true or false")
            out[key] = value
        else:
            out[key] = type(default)(value) if default is not None else value
    return out


def _load(asset: CodemodAsset | LinterAsset, base: type) -> type:
    try:
        implementation = asset.load()
    except Exception as exc:
        raise AssetLoadError(
            f"{asset.kind} {asset.id}: cannot import {asset.implementation} ({type(exc).__name__}: {exc})"
        ) from exc
    if not (isinstance(implementation, type) and issubclass(implementation, base)):
        raise AssetLoadError(
            f"{asset.kind} {asset.id}: {asset.implementation} is not a {base.__name__}"
        )
    return implementation


def _read(path: Path) -> bytes | OSError:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        return exc


class _Batch:
    """The files one ``apply`` or ``lint`` works on, and their results as they come.

    Selecting the files raises UsageError for a bad path before anything runs; a file found
    outside the repo (a symlink) is ``skipped``, one that cannot be read ``failed``, each
    recorded at once; :meth:`sources` yields the rest with their bytes.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        paths: Sequence[str | os.PathLike[str]] | None,
        base: str | os.PathLike[str] | None,
        on_result: Progress | None,
    ) -> None:
        self.root = Path(os.path.realpath(root))
        self.selection = select_files(
            self.root, paths, base=Path(base) if base is not None else None
        )
        self.report: Progress = on_result or (lambda result: None)
        self.results: dict[str, FileResult] = {}

    def record(self, result: FileResult) -> None:
        self.results[result.path] = result
        self.report(result)

    def sources(self) -> Iterator[tuple[Path, str, bytes]]:
        for rel in self.selection.outside:
            self.record(FileResult(rel, "skipped", reason=OUTSIDE_REPO))
        for path, rel in self.selection.files:
            source = _read(path)
            if isinstance(source, OSError):
                error = f"{type(source).__name__}: {source}"
                self.record(FileResult(rel, "failed", reason=READ_ERROR, error=error))
            else:
                yield path, rel, source


def _fsync_directories(paths: Iterable[Path]) -> None:
    from codex_core.atomic import fsync_directory

    for directory in sorted(set(paths)):
        try:
            fsync_directory(directory)
        except OSError:
            pass


def _ref(asset: CodemodAsset | LinterAsset) -> dict[str, str]:
    return {
        "id": asset.id,
        "kind": asset.kind,
        "version": asset.version,
        "description": asset.description,
    }


def _module_of(asset: CodemodAsset | LinterAsset) -> str:
    return asset.implementation.partition(":")[0]


def apply_codemod(
    root: str | os.PathLike[str],
    codemod: str | CodemodAsset,
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    base: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    dry_run: bool = False,
    diff: bool = False,
    options: Mapping[str, Any] | None = None,
    kernel: Any = None,
    cancel: threading.Event | None = None,
    on_result: Progress | None = None,
    in_process: bool = False,
    start_method: str | None = None,
) -> Report:
    """Apply ``codemod`` (an installed id, ``module:attr``, or an asset) to the files under ``paths``.

    ``dry_run`` writes nothing and puts each change's unified diff in its result; ``diff``
    computes the diffs on a real run too. ``options`` override the codemod's defaults. ``jobs``
    worker processes (default: the CPUs available); ``cancel`` stops the run between files;
    ``on_result`` is called with each file's result as it comes.
    """
    started = time.perf_counter()
    asset = (
        codemod
        if isinstance(codemod, CodemodAsset)
        else find_asset("codemod", codemod, kernel=kernel)
    )
    opts = coerce_options(asset, options or {})
    batch = _Batch(root, paths, base, on_result)
    jobs = jobs or default_jobs()
    report, results, record = batch.report, batch.results, batch.record
    candidates: list[tuple[Path, str]] = []
    for path, rel, source in batch.sources():
        if asset.could_match(source):
            candidates.append((path, rel))
        else:
            record(FileResult(rel, "skipped", reason=NO_MATCH))
    cancelled = False
    if candidates:
        from libcst.codemod import Codemod

        from .work import apply_file

        command = _load(asset, Codemod)
        tasks = [
            (rel, (command, opts, os.fspath(path), rel, dry_run, diff)) for path, rel in candidates
        ]
        ran, cancelled = run_tasks(
            apply_file, tasks, jobs=jobs, cancel=cancel, on_result=report,
            preload=[_module_of(asset)], in_process=in_process, start_method=start_method,
        )  # fmt: skip
        results.update(ran)
        for _, rel in candidates:
            if rel not in results:
                record(FileResult(rel, "skipped", reason=CANCELLED))
    if not dry_run:
        by_rel = dict((rel, path) for path, rel in batch.selection.files)
        _fsync_directories(by_rel[r.path].parent for r in results.values() if r.status == "applied")
    return Report(
        operation="apply",
        assets=(_ref(asset),),
        root=batch.root,
        files=tuple(results[rel] for rel in sorted(results)),
        jobs=jobs,
        duration_seconds=time.perf_counter() - started,
        dry_run=dry_run,
        cancelled=cancelled,
    )


def installed_linters(kernel: Any = None) -> tuple[list[LinterAsset], list[str]]:
    """Every installed lint rule, and a line per rule plugin that failed to load."""
    from codex_core import discovery

    if kernel is not None:
        objects = kernel.load_namespace("codex_core.linters")
        failures = [f for f in kernel.failures if f.namespace == "codex_core.linters"]
    else:
        objects, failures = discovery.load("codex_core.linters")
    assets = [a for _, a in sorted(objects.items()) if getattr(a, "kind", None) == "linter"]
    return assets, [f"linter {f.name} failed to load: {f.error}" for f in failures]


def lint(
    root: str | os.PathLike[str],
    rules: Sequence[str | LinterAsset] | None = None,
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    base: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    kernel: Any = None,
    cancel: threading.Event | None = None,
    on_result: Progress | None = None,
    in_process: bool = False,
    start_method: str | None = None,
) -> Report:
    """Run lint ``rules`` (default: every installed one) on the files under ``paths``.

    Each file is parsed once for all the rules whose precheck it passes.
    """
    started = time.perf_counter()
    notes: list[str] = []
    if rules:
        assets = [
            r if isinstance(r, LinterAsset) else find_asset("linter", r, kernel=kernel)
            for r in rules
        ]
    else:
        assets, notes = installed_linters(kernel)
    batch = _Batch(root, paths, base, on_result)
    jobs = jobs or default_jobs()
    report, results, record = batch.report, batch.results, batch.record
    candidates: list[tuple[Path, str, tuple[int, ...]]] = []
    for path, rel, source in batch.sources():
        matching = tuple(i for i, asset in enumerate(assets) if asset.could_match(source))
        if matching:
            candidates.append((path, rel, matching))
        else:
            record(FileResult(rel, "skipped", reason=NO_MATCH))
    cancelled = False
    if candidates:
        from .linters.base import LintRule
        from .work import lint_file

        used = sorted({i for _, _, matching in candidates for i in matching})
        classes = {i: _load(assets[i], LintRule) for i in used}
        tasks = [
            (rel, ([classes[i] for i in matching], os.fspath(path), rel))
            for path, rel, matching in candidates
        ]
        ran, cancelled = run_tasks(
            lint_file, tasks, jobs=jobs, cancel=cancel, on_result=report,
            preload=[_module_of(assets[i]) for i in used], in_process=in_process,
            start_method=start_method,
        )  # fmt: skip
        results.update(ran)
        for _, rel, _ in candidates:
            if rel not in results:
                record(FileResult(rel, "skipped", reason=CANCELLED))
    return Report(
        operation="lint",
        assets=tuple(_ref(a) for a in assets),
        root=batch.root,
        files=tuple(results[rel] for rel in sorted(results)),
        jobs=jobs,
        duration_seconds=time.perf_counter() - started,
        cancelled=cancelled,
        notes=tuple(notes),
    )


async def in_thread(
    work: Callable[[threading.Event], T], record: Callable[[T], object] | None = None
) -> T:
    """Run ``work(cancel)`` in a worker thread from trio (``work`` is e.g. an ``apply_codemod``
    call passing ``cancel=cancel``). On trio cancellation: set ``cancel``, wait for the work to
    stop (the files in progress finish, so none is half-written), hand its partial result to
    ``record``, re-raise. Used by the stage kinds and the evaluation harness."""
    import trio

    cancel, finished = threading.Event(), threading.Event()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = work(cancel)
        except BaseException as exc:
            box["error"] = exc
        finally:
            finished.set()

    try:
        await trio.to_thread.run_sync(target, abandon_on_cancel=True)
    except trio.Cancelled:
        cancel.set()
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(finished.wait)
            if record is not None and "value" in box:
                record(box["value"])
        raise
    if "error" in box:
        raise box["error"]
    return box["value"]
