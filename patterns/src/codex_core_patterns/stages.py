"""The ``codemod`` and ``lint`` stage kinds: the learning library inside a pipeline run.

In ``codex-core.toml``::

    [pipelines.modernise]
    stages = [
      { id = "super", kind = "codemod", codemod = "super-call", paths = ["src"] },
      { id = "bus", kind = "codemod", codemod = "event-emit", options = { receivers = ["bus"] } },
      { id = "prints", kind = "lint", rules = ["print-logger"], allow_failure = true },
    ]

``codemod`` stage keys: ``codemod`` (required: an installed id or ``module:Class``), ``paths``
(relative to the stage's ``cwd``, default all of it), ``jobs``, ``dry_run``, ``options``.
``lint`` stage keys: ``rules`` (default: every installed rule), ``paths``, ``jobs``.

What lands in the run: a line per applied or failed file (and, for lint, per finding) in the
stage log; the counts in the stage summary; the whole report as JSON in
``codemods/<stage id>.json`` (with each change's diff; all diffs also in
``codemods/<stage id>.patch``, ready for ``git apply -R`` as a rollback) or ``lint/<stage id>.json``
and ``lint/<stage id>.sarif``. A file that failed fails the stage (reason ``codemod-failed`` or
``lint-failed``), with the failed files in the error artifact; lint findings fail it with reason
``lint-findings`` (``allow_failure = true`` records them and goes on).

Before a codemod writes anything, the guardrails vote on an action of kind ``codemod`` (the
paths, the codemod and its version in ``details``); a veto fails the stage (``policy-denied``).
The work runs in a worker thread; cancelling the stage (timeout, ``cancel``) stops submitting
files and waits for the files in progress, so none is left half-written, and what was done up to
then is still written to the result file (``"cancelled": true``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from codex_core.errors import ConfigError, UsageError
from codex_core.pipeline import StageSpec
from codex_core.stage_api import StageContext, StageOutcome

__all__ = ["CodemodStage", "LintStage"]

REASON_CODEMOD_FAILED = "codemod-failed"
REASON_LINT_FAILED = "lint-failed"
REASON_LINT_FINDINGS = "lint-findings"
REASON_BAD_INPUT = "bad-input"
REASON_POLICY_DENIED = "policy-denied"
#: at most this many failed files or findings are copied into the error artifact
DETAIL_LIMIT = 50


def _check_options(spec: StageSpec, allowed: dict[str, Any]) -> None:
    unknown = set(spec.options) - set(allowed)
    if unknown:
        raise ConfigError(
            f"stage {spec.id!r}: unknown key(s) for a {spec.kind} stage: {', '.join(sorted(unknown))}"
        )
    for key, check in allowed.items():
        if key in spec.options and not check(spec.options[key]):
            raise ConfigError(f"stage {spec.id!r}: {key!r} {check.__doc__}")


def _str_list(value: Any) -> bool:
    """must be a list of strings"""
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _positive_int(value: Any) -> bool:
    """must be a positive integer"""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _boolean(value: Any) -> bool:
    """must be true or false"""
    return isinstance(value, bool)


def _table(value: Any) -> bool:
    """must be a table"""
    return isinstance(value, dict)


def _name(value: Any) -> bool:
    """must be a codemod name (a string)"""
    return isinstance(value, str) and bool(value)


def _require_installed(spec: StageSpec, namespace: str, names: list[str], what: str) -> None:
    from codex_core.discovery import installed

    known = {i.name for i in installed([namespace])}
    for name in names:
        if ":" not in name and name not in known:
            raise ConfigError(
                f"stage {spec.id!r}: no {what} named {name!r} is installed"
                f" (installed: {', '.join(sorted(known)) or 'none'})"
            )


def _relative(ctx: StageContext, path: Path) -> str:
    try:
        return path.relative_to(ctx.repo).as_posix()
    except ValueError:
        return str(path)


def _write_json(path: Path, data: Any) -> None:
    from codex_core.atomic import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(data, indent=2, default=str) + "\n")


class CodemodStage:
    """``kind = "codemod"``: apply one codemod to the repo's files."""

    OPTIONS: ClassVar[dict[str, Callable[[Any], bool]]] = {
        "codemod": _name,
        "paths": _str_list,
        "jobs": _positive_int,
        "dry_run": _boolean,
        "options": _table,
    }

    def validate(self, spec: StageSpec) -> None:
        _check_options(spec, self.OPTIONS)
        if "codemod" not in spec.options:
            raise ConfigError(
                f"stage {spec.id!r}: a codemod stage needs 'codemod' (a codemod name)"
            )
        name = spec.options["codemod"]
        _require_installed(spec, "codex_core.codemods", [name], "codemod")
        if ":" not in name:  # a descriptor is light to load: check the options now, not mid-run
            from .assets import find_asset
            from .runner import coerce_options

            try:
                coerce_options(find_asset("codemod", name), spec.options.get("options", {}))
            except UsageError as exc:
                raise ConfigError(f"stage {spec.id!r}: {exc}") from None

    async def run(self, ctx: StageContext) -> StageOutcome:
        from codex_core.hookspecs import Action

        from .assets import find_asset
        from .runner import apply_codemod, in_thread

        opts = ctx.spec.options
        dry_run = bool(opts.get("dry_run", False))
        paths = opts.get("paths") or ["."]
        try:
            asset = find_asset("codemod", opts["codemod"], kernel=ctx.kernel)
        except UsageError as exc:
            return StageOutcome("failed", summary=str(exc), reason=REASON_BAD_INPUT)
        if not dry_run:
            vetoes = ctx.kernel.vote(
                Action(
                    kind="codemod", repo=ctx.repo, run_id=ctx.run_id, stage_id=ctx.spec.id,
                    cwd=ctx.cwd, paths=tuple(os.path.normpath(os.path.join(ctx.spec.cwd or "", p)) for p in paths),
                    details={"codemod": asset.id, "version": asset.version, "options": opts.get("options", {})},
                )
            )  # fmt: skip
            if vetoes:
                ctx.log("".join(f"vetoed by {v.guardrail}: {v.reason}\n" for v in vetoes))
                return StageOutcome(
                    "failed", summary=f"codemod {asset.id} vetoed: {vetoes[0].reason}",
                    reason=REASON_POLICY_DENIED,
                    details={"vetoes": [{"reason": v.reason, "rule": v.rule, "guardrail": v.guardrail} for v in vetoes]},
                )  # fmt: skip
        ctx.log(
            f"codemod {asset.id} {asset.version} on {', '.join(paths)}{' (dry run)' if dry_run else ''}\n"
        )
        try:
            report = await in_thread(
                lambda cancel: apply_codemod(
                    ctx.repo, asset, paths, base=ctx.cwd, jobs=opts.get("jobs"), dry_run=dry_run,
                    diff=True, options=opts.get("options", {}), cancel=cancel,
                    start_method="forkserver",
                ),
                record=lambda partial: self._record(ctx, partial),
            )  # fmt: skip
        except UsageError as exc:
            ctx.log(f"error: {exc}\n")
            return StageOutcome("failed", summary=str(exc), reason=REASON_BAD_INPUT)
        result_file, summary = self._record(ctx, report)
        if report.failed:
            return StageOutcome(
                "failed", summary=summary, reason=REASON_CODEMOD_FAILED,
                details={
                    "codemod": asset.id, "version": asset.version, "result_file": _relative(ctx, result_file),
                    "counts": report.counts,
                    "failed": [{"path": f.path, "reason": f.reason, "error": f.error} for f in report.failed[:DETAIL_LIMIT]],
                },
            )  # fmt: skip
        return StageOutcome("succeeded", summary=summary)

    @staticmethod
    def _record(ctx: StageContext, report: Any) -> tuple[Path, str]:
        """The report into the run: result file, patch, log lines; returns (file, summary)."""
        out_dir = ctx.run_dir / "codemods"
        result_file = out_dir / f"{ctx.spec.id}.json"
        _write_json(result_file, {"stage": ctx.spec.id, **report.to_json()})
        patch = "".join(f.diff for f in report.files if f.diff)
        if patch:
            from codex_core.atomic import write_atomic

            write_atomic(out_dir / f"{ctx.spec.id}.patch", patch)
        for f in report.files:
            if f.status in ("applied", "failed"):
                detail = f": {f.error}" if f.error else ""
                ctx.log(f"{f.status:<10} {f.path}{detail}\n")
        if report.dry_run and patch:
            ctx.log(patch)
        summary = f"{report.summary()} ({_relative(ctx, result_file)})"
        ctx.log(summary + "\n")
        return result_file, summary


