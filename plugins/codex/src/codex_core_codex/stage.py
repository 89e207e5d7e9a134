"""Shell commands run by Codex, one turn per command: the ``command`` kind's Codex backends.

::

    stages = [{ id = "test", command = "pytest -q", backend = "codex" }]

The kernel's ``command`` kind hands a stage with ``backend = "codex"`` (or ``codex-exec``,
``codex-mcp``) to that backend's ``run_command_stage`` (:class:`CommandStageRunner`, mixed into
every Codex backend). ``kind = "codex-command"`` (:class:`CodexCommandStage`) is the same stage
under its first name, its backend the stage's ``backend``, else ``[codex] backend``.

The guardrails vote on the command first, as for a local ``command`` stage; then one turn asks
Codex to run exactly that command and summarise it. The exit code is the one Codex's own
command-execution item reports, never a number read from the reply, which only gives the stage
its summary. A turn that ran no such command, reported no exit code (a command still running when
the turn ended) or answered nothing is ``malformed-tool-response``.

Options: ``backend`` (``codex``, ``codex-exec``, ``codex-mcp``), ``sandbox``,
``approval_policy``, ``model``; defaults come from ``[codex]``. The approval policy is the
stage's own, else the run's (``start --approval-policy``), else ``[codex]``'s, else the
backend's default. The stage's manifest record gets ``codex_version``, ``codex_backend``,
``sandbox``, ``approval_policy``, ``token_usage`` (one entry per turn), ``codex_command`` and
``codex_commands``.
"""

from __future__ import annotations

import os
from typing import Any

from codex_core.backend_api import CommandExecution, TurnRequest, TurnResult
from codex_core.errors import ConfigError
from codex_core.hookspecs import Action
from codex_core.pipeline import StageSpec
from codex_core.stage_api import StageContext, StageOutcome

from .settings import CodexSettings, check_against, check_stage_options

REASON_MALFORMED = "malformed-tool-response"
REASON_POLICY_DENIED = "policy-denied"
REASON_COMMAND_FAILED = "command-failed"

PROMPT = """\
Run this shell command exactly as written, once, from the current working directory, with your \
shell tool:

{command}

Do not change it, do not run any other command, and do not edit any file yourself. When it has \
finished, reply with a short summary of its result: what it reported and its exit code."""


class CommandStageRunner:
    """Mixed into each Codex backend: the ``command`` kind's ``backend = "<name>"`` stages
    (:class:`codex_core.backend_api.CommandStageBackend`; the stage's ``backend`` option names
    the backend that runs it)."""

    name: str

    def validate_command_stage(self, spec: StageSpec, kernel: Any) -> None:
        validate_stage(spec, kernel)

    def validate_turn_options(
        self, kernel: Any, *, sandboxes: tuple[str, ...], approval_policy: str | None
    ) -> None:
        """Before a run starts: would the installed Codex take turns with these values?

        ``sandboxes`` are the modes the run's turns will ask for, ``approval_policy`` the run's
        (None: ``[codex]``'s, else this backend's default). A ``ConfigError`` says which value
        the Codex that ``kernel``'s repo would run refuses; a Codex that cannot be found or
        probed is not an error here (the run reports it).
        """
        validate_turn_values(kernel, self.name, sandboxes, approval_policy)

    async def run_command_stage(self, ctx: StageContext) -> StageOutcome:
        return await run_stage(ctx)


class CodexCommandStage:
    """Entry point ``codex-command`` in ``codex_core.stages``: the same stage, its first name."""

    def validate(self, spec: StageSpec, kernel: Any = None) -> None:
        validate_stage(spec, kernel)

    async def run(self, ctx: StageContext) -> StageOutcome:
        return await run_stage(ctx)


def _what(spec: StageSpec) -> str:
    return (
        "a codex-command stage" if spec.kind == "codex-command" else "a command stage run by Codex"
    )


