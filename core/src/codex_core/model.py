"""The run model: attrs classes for everything a run records.

The manifest keeps the field names of the original Node tool (``@kbediako/codex-orchestrator``) so
scripts written against its ``manifest.json`` keep working. Every class has an ``extra`` dict that
holds fields this version does not know: they are read, kept, and written back unchanged, so a
newer writer's additions survive an older reader. Conversion to and from JSON lives in
:mod:`codex_core.serialization`.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

MANIFEST_VERSION = 1

RunStatus = Literal["queued", "in_progress", "succeeded", "failed", "cancelled"]
StageStatus = Literal["pending", "running", "succeeded", "failed", "skipped"]
TERMINAL_RUN_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})

# Reasons written into error artifacts and command records.
REASON_COMMAND_FAILED = "command-failed"
REASON_TIMED_OUT = "timed-out"
REASON_CANCELLED = "cancelled"
REASON_SPAWN_FAILED = "spawn-failed"
REASON_POLICY_DENIED = "policy-denied"
REASON_STAGE_ERROR = "stage-error"
REASON_CHILD_RUN_FAILED = "child-run-failed"

SKIP_NO_COMMAND = "no-command"
SKIP_ALLOWED_FAILURE = "allowed-failure"


@attrs.define
class CommandRecord:
    """One stage of a run, as the manifest's ``commands[]`` shows it."""

    index: int
    id: str
    title: str | None = None
    kind: str = "command"
    command: str | None = None
    status: StageStatus = "pending"
    skip_reason: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    exit_code: int | None = None
    summary: str | None = None
    log_path: str | None = None
    error_file: str | None = None
    sub_run_id: str | None = None
    allow_failure: bool = False
    guardrail: bool = False
    source: str | None = None
    duration_seconds: float | None = None
    attempts: int = 0
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class ResumeEvent:
    """One ``resume`` request: accepted ones land in the manifest, refused ones in events.jsonl."""

    timestamp: str
    actor: str
    reason: str | None = None
    outcome: Literal["accepted", "refused"] = "accepted"
    attempt: int | None = None
    detail: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class Approval:
    """A guardrail override, given with a reason and an approver."""

    actor: str
    approver: str
    reason: str
    timestamp: str
    guardrail: str | None = None
    findings: list[Any] = attrs.field(factory=list)
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class OverrideRequest:
    """An override asked for when the run was started (``start --override NAME``).

    The guardrail it names decides whether it is used: only a guardrail that found something
    turns it into an :class:`Approval`.
    """

    guardrail: str
    reason: str
    approver: str
    actor: str
    timestamp: str
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class GuardrailStatus:
    """The guardrail summary of a run: which guardrail stages ran and how they ended."""

    present: bool = False
    required: bool = False
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    overridden: int = 0
    recommendation: str = ""
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class ChildRun:
    """A run started by one of this run's stages (a sub-pipeline)."""

    run_id: str
    pipeline_id: str
    stage_id: str | None = None
    status: str | None = None
    manifest: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class Manifest:
    """``manifest.json``: the one record of a run, written only by its runner."""

    task_id: str
    run_id: str
    pipeline_id: str
    version: int = MANIFEST_VERSION
    parent_run_id: str | None = None
    pipeline_title: str | None = None
    status: RunStatus = "queued"
    status_detail: str | None = None
    started_at: str | None = None
    updated_at: str | None = None
    completed_at: str | None = None
    heartbeat_at: str | None = None
    heartbeat_interval_seconds: float = 5.0
    heartbeat_stale_after_seconds: float = 30.0
    artifact_root: str | None = None
    log_path: str | None = None
    approval_policy: str | None = None
    attempt: int = 1
    resume_events: list[ResumeEvent] = attrs.field(factory=list)
    approvals: list[Approval] = attrs.field(factory=list)
    overrides: list[OverrideRequest] = attrs.field(factory=list)
    guardrail_status: GuardrailStatus | None = None
    child_runs: list[ChildRun] = attrs.field(factory=list)
    commands: list[CommandRecord] = attrs.field(factory=list)
    summary: str | None = None
    metrics_recorded: bool = False
    extra: dict[str, Any] = attrs.field(factory=dict)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_RUN_STATUSES

    def command(self, stage_id: str) -> CommandRecord:
        for record in self.commands:
            if record.id == stage_id:
                return record
        raise KeyError(stage_id)
