"""Executing a prepared run: the stage sequence, the heartbeat, the control watcher.

A run is a nursery. The sequence runs each stage that has not yet succeeded inside its own cancel
scope (the stage's timeout is that scope's deadline; cancel and Ctrl-C cancel it); the heartbeat
refreshes ``.heartbeat`` and ``heartbeat_at`` every interval even while a stage runs for minutes;
the control watcher applies pause / unpause / cancel requests. Whatever ends the run, the final
manifest, the ``run-finished`` event and the metrics line are written under a shielded scope.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from pathlib import Path
from typing import Any

import trio

from .. import clock
from ..atomic import append_line
from ..hookspecs import Action, Veto
from ..kernel import Kernel
from ..launch import PreparedRun, prepare_run
from ..model import (
    REASON_CANCELLED,
    REASON_POLICY_DENIED,
    REASON_STAGE_ERROR,
    REASON_TIMED_OUT,
    SKIP_ALLOWED_FAILURE,
    Approval,
    ChildRun,
    CommandRecord,
    GuardrailStatus,
    Manifest,
    OverrideRequest,
)
from ..paths import contained_path
from ..pipeline import StageSpec
from ..serialization import unstructure
from ..stage_api import ChildRunResult, CommandResult, StageContext, StageOutcome
from ..store import RunStore
from .control import RunControl, watch_control_file, watch_signals
from .logsink import LogSink
from .process import run_shell
from .recorder import RunRecorder


async def execute(
    prepared: PreparedRun, *, control: RunControl | None = None, handle_signals: bool = False
) -> Manifest:
    """Run every stage of ``prepared`` that has not succeeded yet; returns the final manifest."""
    runner = _Runner(prepared, control or RunControl())
    try:
        await runner.run(handle_signals)
    finally:
        try:
            runner.recorder.close()  # no manifest write may land once the lock is released
        finally:
            prepared.lock.release()
    return prepared.manifest


RUNNING_WRITE_DELAY = 0.05


class _Runner:
    def __init__(self, prepared: PreparedRun, control: RunControl) -> None:
        self.prepared = prepared
        self.kernel = prepared.kernel
        self.paths = prepared.paths
        self.manifest = prepared.manifest
        self.control = control
        self.redactor = self.kernel.redactor()
        self.recorder = RunRecorder(self.paths, self.manifest, self.redactor)
        self.failed_stage: CommandRecord | None = None
        self._stage_env: dict[str, str] | None = None

    async def run(self, handle_signals: bool) -> None:
        m = self.manifest
        self.paths.control.unlink(missing_ok=True)  # an old request must not hit a new attempt
        started = time.monotonic()
        m.status, m.status_detail, m.completed_at = "in_progress", None, None
        m.started_at = m.started_at if m.attempt > 1 else clock.now()
        for record in m.commands:
            if record.status != "succeeded":
                _reset(record)
        m.extra["runner_pid"] = os.getpid()
        m.guardrail_status = guardrail_status(m, self.prepared.pipeline.require_guardrails)
        self.recorder.beat()
        self.recorder.event("run-started", attempt=m.attempt, pipeline_id=m.pipeline_id)
        self.recorder.log(f"run {m.run_id} attempt {m.attempt} started: pipeline {m.pipeline_id}")
        self.kernel.run_started(m, self.paths.dir)
        error: BaseException | None = None
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                nursery.start_soon(self._heartbeat)
                nursery.start_soon(watch_control_file, self.paths, self.control, self.recorder)
                if handle_signals:
                    nursery.start_soon(watch_signals, self.control, self.recorder)
                try:
                    await self._sequence()
                finally:
                    nursery.cancel_scope.cancel()
        except BaseException as exc:
            error = exc
            raise
        finally:
            with trio.CancelScope(shield=True):
                self._finish(time.monotonic() - started, error)

    async def _show_running(self, scope: trio.CancelScope) -> None:
        """Write the manifest with the stage ``running`` once it has run for a moment.

        A stage that ends sooner is written once, when it ends: half the manifest writes for a
        pipeline of quick stages, and a watcher still sees every stage that lasts. A runner killed
        meanwhile leaves the stage ``pending``, which a resume runs, as it would a running one.
        """
        with scope:
            await trio.sleep(RUNNING_WRITE_DELAY)
            self.recorder.save()

    async def _heartbeat(self) -> None:
        while True:
            await trio.sleep(self.manifest.heartbeat_interval_seconds)
            self.recorder.beat()

    async def _sequence(self) -> None:
        for spec, record in zip(self.prepared.pipeline.stages, self.manifest.commands, strict=True):
            if record.status == "succeeded":
                continue
            if self.control.paused:
                self.recorder.log(f"paused before stage {spec.id}")
                await self.control.wait_unpaused()
            if self.control.cancel_reason is not None:
                return
            if not await self._stage(spec, record):
                self.failed_stage = record
                return

    async def _stage(self, spec: StageSpec, record: CommandRecord) -> bool:
        m = self.manifest
        log_file = self.paths.commands_dir / f"{record.index:02d}-{spec.id}.log"
        record.status, record.started_at = "running", clock.now()
        record.attempts += 1
        record.log_path = self.paths.rel(log_file)
        sink = LogSink(log_file, self.redactor)
        if record.attempts > 1:
            sink.text(f"--- attempt {record.attempts} ({clock.now()}) ---\n")
        self.recorder.event("stage-started", stage_id=spec.id, index=record.index, kind=spec.kind)
        self.kernel.stage_started(m, record)
        ctx = self._context(spec, record, sink)
        kind = self.kernel.stage_kind(spec.kind)
        scope = trio.CancelScope()
        if spec.timeout:
            scope.deadline = trio.current_time() + spec.timeout
        self.control.stage_scope = scope
        began = time.monotonic()
        outcome: StageOutcome | None = None
        try:
            with scope:
                show_running = trio.CancelScope()
                self._nursery.start_soon(self._show_running, show_running)
                try:
                    outcome = await kind.run(ctx)
                except Exception as exc:  # a broken stage kind fails its stage, not the runner
                    outcome = StageOutcome(
                        "failed",
                        summary=f"{type(exc).__name__}: {exc}",
                        reason=REASON_STAGE_ERROR,
                        details={"traceback": traceback.format_exc()},
                    )
        finally:
            show_running.cancel()
            self.control.stage_scope = None
            if outcome is None:
                if self.control.cancel_reason is not None or not scope.cancelled_caught:
                    outcome = StageOutcome(
                        "failed",
                        summary=self.control.cancel_reason or "cancelled",
                        reason=REASON_CANCELLED,
                    )
                else:
                    outcome = StageOutcome(
                        "failed",
                        summary=f"timed out after {spec.timeout:g}s",
                        reason=REASON_TIMED_OUT,
                        details={"timeout_seconds": spec.timeout},
                    )
            with trio.CancelScope(shield=True):
                self._record_outcome(spec, record, outcome, time.monotonic() - began)
                sink.close()
        return record.status != "failed"

    def _record_outcome(
        self, spec: StageSpec, record: CommandRecord, outcome: StageOutcome, seconds: float
    ) -> None:
        status, skip_reason = outcome.status, outcome.skip_reason
        if status == "failed":
            details = {
                "exit_code": outcome.exit_code,
                "summary": outcome.summary,
                **outcome.details,
            }
            record.error_file = self.recorder.write_error(
                record.index, spec.id, record.command, outcome.reason or REASON_STAGE_ERROR, details
            )
            if spec.allow_failure and outcome.reason != REASON_CANCELLED:
                status, skip_reason = "skipped", SKIP_ALLOWED_FAILURE
        record.status = status
        record.skip_reason = skip_reason
        record.exit_code = outcome.exit_code
        record.summary = (
            self.redactor.redact(outcome.summary) if outcome.summary else outcome.summary
        )
        record.sub_run_id = outcome.sub_run_id or record.sub_run_id
        record.completed_at = clock.now()
        record.duration_seconds = round(seconds, 3)
        for key, value in outcome.record.items():
            if not hasattr(record, key):  # a kind may add fields, never overwrite the kernel's
                record.extra[key] = value
        if outcome.reason and status != "succeeded":
            record.extra["reason"] = outcome.reason
        self.recorder.save()
        self.recorder.event(
            "stage-finished", stage_id=spec.id, index=record.index, status=status,
            exit_code=outcome.exit_code, reason=outcome.reason, skip_reason=skip_reason,
        )  # fmt: skip
        self.recorder.log(
            f"stage {record.index:02d} {spec.id}: {status}"
            + (f" ({record.summary})" if record.summary else "")
        )
        self.kernel.stage_finished(self.manifest, record)

    def _base_environment(self) -> dict[str, str]:
        """:func:`stage_environment`, built once per run: every stage starts from the same one."""
        if self._stage_env is None:
            self._stage_env = stage_environment(self.kernel.repo)
        return self._stage_env

    def _context(self, spec: StageSpec, record: CommandRecord, sink: LogSink) -> StageContext:
        m = self.manifest
        env = {
            **self._base_environment(),
            "CODEX_CORE_RUN_ID": m.run_id,
            "CODEX_CORE_TASK": m.task_id,
            "CODEX_CORE_RUN_DIR": os.fspath(self.paths.dir),
            **spec.env,
        }
        cwd = contained_path(self.kernel.repo, spec.cwd or ".")

        def approve(action: Action) -> list[Veto]:
            """Every guardrail votes; vetoes are logged, recorded as an event and on the record."""
            vetoes = self.kernel.vote(action)
            if vetoes:
                found = [
                    {"reason": v.reason, "rule": v.rule, "guardrail": v.guardrail} for v in vetoes
                ]
                self.recorder.event(
                    "guardrail-veto",
                    stage_id=spec.id,
                    action=action.kind,
                    command=action.command,
                    vetoes=found,
                )
                sink.text("".join(f"denied by {v.guardrail}: {v.reason}\n" for v in vetoes))
                record.extra.setdefault("vetoes", []).extend(found)
            return vetoes

        async def run_command(
            command: str, *, cwd: Path = cwd, env: dict[str, str] = env
        ) -> CommandResult:
            action = Action(
                kind="command",
                repo=self.kernel.repo,
                run_id=m.run_id,
                stage_id=spec.id,
                command=command,
                cwd=cwd,
            )
            vetoes = approve(action)
            if vetoes:
                found = [
                    {"reason": v.reason, "rule": v.rule, "guardrail": v.guardrail} for v in vetoes
                ]
                return CommandResult(
                    exit_code=None, reason=REASON_POLICY_DENIED, details={"vetoes": found}
                )
            sink.text(f"$ {command}\n")
            return await run_shell(command, cwd=cwd, env=env, write=sink.write)

        async def start_child_run(pipeline_id: str, repo: Path | None = None) -> ChildRunResult:
            return await self._child_run(spec, record, pipeline_id, repo)

        override = next((o for o in m.overrides if o.guardrail == spec.id), None)

        def record_approval(findings: list[Any]) -> Approval:
            if override is None:
                raise RuntimeError(f"stage {spec.id!r} was given no override to approve")
            return self._approve(override, findings)

        return StageContext(
            spec=spec, index=record.index, run_id=m.run_id, task_id=m.task_id, repo=self.kernel.repo,
            run_dir=self.paths.dir, config=self.kernel.config, env=env, approval_policy=m.approval_policy,
            log=sink.text, run_command=run_command, start_child_run=start_child_run, kernel=self.kernel,
            override=override, record_approval=record_approval, approve=approve,
            event=lambda name, /, **fields: self.recorder.event(name, **{**fields, "stage_id": spec.id}),
        )  # fmt: skip

    def _approve(self, override: OverrideRequest, findings: list[Any]) -> Approval:
        """Turn an override into an approval: in the manifest and in ``.runs/approvals.jsonl``."""
        approval = Approval(
            actor=override.actor, approver=override.approver, reason=override.reason,
            timestamp=clock.now(), guardrail=override.guardrail, findings=list(findings),
        )  # fmt: skip
        self.manifest.approvals.append(approval)
        line = {
            "run_id": self.manifest.run_id,
            "task_id": self.manifest.task_id,
            **unstructure(approval),
        }
        append_line(
            RunStore(self.kernel.store_root).approvals_path(),
            self.redactor.redact(json.dumps(line)),
            durable=True,
        )
        self.recorder.event(
            "approval-recorded",
            guardrail=override.guardrail,
            approver=override.approver,
            reason=override.reason,
        )
        self.recorder.save()
        return approval

    async def _child_run(
        self, spec: StageSpec, record: CommandRecord, pipeline_id: str, repo: Path | None = None
    ) -> ChildRunResult:
        m = self.manifest
        kernel = self.kernel
        if repo is not None and Path(repo).resolve() != self.kernel.repo:
            # Another working tree (a git worktree): its own config and adapters, our run store.
            kernel = Kernel.for_repo(Path(repo).resolve(), store_root=self.kernel.store_root)
        child = prepare_run(
            kernel,
            pipeline_id,
            task_id=m.task_id,
            parent_run_id=m.run_id,
            approval_policy=m.approval_policy,
        )
        entry = ChildRun(
            run_id=child.paths.run_id, pipeline_id=pipeline_id, stage_id=spec.id, status="queued",
            manifest=child.paths.rel(child.paths.manifest),
        )  # fmt: skip
        m.child_runs.append(entry)
        record.sub_run_id = child.paths.run_id
        self.recorder.event(
            "child-run-started",
            stage_id=spec.id,
            child_run_id=child.paths.run_id,
            pipeline_id=pipeline_id,
        )
        self.recorder.save()
        child_control = RunControl()
        self.control.children.append(child_control)
        try:
            await execute(child, control=child_control)
        finally:
            self.control.children.remove(child_control)
            entry.status = child.manifest.status
            with trio.CancelScope(shield=True):
                self.recorder.save()
        return ChildRunResult(child.paths.run_id, child.manifest.status, child.paths.manifest)

    def _finish(self, seconds: float, error: BaseException | None) -> None:
        m = self.manifest
        if self.control.cancel_reason is not None:
            m.status, m.status_detail = "cancelled", self.control.cancel_reason
        elif self.failed_stage is not None:
            reason = self.failed_stage.extra.get("reason", "failed")
            m.status, m.status_detail = "failed", f"stage {self.failed_stage.id} failed ({reason})"
        elif error is not None:
            cancelled = isinstance(error, trio.Cancelled) or (
                isinstance(error, BaseExceptionGroup) and error.subgroup(trio.Cancelled) is not None
            )
            m.status = "cancelled" if cancelled else "failed"
            m.status_detail = (
                "cancelled" if cancelled else f"internal error: {type(error).__name__}: {error}"
            )
        else:
            m.status, m.status_detail = "succeeded", None
        m.completed_at = clock.now()
        m.guardrail_status = guardrail_status(m, self.prepared.pipeline.require_guardrails)
        m.summary = _summary(m)
        try:
            self.recorder.record_metrics(seconds)
        except OSError as exc:
            self.recorder.log(f"could not record metrics: {exc}")
        self.recorder.beat(final=True)
        self.recorder.event(
            "run-finished", status=m.status, status_detail=m.status_detail, attempt=m.attempt
        )
        self.recorder.log(f"run {m.run_id} {m.status}: {m.summary}")
        self.recorder.close()
        self.kernel.run_finished(m, self.paths.dir)


def stage_environment(repo: Path) -> dict[str, str]:
    """The environment stages start from: the user's, without codex-core's own virtualenv.

    Run through ``uv run`` (or any activated venv holding codex-core), the runner's PATH starts
    with codex-core's venv and VIRTUAL_ENV names it; a repo's ``python3 -m pytest`` would then
    test the repo with codex-core's interpreter and packages. That venv is removed unless it is
    the repo's own (inside the repo), where it is exactly what the stages should use.
    """
    import sys

    env = dict(os.environ)
    prefix = Path(sys.prefix)
    if sys.prefix == sys.base_prefix or prefix.is_relative_to(repo):
        return env
    if env.get("VIRTUAL_ENV") and Path(env["VIRTUAL_ENV"]) == prefix:
        del env["VIRTUAL_ENV"]
    own_bin = os.fspath(prefix / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != own_bin)
    return env


def _reset(record: CommandRecord) -> None:
    record.status = "pending"
    for name in (
        "skip_reason",
        "completed_at",
        "exit_code",
        "summary",
        "error_file",
        "duration_seconds",
    ):
        setattr(record, name, None)
    record.extra.clear()  # what the last attempt's kind recorded is not this attempt's


def guardrail_status(m: Manifest, required: bool) -> GuardrailStatus:
    """Which guardrail stages the run has, how they ended, and what to do about it."""
    guards = [c for c in m.commands if c.guardrail]
    status = GuardrailStatus(
        present=bool(guards), required=required, total=len(guards),
        succeeded=sum(c.status == "succeeded" for c in guards), failed=sum(c.status == "failed" for c in guards),
        skipped=sum(c.status == "skipped" for c in guards), overridden=len(m.approvals),
    )  # fmt: skip
    if not guards:
        status.recommendation = (
            "no guardrail ran, and this pipeline should have guardrails: install codex-core-guardrails "
            "or add a stage with guardrail = true" if required else "no guardrails in this pipeline"
        )  # fmt: skip
    elif status.failed:
        status.recommendation = (
            f"blocked: {status.failed} guardrail(s) failed; fix the findings, or override with "
            "--override NAME --reason TEXT --approver NAME"
        )
    elif status.succeeded + status.skipped < status.total:
        status.recommendation = "not every guardrail has run yet"
    elif status.overridden:
        status.recommendation = f"passed with {status.overridden} approved override(s)"
    else:
        status.recommendation = "guardrails passed"
    return status


def _guardrail_line(g: GuardrailStatus) -> str:
    if not g.present:
        return "Guardrails: none" + (
            " (this pipeline should have guardrails)" if g.required else ""
        )
    counts = (
        ("succeeded", g.succeeded),
        ("failed", g.failed),
        ("skipped", g.skipped),
        ("overridden", g.overridden),
    )
    named = ", ".join(f"{n} {name}" for name, n in counts if n) or "none run yet"
    return f"Guardrails: {g.total} present ({named}): {g.recommendation}"


def _summary(m: Manifest) -> str:
    counts: dict[str, Any] = {}
    for record in m.commands:
        counts[record.status] = counts.get(record.status, 0) + 1
    parts = [
        f"{counts[s]} {s}"
        for s in ("succeeded", "failed", "skipped", "pending", "running")
        if counts.get(s)
    ]
    head = {"succeeded": "Succeeded", "failed": "Failed", "cancelled": "Cancelled"}.get(
        m.status, m.status
    )
    detail = f" ({m.status_detail})" if m.status_detail else ""
    line = f"{head}{detail}: " + ", ".join(parts or ["no stages"])
    return f"{line}\n{_guardrail_line(m.guardrail_status)}" if m.guardrail_status else line