def validate_stage(spec: StageSpec, kernel: Any = None) -> None:
    """Plan time: the options' shape, ``[codex]``, then what the installed Codex accepts.

    ``kernel`` (the planning kernel: its repo and configuration) says which ``[codex]`` and which
    Codex binary apply. Without it, only the options the stage sets are checked, against the
    Codex found without a repo.
    """
    from .binary import CodexNotFoundError, find_binary
    from .capabilities import ProbeError, probe

    where = f"stage {spec.id!r}"
    check_stage_options(spec.options, where, _what(spec))
    config = kernel.config if kernel is not None else None
    settings = CodexSettings.from_config(config).with_options(spec.options, where, _what(spec))
    if kernel is None and not {"backend", "sandbox", "approval_policy"} & set(spec.options):
        return
    try:
        binary = find_binary(
            kernel.repo if kernel is not None else None, settings.binary, os.environ
        )
        caps = probe(binary)
    except (CodexNotFoundError, ProbeError):
        return  # nothing to check against; the run reports a missing Codex clearly
    sandbox = settings.sandbox_for(None)
    approval = settings.approval_for(spec.options.get("approval_policy"))
    problem = check_against(caps, settings.backend, sandbox, approval)
    if problem is not None:
        raise ConfigError(f"{where}: {problem}")


def validate_turn_values(
    kernel: Any, backend: str, sandboxes: tuple[str, ...], approval_policy: str | None
) -> None:
    """:meth:`CommandStageRunner.validate_turn_options` for the backend named ``backend``."""
    from .binary import CodexNotFoundError, find_binary
    from .capabilities import ProbeError, probe

    settings = CodexSettings.from_config(kernel.config)
    try:
        caps = probe(find_binary(kernel.repo, settings.binary, os.environ))
    except (CodexNotFoundError, ProbeError):
        return
    approval = settings.approval_for(approval_policy, backend)
    for sandbox in sandboxes:
        problem = check_against(caps, backend, settings.sandbox_for(sandbox), approval)
        if problem is not None:
            raise ConfigError(problem)


async def run_stage(ctx: StageContext) -> StageOutcome:
    """Vote on the stage's command, then have Codex run it in one turn (module docstring)."""
    from .context import backend_context
    from .launch import CodexStartError

    command = ctx.spec.command
    if not command:
        return StageOutcome("skipped", skip_reason="no-command", summary="no command for this stage")  # fmt: skip
    where = f"{ctx.config.path or 'config'}: stage {ctx.spec.id!r}"
    try:
        base = CodexSettings.from_config(ctx.config)
        settings = base.with_options(ctx.spec.options, where, _what(ctx.spec))
    except ConfigError as exc:
        return StageOutcome("failed", summary=str(exc), reason="invalid-config")
    backend_name = settings.backend
    approval = (
        ctx.spec.options.get("approval_policy") or ctx.approval_policy or base.approval_policy
    )
    bctx = backend_context(ctx)
    vetoes = await bctx.approve(
        Action(
            kind="command", repo=ctx.repo, run_id=ctx.run_id, stage_id=ctx.spec.id,
            command=command, cwd=ctx.cwd, details={"backend": backend_name},
        )
    )  # fmt: skip
    if vetoes:  # the kernel has logged and recorded them
        found = [{"reason": v.reason, "rule": v.rule, "guardrail": v.guardrail} for v in vetoes]
        return StageOutcome(
            "failed", summary="; ".join(v.reason for v in vetoes),
            reason=REASON_POLICY_DENIED, details={"vetoes": found},
        )  # fmt: skip
    backend = ctx.kernel.load_namespace("codex_core.backends", [backend_name]).get(backend_name)
    if backend is None:
        broken = [f.error for f in ctx.kernel.failures if f.name == backend_name]
        return StageOutcome(
            "failed", reason="invalid-config",
            summary=f"backend {backend_name!r} is not installed" + (f" ({broken[0]})" if broken else ""),
        )  # fmt: skip
    request = TurnRequest(
        prompt=PROMPT.format(command=command),
        cwd=ctx.cwd,
        sandbox=settings.sandbox_for(None),
        approval_policy=settings.approval_for(approval, backend_name),
        model=settings.model,
    )
    ctx.log(f"{ctx.spec.kind} via {backend_name}: {command}\n")
    try:
        async with backend.session(bctx) as session:
            result = await session.turn(request)
    except CodexStartError as exc:
        return StageOutcome(
            "failed", summary=str(exc), reason=exc.reason,
            details=exc.details, record={"codex_backend": backend_name},
        )  # fmt: skip
    return outcome(command, result)


