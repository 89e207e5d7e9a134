"""Codex's items (commands run, files changed, messages) gathered into a :class:`TurnResult`.

The app-server and ``exec --json`` report the same things in two spellings (``commandExecution``
with ``exitCode`` / ``command_execution`` with ``exit_code``); the small functions here read
either into the kernel's :class:`CommandExecution` and :class:`FileChange`. :class:`TurnLedger`
keeps what one turn did and decides how it ended: never from the reply's prose, always from the
items: a turn whose commands failed, or whose actions a guardrail declined, is a failed turn even
when Codex calls it completed.

So is a turn that ends while one of its commands still runs. Codex's shell tool
(``exec_command``) waits for a command only for its yield window (10 s unless the model asks for
more, 30 s at most); a command still running then is left in the background, the model is told
"Process running with session ID ...", and the turn can complete without a completed item for
it: the command's outcome is unknown and it may still change the work tree after the turn. Such
a command is reported ``in-progress`` with no exit code, and the turn fails
``command-unfinished``.
"""

from __future__ import annotations

import posixpath
import shlex
from typing import Any

import attrs
from codex_core.backend_api import CommandExecution, FileChange, TokenUsage, TurnResult

OUTPUT_TAIL_CHARS = 4 * 1024
REASON_UNFINISHED = "command-unfinished"
_SHELLS = {"bash", "sh", "zsh", "dash"}


def unwrap_shell(command: str | list[str]) -> str:
    """The command line the model asked for, without Codex's ``/bin/bash -lc '...'`` wrapper."""
    argv = command if isinstance(command, list) else _split(command)
    if argv is None:
        return command if isinstance(command, str) else " ".join(command)
    flags = argv[1:-1]
    if (
        len(argv) >= 3
        and posixpath.basename(argv[0]) in _SHELLS
        and all(f.startswith("-") for f in flags)
        and any("c" in f for f in flags)
    ):
        return argv[-1]
    return command if isinstance(command, str) else shlex.join(argv)


def _split(command: str) -> list[str] | None:
    try:
        return shlex.split(command)
    except ValueError:
        return None


def same_command(ran: str, wanted: str) -> bool:
    """Whether ``ran`` is ``wanted`` up to whitespace and quoting."""
    a, b = _split(ran), _split(wanted)
    if a is not None and b is not None:
        return a == b
    return " ".join(ran.split()) == " ".join(wanted.split())


def _tail(text: str | None) -> str:
    return (text or "")[-OUTPUT_TAIL_CHARS:]


_APP_STATUS = {"inProgress": "in-progress", "completed": "completed", "failed": "failed", "declined": "declined"}  # fmt: skip


def app_command(item: dict[str, Any]) -> CommandExecution:
    """A ``commandExecution`` item of the app-server."""
    return CommandExecution(
        command=unwrap_shell(item.get("command") or ""),
        exit_code=item.get("exitCode"),
        status=_APP_STATUS.get(item.get("status", ""), str(item.get("status"))),
        output_tail=_tail(item.get("aggregatedOutput")),
    )


def app_file_changes(item: dict[str, Any]) -> tuple[FileChange, ...]:
    """The changes of a ``fileChange`` item of the app-server."""
    changes = []
    for change in item.get("changes") or ():
        kind = change.get("kind")
        kind = kind.get("type", "update") if isinstance(kind, dict) else (kind or "update")
        changes.append(FileChange(path=str(change.get("path", "")), kind=str(kind)))
    return tuple(changes)


def _move_target(change: Any) -> str | None:
    """Where a change moves its file (``*** Move to:`` of an apply_patch), if it does."""
    if not isinstance(change, dict):
        return None
    kind = change.get("kind")
    for holder in (change, kind if isinstance(kind, dict) else {}):
        target = holder.get("move_path") or holder.get("movePath")
        if target:
            return str(target)
    return None


def changed_paths(changes: Any) -> tuple[str, ...]:
    """Every path a file change touches: each change's file and, for a move, its destination.

    ``changes`` is an app-server ``fileChange`` item's ``changes`` (a list of ``{path, kind}``)
    or the v1 ``applyPatchApproval`` ``fileChanges`` (a mapping of path to change). A move must
    be checked at both ends: ``Update File: a.py`` / ``Move to: .git/hooks/x`` writes ``.git``.
    """
    paths: list[str] = []
    if isinstance(changes, dict):
        pairs = list(changes.items())
    else:
        pairs = [(c.get("path") if isinstance(c, dict) else None, c) for c in changes or ()]
    for path, change in pairs:
        if path:
            paths.append(str(path))
        target = _move_target(change)
        if target:
            paths.append(target)
    return tuple(paths)


