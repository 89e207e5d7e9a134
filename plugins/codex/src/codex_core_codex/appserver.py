"""The ``codex`` backend: ``codex app-server``, JSON-RPC over stdio (the supported path).

One session is one app-server process and one Codex thread::

    -> initialize {clientInfo}              <- {userAgent, codexHome, ...}
    -> initialized (notification)
    -> thread/start {cwd, sandbox, approvalPolicy, model, developerInstructions}
    -> turn/start {threadId, input: [{type: text, text}]}
    <- item/started, item/completed, thread/tokenUsage/updated, ... turn/completed
    <- item/commandExecution/requestApproval (a request: answered by the guardrail vote)

Message shapes follow the JSON Schema the binary generates
(``codex app-server generate-json-schema --out DIR``; checked against 0.169.0). Each turn's
``TurnResult`` is built from the items (:class:`~codex_core_codex.items.TurnLedger`), its token
usage from the difference of the thread's totals before and after the turn. Each
``thread/tokenUsage/updated`` during a turn is also an ``agent-usage`` event with the turn's usage
so far (what a goal's token budget watches); a turn whose caller is cancelled is interrupted.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import attrs
import trio
from codex_core.backend_api import BackendContext, TurnRequest, TurnResult

from . import __version__
from .approvals import ApprovalDesk
from .home import codex_home, session_environment
from .items import TurnLedger, app_command, app_file_changes, changed_paths, unwrap_shell
from .jsonrpc import ConnectionClosed, JsonRpcPeer, MethodNotFound, RpcError
from .launch import (
    REASON_AGENT_ERROR,
    REASON_SPAWN_FAILED,
    REASON_TIMED_OUT,
    CodexStartError,
    Launch,
    prepare,
    repo_relative,
)
from .process import StderrTail, spawn, stop
from .stage import CommandStageRunner

START_TIMEOUT = 60.0
INTERRUPT_GRACE = 10.0
#: sandbox mode (thread/start) -> sandbox policy (turn/start overrides)
SANDBOX_POLICY = {
    "read-only": {"type": "readOnly"},
    "workspace-write": {"type": "workspaceWrite"},
    "danger-full-access": {"type": "dangerFullAccess"},
}
_LOGGED = ("warning", "configWarning", "deprecationNotice", "guardianWarning")


class CodexBackend(CommandStageRunner):
    """Entry point ``codex`` in ``codex_core.backends``."""

    name = "codex"

    def session(self, ctx: BackendContext) -> Any:
        return open_app_server(ctx)


@asynccontextmanager
async def open_app_server(ctx: BackendContext) -> AsyncIterator[AppServerSession]:
    launch = await prepare(ctx, "codex")
    with codex_home(launch.settings.home, launch.settings.config) as (home, overrides):
        argv = [*launch.binary.argv, "app-server", *launch.strict(), *overrides]
        try:
            process = await spawn(argv, cwd=ctx.repo, env=session_environment(ctx.env, home))
        except OSError as exc:
            raise CodexStartError(f"cannot start {argv[0]}: {exc}", REASON_SPAWN_FAILED) from None
        stderr = StderrTail(ctx.log, prefix="codex: ")
        session = AppServerSession(ctx, launch, stderr)
        async with trio.open_nursery() as nursery:
            assert process.stdin and process.stdout and process.stderr
            session.peer = JsonRpcPeer(
                process.stdin, process.stdout, on_notification=session.on_notification,
                on_request=session.on_request, on_garbage=lambda line: ctx.log(f"codex: {line}\n"),
            )  # fmt: skip
            nursery.start_soon(session.peer.serve)
            nursery.start_soon(stderr.pump, process.stderr)
            try:
                await session.initialize()
                yield session
            finally:
                with trio.CancelScope(shield=True):
                    await stop(process)
                # whatever escaped the process group may still hold a pipe open
                nursery.cancel_scope.cancel()


class AppServerSession:
    def __init__(self, ctx: BackendContext, launch: Launch, stderr: StderrTail) -> None:
        self.ctx = ctx
        self.launch = launch
        self.stderr = stderr
        self.peer: JsonRpcPeer = None  # type: ignore[assignment]  # set before use
        self.desk = ApprovalDesk(ctx, "codex")
        self.thread_id: str | None = None
        self.thread_settings: tuple[str, str] | None = None
        self.turn_id: str | None = None
        self.ledger: TurnLedger | None = None
        self.turn_done = trio.Event()
        self.turn_status = "failed"
        self.turn_error: str | None = None
        self.usage_total: dict[str, int] = {}
        #: the thread's totals when the current turn started
        self.usage_before: dict[str, int] = {}
        self.items: dict[str, dict[str, Any]] = {}
        self.turns = 0

    async def initialize(self) -> None:
        params = {
            "clientInfo": {"name": "codex-core", "title": "codex-core", "version": __version__}
        }
        try:
            with trio.fail_after(START_TIMEOUT):
                await self.peer.request("initialize", params)
            await self.peer.notify("initialized")
        except (ConnectionClosed, RpcError, trio.TooSlowError) as exc:
            raise CodexStartError(
                f"codex app-server did not start: {exc}: {self.stderr.last_lines()}",
                REASON_SPAWN_FAILED,
                {"stderr_tail": self.stderr.text},
            ) from None

    # -- turns -------------------------------------------------------------------------------

    async def turn(self, request: TurnRequest) -> TurnResult:
        settings = self.launch.settings
        sandbox = settings.sandbox_for(request.sandbox)
        approval = settings.approval_for(request.approval_policy, "codex")
        refused = self.launch.refuse(sandbox, approval)
        if refused is not None:
            return refused
        self.turns += 1
        self.ledger = ledger = TurnLedger()
        self.turn_done = trio.Event()
        self.turn_id, self.turn_status, self.turn_error = None, "failed", None
        self.usage_before = before = dict(self.usage_total)
        timeout = request.timeout_seconds or settings.turn_timeout
        model = request.model or settings.model
        try:
            await self._start_turn(request, sandbox, approval, model)
            with trio.move_on_after(timeout) as waited:
                await _first_of(self.turn_done, self.peer.closed)
            if waited.cancelled_caught:
                await self._interrupt()
        except (RpcError, ConnectionClosed) as exc:
            return TurnResult(
                status="failed", error=f"{exc}{self._stderr_hint()}", reason=REASON_AGENT_ERROR,
                details=self._details(sandbox, approval, model),
            )  # fmt: skip
        except BaseException as exc:
            # Cancelled from outside (a budget crossed, a time limit, codex-core cancel): stop
            # Codex's turn too, so the agent does nothing more in the session. The cancellation
            # may arrive wrapped in a group (it leaves _first_of's nursery as one).
            cancelled = isinstance(exc, trio.Cancelled) or (
                isinstance(exc, BaseExceptionGroup) and exc.subgroup(trio.Cancelled) is not None
            )
            if cancelled and self.turn_id is not None and not self.turn_done.is_set():
                with trio.CancelScope(shield=True):
                    await self._interrupt()
            raise
        finally:
            self.ledger = None
        ledger.usage = _difference(self.usage_total, before)
        details = self._details(sandbox, approval, model)
        if waited.cancelled_caught:
            result = ledger.result("interrupted", error=f"turn timed out after {timeout:g}s", details=details)  # fmt: skip
            return _with_reason(result, REASON_TIMED_OUT)
        if not self.turn_done.is_set():
            return ledger.result(
                "failed", error=f"codex app-server exited during the turn{self._stderr_hint()}",
                details=details,
            )  # fmt: skip
        self.ctx.event(
            "codex-turn", backend="codex", thread_id=self.thread_id, turn_id=self.turn_id,
            status=self.turn_status, usage=ledger.usage,
        )  # fmt: skip
        return ledger.result(self.turn_status, error=self.turn_error, details=details)

    async def _start_turn(
        self, request: TurnRequest, sandbox: str, approval: str, model: str | None
    ) -> None:
        extra: dict[str, Any] = {}
        if self.thread_id is None:
            params = {
                "cwd": os.fspath(request.cwd), "sandbox": sandbox, "approvalPolicy": approval,
                "model": model, "developerInstructions": request.instructions,
            }  # fmt: skip
            started = await self.peer.request(
                "thread/start", {k: v for k, v in params.items() if v is not None}
            )
            self.thread_id = started["thread"]["id"]
            self.thread_settings = (sandbox, approval)
        else:
            if (sandbox, approval) != self.thread_settings:
                extra = {"approvalPolicy": approval, "sandboxPolicy": SANDBOX_POLICY[sandbox]}
                self.thread_settings = (sandbox, approval)
            if request.model:
                extra["model"] = request.model
        answer = await self.peer.request(
            "turn/start",
            {
                "threadId": self.thread_id,
                "input": [{"type": "text", "text": request.prompt}],
                "cwd": os.fspath(request.cwd),
                **extra,
            },
        )
        self.turn_id = answer["turn"]["id"]

    async def _interrupt(self) -> None:
        with trio.move_on_after(INTERRUPT_GRACE):
            try:
                await self.peer.request(
                    "turn/interrupt", {"threadId": self.thread_id, "turnId": self.turn_id}
                )
            except (RpcError, ConnectionClosed):
                return
            await _first_of(self.turn_done, self.peer.closed)

    def _sandbox_note(self) -> dict[str, Any]:
        """What a guardrail should know: approving may let the command leave the sandbox.

        Under ``on-request`` Codex asks only to run a command outside the sandbox; under
        ``untrusted`` an approved command that the sandbox then blocks is re-run outside it
        without a second question (Codex 0.169).
        """
        sandbox, approval = self.thread_settings or (None, None)
        return {"sandbox": sandbox, "approval_policy": approval, "may_run_outside_sandbox": True}

    def _details(self, sandbox: str, approval: str, model: str | None) -> dict[str, Any]:
        return self.launch.details(
            sandbox=sandbox, approval_policy=approval, model=model,
            thread_id=self.thread_id, turn_id=self.turn_id, turn=self.turns,
        )  # fmt: skip

    def _stderr_hint(self) -> str:
        tail = self.stderr.last_lines(3)
        return f" (stderr: {tail})" if tail else ""

    # -- what the server sends ---------------------------------------------------------------

    def on_notification(self, method: str, params: dict[str, Any]) -> None:
        if params.get("threadId") not in (None, self.thread_id) and self.thread_id is not None:
            return  # another thread's news (sub-agents): not this turn's items
        if method == "item/started":
            item = params.get("item") or {}
            self.items[str(item.get("id"))] = item
            if item.get("type") == "commandExecution" and self.ledger is not None:
                self.ledger.add_started_command(str(item.get("id")), app_command(item))
        elif method == "item/completed":
            self._item_completed(params.get("item") or {})
        elif method == "thread/tokenUsage/updated":
            total = (params.get("tokenUsage") or {}).get("total") or {}
            self.usage_total = {_snake(k): v for k, v in total.items() if isinstance(v, int)}
            if self.ledger is not None:  # the turn's usage so far, for a budget to act on now
                spent = _difference(self.usage_total, self.usage_before)
                self.ctx.event(
                    "agent-usage", backend="codex", thread_id=self.thread_id, turn_id=self.turn_id,
                    **{k: spent.get(k, 0) for k in ("input_tokens", "output_tokens", "total_tokens")},
                )  # fmt: skip
        elif method == "turn/completed":
            turn = params.get("turn") or {}
            if self.turn_id is None or turn.get("id") == self.turn_id:
                self.turn_status = str(turn.get("status", "failed"))
                self.turn_error = (turn.get("error") or {}).get("message")
                self.turn_done.set()
        elif method == "error":
            if not params.get("willRetry") and self.ledger is not None:
                self.ledger.errors.append(str((params.get("error") or {}).get("message", params)))
            self.ctx.log(f"codex error: {(params.get('error') or {}).get('message', params)}\n")
        elif method in _LOGGED:
            self.ctx.log(f"codex {method}: {params.get('message') or params.get('summary') or params}\n")  # fmt: skip

    def _item_completed(self, item: dict[str, Any]) -> None:
        kind, item_id = item.get("type"), str(item.get("id"))
        self.items[item_id] = item
        ledger = self.ledger
        if kind == "commandExecution":
            command = app_command(item)
            output = command.output_tail
            self.ctx.log(
                f"$ {command.command}\n{output}{'' if not output or output.endswith(chr(10)) else chr(10)}"
                f"[{command.status}, exit {command.exit_code}]\n"
            )
            self.ctx.event(
                "codex-item", backend="codex", type="commandExecution", item_id=item_id,
                command=command.command, exit_code=command.exit_code, status=command.status,
            )  # fmt: skip
            if ledger is not None:
                ledger.add_command(item_id, command)
        elif kind == "fileChange":
            changes = tuple(
                attrs.evolve(c, path=repo_relative(c.path, self.ctx.repo))
                for c in app_file_changes(item)
            )
            status = str(item.get("status"))
            self.ctx.log(f"codex changed {', '.join(c.path for c in changes)} [{status}]\n")
            self.ctx.event(
                "codex-item", backend="codex", type="fileChange", item_id=item_id,
                files=[c.path for c in changes], status=status,
            )  # fmt: skip
            if ledger is not None:
                ledger.add_file_change(item_id, changes, status)
        elif kind == "agentMessage" and ledger is not None:
            ledger.messages.append(str(item.get("text") or ""))

    async def on_request(self, method: str, params: dict[str, Any]) -> Any:
        desk, ledger = self.desk, self.ledger
        if method == "item/commandExecution/requestApproval":
            raw = params.get("command")
            action = desk.action(
                "command", command=unwrap_shell(raw) if raw else None, cwd=params.get("cwd"),
                details={
                    "request": method, "item_id": params.get("itemId"), "reason": params.get("reason"),
                    "raw_command": raw, **self._sandbox_note(),
                },
            )  # fmt: skip
            ok = await desk.decide(action, method, ledger)
            return {"decision": "accept" if ok else "decline"}
        if method == "item/fileChange/requestApproval":
            item = self.items.get(str(params.get("itemId"))) or {}
            paths = tuple(
                repo_relative(p, self.ctx.repo) for p in changed_paths(item.get("changes"))
            )
            action = desk.action(
                "file-change", paths=paths,
                details={"request": method, "item_id": params.get("itemId"), "reason": params.get("reason"), "grant_root": params.get("grantRoot")},
            )  # fmt: skip
            ok = await desk.decide(action, method, ledger)
            return {"decision": "accept" if ok else "decline"}
        if method == "execCommandApproval":  # the v1 spelling, still served by 0.169
            command = params.get("command") or []
            action = desk.action(
                "command", command=unwrap_shell(command), cwd=params.get("cwd"),
                details={"request": method, "call_id": params.get("callId"), "reason": params.get("reason")},
            )  # fmt: skip
            ok = await desk.decide(action, method, ledger)
            return {"decision": "approved" if ok else "denied"}
        if method == "applyPatchApproval":
            paths = tuple(
                repo_relative(p, self.ctx.repo)
                for p in changed_paths(params.get("fileChanges") or {})
            )
            action = desk.action(
                "file-change",
                paths=paths,
                details={"request": method, "call_id": params.get("callId")},
            )
            ok = await desk.decide(action, method, ledger)
            return {"decision": "approved" if ok else "denied"}
        if method == "item/permissions/requestApproval":
            self.ctx.event("codex-approval", backend="codex", request=method, action="permissions", decision="decline", vetoes=[])  # fmt: skip
            self.ctx.log("codex asked for extra permissions: declined (codex-core grants none)\n")
            return {"permissions": {}, "scope": "turn"}
        if method == "item/tool/requestUserInput":
            self.ctx.log("codex asked the user a question: nobody to answer (empty answers)\n")
            return {"answers": {}}
        if method == "mcpServer/elicitation/request":
            return {"action": "decline"}
        raise MethodNotFound(method)


async def _first_of(*events: trio.Event) -> None:
    async with trio.open_nursery() as nursery:

        async def wait(event: trio.Event) -> None:
            await event.wait()
            nursery.cancel_scope.cancel()

        for event in events:
            nursery.start_soon(wait, event)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _difference(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items()} if after else {}


def _with_reason(result: TurnResult, reason: str) -> TurnResult:
    return attrs.evolve(result, reason=reason)
