"""Preparing a run before the engine takes over: new runs and resumed ones (no trio here).

A new run gets its directory, resume token, index pointer and compatibility stub, a snapshot of
its pipeline (``pipeline.json``, so a resume runs what the run was started with even if the config
changed since), the runner lock, and its ``queued`` manifest: all before any stage starts.
A resume checks the token, the run's status and the runner lock, in that order, and records the
refusal in ``events.jsonl`` when it says no.
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Sequence
from pathlib import Path

import attrs

from . import clock, planning
from .atomic import AtomicBatch, write_atomic
from .errors import ManifestError, ResumeRefusedError, RunnerBusyError, UsageError
from .kernel import Kernel
from .model import CommandRecord, Manifest, OverrideRequest, ResumeEvent
from .pipeline import Pipeline
from .runlock import RunnerLock
from .serialization import manifest_to_json, read_manifest, unstructure
from .store import RunPaths, RunStore

PIPELINE_SNAPSHOT = "pipeline.json"
DEFAULT_TASK = "default"


@attrs.define
class PreparedRun:
    kernel: Kernel
    paths: RunPaths
    manifest: Manifest
    pipeline: Pipeline
    lock: RunnerLock


def heartbeat_settings() -> tuple[float, float]:
    """Interval and staleness threshold, overridable for tests through the environment."""
    interval = float(os.environ.get("CODEX_CORE_HEARTBEAT_INTERVAL", "5"))
    stale = float(os.environ.get("CODEX_CORE_HEARTBEAT_STALE_AFTER", "30"))
    return min(max(interval, 0.05), 5.0), max(stale, interval)


def task_from(option: str | None) -> str:
    return option or os.environ.get("CODEX_CORE_TASK") or DEFAULT_TASK


def prepare_run(
    kernel: Kernel,
    pipeline_id: str,
    *,
    task_id: str,
    parent_run_id: str | None = None,
    approval_policy: str | None = None,
    pipeline: Pipeline | None = None,
    overrides: Sequence[OverrideRequest] = (),
) -> PreparedRun:
    if pipeline is None:
        pipeline = planning.resolve(kernel, pipeline_id)
    else:  # a pipeline built in code gets the same checks as a configured one
        planning.check(kernel, pipeline, chain=(pipeline.id,))
    guardrails = {s.id for s in pipeline.stages if s.guardrail}
    for override in overrides:
        if override.guardrail not in guardrails:
            known = ", ".join(sorted(guardrails)) or "none"
            raise UsageError(
                f"--override {override.guardrail}: pipeline {pipeline.id!r} has no such guardrail stage (guardrails: {known})"
            )
        if not override.reason.strip() or not override.approver.strip():
            raise UsageError(f"--override {override.guardrail} needs both --reason and --approver")
    store = RunStore(kernel.store_root)
    # The run's first files (token, stub, pipeline snapshot, queued manifest) are fsynced together
    # and appear only once all are durable: a queued manifest always has its token and snapshot.
    batch = AtomicBatch()
    try:
        paths = store.create(task_id, batch)
        lock = RunnerLock.acquire(paths.dir)
    except BaseException:
        batch.abort()
        raise
    try:
        manifest = _queue(
            kernel, paths, pipeline, batch, task_id, parent_run_id, approval_policy, overrides
        )
        batch.commit(sync_first=[store.index_dir()])
    except BaseException:
        batch.abort()
        lock.release()
        raise
    from .engine.recorder import append_event

    append_event(
        paths, "run-queued", pipeline_id=pipeline.id, task_id=task_id, parent_run_id=parent_run_id
    )
    return PreparedRun(kernel, paths, manifest, pipeline, lock)


def _queue(
    kernel: Kernel, paths: RunPaths, pipeline: Pipeline, batch: AtomicBatch, task_id: str,
    parent_run_id: str | None, approval_policy: str | None, overrides: Sequence[OverrideRequest],
) -> Manifest:  # fmt: skip
    """Add the pipeline snapshot and the queued manifest to ``batch``; returns the manifest."""
    # The snapshot keeps commands unredacted (a resume must run them): private, like the token.
    snapshot = json.dumps(unstructure(pipeline), indent=2) + "\n"
    # The queued manifest's directory fsync makes this entry durable too.
    batch.add(paths.dir / PIPELINE_SNAPSHOT, snapshot, mode=0o600, sync_directory=False)
    interval, stale = heartbeat_settings()
    now = clock.now()
    manifest = Manifest(
        task_id=task_id,
        run_id=paths.run_id,
        pipeline_id=pipeline.id,
        pipeline_title=pipeline.title,
        parent_run_id=parent_run_id,
        status="queued",
        started_at=now,
        updated_at=now,
        heartbeat_interval_seconds=interval,
        heartbeat_stale_after_seconds=stale,
        artifact_root=paths.rel(paths.dir),
        log_path=paths.rel(paths.runner_log),
        approval_policy=approval_policy,
        overrides=list(overrides),
        commands=[
            CommandRecord(
                index=i,
                id=s.id,
                title=s.display_title,
                kind=s.kind,
                command=s.command if s.kind == "command" else (s.command or s.pipeline),
                allow_failure=s.allow_failure,
                guardrail=s.guardrail,
                source=s.source,
            )
            for i, s in enumerate(pipeline.stages, start=1)
        ],
    )
    manifest.extra["pipeline_source"] = pipeline.source
    if kernel.repo != kernel.store_root:  # a run in another working tree (a git worktree)
        manifest.extra["workdir"] = str(kernel.repo)
    batch.add(paths.manifest, kernel.redactor().redact(manifest_to_json(manifest)))
    return manifest


def load_pipeline_snapshot(paths: RunPaths) -> Pipeline:
    source = paths.dir / PIPELINE_SNAPSHOT
    try:
        from .serialization import converter

        data = json.loads(source.read_text())
        return converter.structure(data, Pipeline)
    except FileNotFoundError:
        raise ManifestError(
            f"{source}: missing; the run never started and cannot be resumed"
        ) from None
    except Exception as exc:
        raise ManifestError(f"{source}: unreadable ({exc})") from None


def prepare_resume(
    kernel: Kernel, ref: str, *, token: str, actor: str, reason: str | None
) -> PreparedRun:
    from .engine.recorder import append_event

    paths = RunStore(kernel.store_root).locate(ref)

    def refuse(why: str, error: type[Exception] = ResumeRefusedError) -> None:
        append_event(paths, "resume-refused", actor=actor, reason=reason, detail=why)
        raise error(f"resume of {paths.run_id} refused: {why}")

    if not paths.manifest.exists():
        refuse("the run was never started (no manifest); start a new run")
    try:
        expected = paths.read_token()
    except FileNotFoundError:
        expected = ""
    if not expected or not hmac.compare_digest(expected.encode(), token.strip().encode()):
        refuse("wrong resume token")
    manifest = read_manifest(paths.manifest)
    workdir = manifest.extra.get("workdir")
    if isinstance(workdir, str) and Path(workdir) != kernel.repo:
        if not Path(workdir).is_dir():
            refuse(f"its working tree {workdir} no longer exists")
        kernel = Kernel.for_repo(Path(workdir), store_root=kernel.store_root)
    if manifest.status == "succeeded":
        refuse("the run already succeeded")
    try:
        lock = RunnerLock.acquire(paths.dir)
    except RunnerBusyError:
        refuse("its runner is still alive")
        raise
    pipeline = load_pipeline_snapshot(paths)
    manifest.attempt += 1
    manifest.metrics_recorded = False
    manifest.resume_events.append(
        ResumeEvent(
            timestamp=clock.now(),
            actor=actor,
            reason=reason,
            outcome="accepted",
            attempt=manifest.attempt,
        )
    )
    # We hold the lock: we are the runner now, the one writer of the manifest.
    write_atomic(paths.manifest, kernel.redactor().redact(manifest_to_json(manifest)))
    append_event(paths, "resume-accepted", actor=actor, reason=reason, attempt=manifest.attempt)
    return PreparedRun(kernel, paths, manifest, pipeline, lock)