def exec_command(item: dict[str, Any]) -> CommandExecution:
    """A ``command_execution`` item of ``codex exec --json``."""
    status = str(item.get("status") or "completed").replace("_", "-")
    return CommandExecution(
        command=unwrap_shell(item.get("command") or ""),
        exit_code=item.get("exit_code"),
        status=status,
        output_tail=_tail(item.get("aggregated_output")),
    )


def exec_file_changes(item: dict[str, Any]) -> tuple[FileChange, ...]:
    return tuple(
        FileChange(path=str(c.get("path", "")), kind=str(c.get("kind") or "update"))
        for c in item.get("changes") or ()
    )


@attrs.define
class TurnLedger:
    """What one turn did, as Codex's items report it."""

    commands: dict[str, CommandExecution] = attrs.field(factory=dict)
    #: commands started and not (yet) completed, by item id
    started: dict[str, CommandExecution] = attrs.field(factory=dict)
    file_changes: dict[str, tuple[FileChange, ...]] = attrs.field(factory=dict)
    failed_file_changes: list[str] = attrs.field(factory=list)
    messages: list[str] = attrs.field(factory=list)
    declined: list[dict[str, Any]] = attrs.field(factory=list)
    errors: list[str] = attrs.field(factory=list)
    usage: dict[str, int] = attrs.field(factory=dict)

    def add_started_command(self, item_id: str, command: CommandExecution) -> None:
        if item_id not in self.commands:
            self.started[item_id] = attrs.evolve(command, status="in-progress", exit_code=None)

    def add_command(self, item_id: str, command: CommandExecution) -> None:
        self.started.pop(item_id, None)
        self.commands[item_id] = command

    def add_file_change(self, item_id: str, changes: tuple[FileChange, ...], status: str) -> None:
        self.file_changes[item_id] = changes
        if status == "failed":
            self.failed_file_changes.extend(c.path for c in changes)

    def token_usage(self) -> TokenUsage | None:
        if not self.usage:
            return None
        inp, out = self.usage.get("input_tokens", 0), self.usage.get("output_tokens", 0)
        return TokenUsage(inp, out, self.usage.get("total_tokens") or inp + out)

    def result(
        self, codex_status: str, *, error: str | None = None, details: dict[str, Any] | None = None
    ) -> TurnResult:
        """How the turn ended: ``codex_status`` is Codex's word, the items have the last one."""
        unfinished = tuple(self.started.values())
        commands = tuple(self.commands.values()) + unfinished
        reply = self.messages[-1] if self.messages else None
        details = (
            {**(details or {}), "usage": dict(self.usage)} if self.usage else dict(details or {})
        )
        status: str
        reason: str | None = None
        if codex_status == "completed":
            status = "completed"
            failed = [c for c in commands if c.exit_code not in (0, None) or c.status == "failed"]
            if self.declined:
                status, reason = "failed", "policy-denied"
                details["vetoes"] = [v for d in self.declined for v in d.get("vetoes", ())]
                error = error or "; ".join(d["summary"] for d in self.declined)
            elif failed:
                status, reason = "failed", "command-failed"
                details["failed_commands"] = [
                    {"command": c.command, "exit_code": c.exit_code, "status": c.status} for c in failed
                ]  # fmt: skip
                error = error or "; ".join(f"`{c.command}` exited {c.exit_code}" for c in failed)
            elif unfinished:
                status, reason = "failed", REASON_UNFINISHED
                details["unfinished_commands"] = [c.command for c in unfinished]
                error = error or "; ".join(
                    f"`{c.command}` was still running when the turn ended" for c in unfinished
                )
            elif self.failed_file_changes:
                status, reason = "failed", "file-change-failed"
                error = error or "could not change " + ", ".join(self.failed_file_changes)
        elif codex_status == "interrupted":
            status, reason = "interrupted", "interrupted"
        else:
            status, reason = "failed", "agent-error"
            error = error or "; ".join(self.errors) or f"turn {codex_status}"
        return TurnResult(
            status=status,  # type: ignore[arg-type]
            reply=reply,
            commands=commands,
            file_changes=tuple(c for changes in self.file_changes.values() for c in changes),
            usage=self.token_usage(),
            error=error,
            reason=reason,
            details=details,
        )
