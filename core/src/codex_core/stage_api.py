"""The stage-kind protocol: what a stage plugin (``codex_core.stages``) receives and returns.

A stage kind is an object with ``async def run(self, ctx: StageContext) -> StageOutcome`` and,
optionally, ``validate(self, spec: StageSpec) -> None`` raising :class:`~codex_core.errors.ConfigError`
at plan time for a spec it cannot run; ``validate(self, spec, kernel)`` also gets the kernel
(``kernel.repo``, ``kernel.config``) for checks that depend on the repo's configuration. ``run`` is called on the trio thread: blocking work goes to
``trio.to_thread.run_sync``. The kernel owns everything around it: the stage's timeout (a cancel
scope), cancellation, the manifest record, the log file, the error artifact.

Entry point::

    [project.entry-points."codex_core.stages"]
    shout = "my_pkg.stages:ShoutStage"
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

from .hookspecs import Action, Veto
from .model import Approval, OverrideRequest
from .pipeline import StageSpec


@attrs.frozen
class CommandResult:
    """How a shell command ended. ``reason`` is None for exit 0, else why it failed."""

    exit_code: int | None
    reason: str | None = None
    stderr_tail: str = ""
    stderr_truncated: bool = False
    details: dict[str, Any] = attrs.field(factory=dict)

    @property
    def ok(self) -> bool:
        return self.reason is None


@attrs.frozen
class StageOutcome:
    """What a stage kind returns.

    ``status`` is ``succeeded``, ``failed`` or ``skipped``. A failed outcome should carry a
    ``reason`` (``command-failed``, ``policy-denied``, ...) and may carry ``details`` for the
    error artifact. ``sub_run_id`` names a child run the stage started. ``record`` holds fields
    the kind wants in the stage's manifest record (they must be JSON; kernel fields win).
    """

    status: Literal["succeeded", "failed", "skipped"]
    exit_code: int | None = None
    summary: str | None = None
    skip_reason: str | None = None
    reason: str | None = None
    details: dict[str, Any] = attrs.field(factory=dict)
    sub_run_id: str | None = None
    #: fields added to the stage's record in the manifest (``mcp_tools_sha256``, ``codex_version``, ...)
    record: dict[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_command(cls, result: CommandResult, *, summary: str | None = None) -> StageOutcome:
        if result.ok:
            return cls("succeeded", exit_code=result.exit_code, summary=summary or "exit 0")
        details = dict(result.details)
        details.update(
            exit_code=result.exit_code,
            stderr_tail=result.stderr_tail,
            stderr_truncated=result.stderr_truncated,
        )
        text = summary or (
            f"exit {result.exit_code}" if result.exit_code is not None else result.reason
        )
        return cls(
            "failed",
            exit_code=result.exit_code,
            summary=text,
            reason=result.reason,
            details=details,
        )


@attrs.frozen
class ChildRunResult:
    run_id: str
    status: str
    manifest_path: Path


@attrs.frozen
class StageContext:
    """Everything a stage kind gets.

    ``log`` writes text to the stage's ``commands/NN-<id>.log`` (secrets redacted);
    ``run_command`` runs a shell command the way the ``command`` kind does (guardrail vote first,
    its own process group, output to the log, whole group killed on timeout or cancel);
    ``start_child_run(pipeline, repo=None)`` runs another pipeline as a child run of this one and
    waits for it; ``repo`` runs it in another working tree (a git worktree of the repo), recorded
    in this run's store.
    A guardrail stage that finds problems may accept ``override`` (given with a reason and an
    approver when the run was started) by calling ``record_approval(findings)``.
    """

    spec: StageSpec
    index: int
    run_id: str
    task_id: str
    repo: Path
    run_dir: Path
    config: Any
    env: Mapping[str, str]
    approval_policy: str | None
    log: Callable[[str], None]
    run_command: Callable[..., Awaitable[CommandResult]]
    start_child_run: Callable[..., Awaitable[ChildRunResult]]
    kernel: Any
    #: append an event to the run's ``events.jsonl`` (``ctx.event("codex-item", item=...)``)
    event: Callable[..., None] | None = None
    #: ask every guardrail about an action that is not a shell command (an MCP tool call, a
    #: file write): returns the vetoes (empty allows); vetoes are logged and recorded
    approve: Callable[[Action], list[Veto]] | None = None
    #: the override the run was started with for this stage (``start --override <stage id>``)
    override: OverrideRequest | None = None
    #: record that ``override`` was used against ``findings``: an ``approvals[]`` entry in the
    #: manifest and a line in ``.runs/approvals.jsonl``; returns the Approval
    record_approval: Callable[[list[Any]], Approval] | None = None

    @property
    def cwd(self) -> Path:
        return self.repo / self.spec.cwd if self.spec.cwd else self.repo


@runtime_checkable
class StageKind(Protocol):
    async def run(self, ctx: StageContext) -> StageOutcome: ...
