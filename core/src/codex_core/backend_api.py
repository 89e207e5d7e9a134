"""The agent-backend protocol: what a backend plugin (``codex_core.backends``) provides.

A backend drives a coding agent (the Codex CLI, an OpenAI Agents SDK agent, ...) through turns:
one prompt in, the agent works in the repository, one :class:`TurnResult` out that says what it
ran, what it changed, what it said and what it cost. Backends never decide success from the
agent's prose: a turn whose commands failed is a failed turn, whatever the reply claims.

Entry point::

    [project.entry-points."codex_core.backends"]
    codex = "codex_core_codex:CodexBackend"

Protocol::

    class MyBackend:
        name = "mine"
        def session(self, ctx: BackendContext) -> AsyncContextManager[BackendSession]: ...

    class MySession:
        async def turn(self, request: TurnRequest) -> TurnResult: ...

A backend may also run the kernel's ``command`` stages (``{ command = "pytest -q", backend =
"codex" }``): one turn per command, the stage's outcome taken from the agent's own record of the
command. It then implements :class:`CommandStageBackend` as well::

    class MyBackend:
        def validate_command_stage(self, spec: StageSpec, kernel: Kernel) -> None: ...  # optional
        async def run_command_stage(self, ctx: StageContext) -> StageOutcome: ...

Everything an agent wants to do that a guardrail should see (a command it asks approval for, a
file it wants to write) goes through ``await ctx.approve(action)``, which asks the kernel's
guardrail vote and returns the vetoes (an empty list allows). Agent events go to the run's
``events.jsonl`` through ``ctx.event(...)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import attrs

from .hookspecs import Action, Veto

if TYPE_CHECKING:
    from .stage_api import StageContext, StageOutcome

SANDBOX_MODES = ("read-only", "workspace-write", "danger-full-access")


@attrs.frozen
class Budgets:
    """Limits a goal may set; crossing one stops the agent cleanly (``budget-exceeded``)."""

    max_turns: int | None = None
    max_tokens: int | None = None
    wall_clock_seconds: float | None = None


@attrs.frozen
class TurnRequest:
    prompt: str
    cwd: Path
    sandbox: str | None = None
    approval_policy: str | None = None
    model: str | None = None
    instructions: str | None = None
    timeout_seconds: float | None = None
    #: the role asking (manager, builder, tester, reviewer): a team backend starts at that agent
    role: str | None = None
    #: limits the backend should stop at mid-turn when it can (the roles also enforce them)
    budgets: Budgets | None = None


@attrs.frozen
class CommandExecution:
    """A command the agent ran during a turn, as the agent's own items report it."""

    command: str
    exit_code: int | None
    status: str = "completed"
    output_tail: str = ""


@attrs.frozen
class FileChange:
    path: str
    kind: str = "update"


@attrs.frozen
class TokenUsage:
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0


@attrs.frozen
class TurnResult:
    """How a turn ended. ``status`` is ``completed`` only when the agent finished normally."""

    status: Literal["completed", "failed", "interrupted"]
    reply: str | None = None
    commands: tuple[CommandExecution, ...] = ()
    file_changes: tuple[FileChange, ...] = ()
    usage: TokenUsage | None = None
    error: str | None = None
    reason: str | None = None
    details: dict[str, Any] = attrs.field(factory=dict)

    @property
    def commands_failed(self) -> tuple[CommandExecution, ...]:
        return tuple(
            c for c in self.commands if c.exit_code not in (0, None) or c.status == "failed"
        )


@attrs.frozen
class BackendContext:
    """What the kernel gives a backend session: where to work and how to report."""

    repo: Path
    run_dir: Path
    run_id: str
    stage_id: str
    env: dict[str, str]
    log: Callable[[str], None]
    event: Callable[..., None]
    approve: Callable[[Action], Awaitable[list[Veto]]]
    config: Any = None


def backend_context(ctx: Any) -> BackendContext:
    """The BackendContext for a stage (a role or a Codex-backed command) from its StageContext."""
    vote = ctx.approve

    async def approve(action: Action) -> list[Veto]:
        return vote(action) if vote is not None else ctx.kernel.vote(action)

    return BackendContext(
        repo=ctx.repo, run_dir=ctx.run_dir, run_id=ctx.run_id, stage_id=ctx.spec.id, env=dict(ctx.env),
        log=ctx.log, event=ctx.event or (lambda name, /, **fields: None), approve=approve, config=ctx.config,
    )  # fmt: skip


@runtime_checkable
class BackendSession(Protocol):
    async def turn(self, request: TurnRequest) -> TurnResult: ...


@runtime_checkable
class Backend(Protocol):
    def session(self, ctx: BackendContext) -> AbstractAsyncContextManager[BackendSession]: ...


@runtime_checkable
class CommandStageBackend(Protocol):
    """A backend that can run a ``command`` stage (``backend = "<its name>"`` on the stage).

    The ``command`` kind hands the whole stage over: ``run_command_stage`` votes on the command
    with the guardrails first (``ctx.approve``), runs it through the agent (one turn), and takes
    the exit code from the agent's own record of the command, never from its prose. An optional
    ``validate_command_stage(spec, kernel)`` checks the stage's other options at plan time
    (raising :class:`~codex_core.errors.ConfigError`); without it, any other option is an error.
    """

    async def run_command_stage(self, ctx: StageContext) -> StageOutcome: ...