def outcome(command: str, result: TurnResult) -> StageOutcome:
    """The stage's outcome from the turn: the command's own item decides, the reply summarises."""
    record = _record(result)
    ran = _the_command(command, result.commands)
    if ran is not None:
        record["codex_command"] = {"command": ran.command, "exit_code": ran.exit_code, "status": ran.status}  # fmt: skip
    details: dict[str, Any] = {
        "reply": result.reply,
        "codex_error": result.error,
        "commands": record["codex_commands"],
        **{k: v for k, v in result.details.items() if k in ("vetoes", "failed_commands")},
    }

    def failed(reason: str, summary: str, exit_code: int | None = None) -> StageOutcome:
        return StageOutcome(
            "failed", exit_code=exit_code, summary=summary, reason=reason,
            details={**details, "stderr_tail": ran.output_tail if ran else ""}, record=record,
        )  # fmt: skip

    if result.reason in ("invalid-config", "spawn-failed"):
        return failed(result.reason, result.error or result.reason)
    if result.status == "interrupted":
        return failed(result.reason or "interrupted", result.error or "the turn was interrupted")
    if ran is None:
        others = ", ".join(f"`{c.command}`" for c in result.commands)
        if result.reason == REASON_POLICY_DENIED:
            return failed(REASON_POLICY_DENIED, result.error or "declined by a guardrail")
        why = f"Codex ran {others} instead" if others else "Codex ran no command"
        return failed(REASON_MALFORMED, f"{why} (asked for `{command}`)")
    if ran.status == "declined":
        return failed(REASON_POLICY_DENIED, result.error or f"`{command}` was declined")
    if ran.exit_code is None:
        if ran.status == "in-progress":
            return failed(REASON_MALFORMED, f"`{command}` was still running when Codex ended the turn: no exit code")  # fmt: skip
        return failed(
            REASON_MALFORMED, f"Codex reported no exit code for `{command}` ({ran.status})"
        )
    if not (result.reply or "").strip():
        return failed(REASON_MALFORMED, f"Codex ran `{command}` (exit {ran.exit_code}) but answered nothing")  # fmt: skip
    summary = _first_line(result.reply or "")
    if ran.exit_code != 0:
        return failed(REASON_COMMAND_FAILED, f"exit {ran.exit_code}: {summary}", ran.exit_code)
    if result.status == "failed" and result.reason not in (
        REASON_COMMAND_FAILED,
        REASON_POLICY_DENIED,
    ):
        return failed(result.reason or "agent-error", result.error or "the turn failed", 0)
    return StageOutcome("succeeded", exit_code=0, summary=f"exit 0: {summary}", record=record)


def _the_command(wanted: str, commands: tuple[CommandExecution, ...]) -> CommandExecution | None:
    """The item that ran ``wanted``: the last exact match, else the last that contains it."""
    from .items import same_command

    exact = [c for c in commands if same_command(c.command, wanted)]
    if exact:
        return exact[-1]
    containing = [c for c in commands if " ".join(wanted.split()) in " ".join(c.command.split())]
    return containing[-1] if containing else None


def _record(result: TurnResult) -> dict[str, Any]:
    d = result.details
    usage = dict(d.get("usage") or {})
    if not usage and result.usage is not None:
        usage = {
            "input_tokens": result.usage.input_tokens,
            "output_tokens": result.usage.output_tokens,
            "total_tokens": result.usage.total_tokens,
        }
    record: dict[str, Any] = {
        "codex_version": d.get("codex_version"),
        "codex_backend": d.get("backend"),
        "sandbox": d.get("sandbox"),
        "approval_policy": d.get("approval_policy"),
        "token_usage": [{"turn": d.get("turn", 1), **usage}] if usage else [],
        "codex_commands": [
            {"command": c.command, "exit_code": c.exit_code, "status": c.status}
            for c in result.commands
        ],
    }
    if d.get("thread_id"):
        record["codex_thread_id"] = d["thread_id"]
    if d.get("model"):
        record["model"] = d["model"]
    return {k: v for k, v in record.items() if v is not None}


def _first_line(text: str, limit: int = 200) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"
