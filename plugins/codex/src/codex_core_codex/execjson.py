"""The ``codex-exec`` backend: ``codex exec --json``, one process per turn (the fallback).

``codex exec`` prints one JSON event a line (``thread.started``, ``item.started``,
``item.completed``, ``turn.completed`` with the turn's token usage, ``turn.failed``) and exits.
Later turns of a session continue the same thread with ``codex exec resume THREAD``. Two traps:
``exec`` reads standard input until it closes, so it gets ``/dev/null``; and it cannot ask
anyone for approval, so its approval policy is ``never``: the guardrails see the turn's own
commands only through what a stage votes on before the turn (``codex-command`` does), and
in the items afterwards. ``exec`` exits 0 even when every command failed: the items decide.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import attrs
import trio
from codex_core.backend_api import BackendContext, TurnRequest, TurnResult

from .home import codex_home, session_environment, toml_value
from .items import TurnLedger, exec_command, exec_file_changes
from .launch import (
    REASON_AGENT_ERROR,
    REASON_SPAWN_FAILED,
    REASON_TIMED_OUT,
    Launch,
    prepare,
    repo_relative,
)
from .process import LineReader, StderrTail, spawn, stop
from .stage import CommandStageRunner


class CodexExecBackend(CommandStageRunner):
    """Entry point ``codex-exec`` in ``codex_core.backends``."""

    name = "codex-exec"

    def session(self, ctx: BackendContext) -> Any:
        return open_exec(ctx)


@asynccontextmanager
async def open_exec(ctx: BackendContext) -> AsyncIterator[ExecSession]:
    launch = await prepare(ctx, "codex-exec")
    with codex_home(launch.settings.home, launch.settings.config) as (home, overrides):
        yield ExecSession(ctx, launch, session_environment(ctx.env, home), overrides)


class ExecSession:
    def __init__(
        self, ctx: BackendContext, launch: Launch, env: dict[str, str], overrides: list[str]
    ) -> None:
        self.ctx = ctx
        self.launch = launch
        self.env = env
        self.overrides = overrides
        self.thread_id: str | None = None
        self.turns = 0

    def argv(
        self, request: TurnRequest, sandbox: str, approval: str, model: str | None
    ) -> list[str]:
        head = [*self.launch.binary.argv, "exec"]
        if self.thread_id is not None:
            head += ["resume"]
        options = [
            "--json",
            "--skip-git-repo-check",
            *self.launch.strict(),
            *self.overrides,
            "-c",
            f"sandbox_mode={toml_value(sandbox)}",
            "-c",
            f"approval_policy={toml_value(approval)}",
        ]
        if model:
            options += ["-m", model]
        prompt = request.prompt
        if request.instructions:
            prompt = f"{request.instructions}\n\n{prompt}"
        if self.thread_id is not None:
            return [*head, *options, "--", self.thread_id, prompt]
        return [*head, *options, "-C", str(request.cwd), "--", prompt]

    async def turn(self, request: TurnRequest) -> TurnResult:
        settings = self.launch.settings
        sandbox = settings.sandbox_for(request.sandbox)
        approval = settings.approval_for(request.approval_policy, "codex-exec")
        refused = self.launch.refuse(sandbox, approval)
        if refused is not None:
            return refused
        self.turns += 1
        model = request.model or settings.model
        argv = self.argv(request, sandbox, approval, model)
        try:
            process = await spawn(argv, cwd=request.cwd, env=self.env, stdin_pipe=False)
        except OSError as exc:
            return TurnResult(
                status="failed", error=f"cannot start {argv[0]}: {exc}", reason=REASON_SPAWN_FAILED
            )
        reader = _EventReader(self.ctx, TurnLedger())
        stderr = StderrTail(self.ctx.log, prefix="codex: ")
        timeout = request.timeout_seconds or settings.turn_timeout
        timed_out = False
        try:
            with trio.move_on_after(timeout) as waited:
                async with trio.open_nursery() as nursery:
                    assert process.stdout is not None and process.stderr is not None
                    nursery.start_soon(stderr.pump, process.stderr)
                    await reader.read(process.stdout)
                    await process.wait()
            timed_out = waited.cancelled_caught
        finally:
            with trio.CancelScope(shield=True):
                await stop(process)
        if reader.thread_id:
            self.thread_id = reader.thread_id
        details = self.launch.details(
            sandbox=sandbox,
            approval_policy=approval,
            model=model,
            thread_id=self.thread_id,
            turn=self.turns,
            exit_code=process.returncode,
        )
        ledger = reader.ledger
        if timed_out:
            result = ledger.result(
                "interrupted", error=f"turn timed out after {timeout:g}s", details=details
            )
            return attrs.evolve(result, reason=REASON_TIMED_OUT)
        if reader.status is None:
            tail = stderr.last_lines(3)
            return ledger.result(
                "failed",
                details=details,
                error=f"codex exec exited {process.returncode} without finishing the turn"
                + (f": {tail}" if tail else ""),
            )
        result = ledger.result(reader.status, error=reader.error, details=details)
        if reader.status == "failed":
            return attrs.evolve(result, reason=REASON_AGENT_ERROR)
        return result


class _EventReader:
    """Reads ``codex exec --json`` events into a :class:`TurnLedger`."""

    def __init__(self, ctx: BackendContext, ledger: TurnLedger) -> None:
        self.ctx = ctx
        self.ledger = ledger
        self.thread_id: str | None = None
        self.status: str | None = None
        self.error: str | None = None

    async def read(self, stream: trio.abc.ReceiveStream) -> None:
        lines = LineReader(stream)
        while (line := await lines.next_line()) is not None:
            text = line.decode("utf-8", "replace").strip()
            if not text:
                continue
            try:
                event = json.loads(text)
            except ValueError:
                self.ctx.log(f"codex: {text}\n")
                continue
            if isinstance(event, dict):
                self.on_event(event)

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "thread.started":
            self.thread_id = event.get("thread_id")
        elif kind == "item.started":
            item = event.get("item") or {}
            if item.get("type") == "command_execution":
                self.ledger.add_started_command(str(item.get("id")), exec_command(item))
        elif kind == "item.completed":
            self.on_item(event.get("item") or {})
        elif kind == "turn.completed":
            self.status = "completed"
            usage = {k: v for k, v in (event.get("usage") or {}).items() if isinstance(v, int)}
            usage.setdefault(
                "total_tokens", usage.get("input_tokens", 0) + usage.get("output_tokens", 0)
            )
            self.ledger.usage = usage
            self.ctx.event(
                "codex-turn",
                backend="codex-exec",
                thread_id=self.thread_id,
                status="completed",
                usage=usage,
            )
        elif kind == "turn.failed":
            self.status = "failed"
            self.error = str((event.get("error") or {}).get("message") or event)
            self.ctx.event(
                "codex-turn",
                backend="codex-exec",
                thread_id=self.thread_id,
                status="failed",
                error=self.error,
            )
        elif kind == "error":
            message = str(event.get("message") or event)
            self.ledger.errors.append(message)
            self.ctx.log(f"codex error: {message}\n")

    def on_item(self, item: dict[str, Any]) -> None:
        kind, item_id = item.get("type"), str(item.get("id"))
        if kind == "command_execution":
            command = exec_command(item)
            output = command.output_tail
            newline = "" if not output or output.endswith("\n") else "\n"
            self.ctx.log(
                f"$ {command.command}\n{output}{newline}[{command.status}, exit {command.exit_code}]\n"
            )
            self.ctx.event(
                "codex-item",
                backend="codex-exec",
                type="command_execution",
                item_id=item_id,
                command=command.command,
                exit_code=command.exit_code,
                status=command.status,
            )
            self.ledger.add_command(item_id, command)
        elif kind == "file_change":
            changes = tuple(
                attrs.evolve(c, path=repo_relative(c.path, self.ctx.repo))
                for c in exec_file_changes(item)
            )
            status = str(item.get("status") or "completed")
            self.ctx.event(
                "codex-item",
                backend="codex-exec",
                type="file_change",
                item_id=item_id,
                files=[c.path for c in changes],
                status=status,
            )
            self.ledger.add_file_change(item_id, changes, status)
        elif kind == "agent_message":
            self.ledger.messages.append(str(item.get("text") or ""))
        elif kind == "error":  # non-fatal: Codex's own warnings ("model metadata not found")
            self.ctx.log(f"codex warning: {item.get('message')}\n")