class LintStage:
    """``kind = "lint"``: run lint rules on the repo's files."""

    OPTIONS: ClassVar[dict[str, Callable[[Any], bool]]] = {
        "rules": _str_list,
        "paths": _str_list,
        "jobs": _positive_int,
    }

    def validate(self, spec: StageSpec) -> None:
        _check_options(spec, self.OPTIONS)
        _require_installed(spec, "codex_core.linters", spec.options.get("rules", []), "lint rule")

    async def run(self, ctx: StageContext) -> StageOutcome:
        from importlib.metadata import version

        from .runner import in_thread, lint
        from .sarif import to_sarif

        opts = ctx.spec.options
        paths = opts.get("paths") or ["."]
        try:
            report = await in_thread(
                lambda cancel: lint(
                    ctx.repo, opts.get("rules") or None, paths, base=ctx.cwd, jobs=opts.get("jobs"),
                    kernel=ctx.kernel, cancel=cancel, start_method="forkserver",
                )
            )  # fmt: skip
        except UsageError as exc:
            ctx.log(f"error: {exc}\n")
            return StageOutcome("failed", summary=str(exc), reason=REASON_BAD_INPUT)
        out_dir = ctx.run_dir / "lint"
        result_file = out_dir / f"{ctx.spec.id}.json"
        _write_json(result_file, {"stage": ctx.spec.id, **report.to_json()})
        _write_json(
            out_dir / f"{ctx.spec.id}.sarif",
            to_sarif(report, tool_version=version("codex-core-patterns")),
        )
        for finding in report.findings:
            ctx.log(
                f"{finding.path}:{finding.line}:{finding.column}: {finding.rule} {finding.message}\n"
            )
        for f in report.failed:
            ctx.log(f"failed     {f.path}: {f.error}\n")
        for note in report.notes:
            ctx.log(note + "\n")
        summary = f"{report.summary()} ({_relative(ctx, result_file)})"
        ctx.log(summary + "\n")
        details = {
            "rules": [a["id"] for a in report.assets], "result_file": _relative(ctx, result_file),
            "counts": report.counts, "findings": len(report.findings),
        }  # fmt: skip
        if report.failed:
            details["failed"] = [
                {"path": f.path, "reason": f.reason, "error": f.error}
                for f in report.failed[:DETAIL_LIMIT]
            ]
            return StageOutcome(
                "failed", summary=summary, reason=REASON_LINT_FAILED, details=details
            )
        if report.findings:
            details["first_findings"] = [f.to_json() for f in report.findings[:DETAIL_LIMIT]]
            return StageOutcome(
                "failed", summary=summary, reason=REASON_LINT_FINDINGS, details=details
            )
        return StageOutcome("succeeded", summary=summary)
