"""The agent's hands: function tools for files and shell commands, confined to the work tree.

Every tool works relative to the turn's root (the repository, or the git worktree a goal runs
in). Writes go through the path sandbox (:class:`codex_core_guardrails.sandbox.Sandbox`): never
outside the root, never through a symlink, never into ``.git``. Before any tool runs, the SDK
tool guardrail of :mod:`.guardrails` asks the kernel's guardrail vote, so the command policy sees
every command and a guardrail may refuse any file the agent touches.

Which tools an agent gets depends on its role and the turn's sandbox mode: ``read-only`` turns
get :data:`READ_TOOLS` only.
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

from agents import FunctionTool, RunContextWrapper, function_tool
from codex_core.backend_api import CommandExecution, FileChange
from codex_core.errors import PathEscapeError

from .state import TurnState

#: bytes of a file ``read_file`` returns; the rest is cut (and says so)
READ_LIMIT = 256 * 1024
#: bytes of a command's output returned to the model (the whole output goes to the stage log)
OUTPUT_TAIL = 16 * 1024
KILL_GRACE_SECONDS = 2.0
WRITE_TOOLS = frozenset({"write_file", "delete_file"})
READ_TOOLS = ("read_file", "list_files")


def _violation(state: TurnState, tool: str, path: str, error: Exception) -> str:
    state.violations.append({"tool": tool, "path": path, "error": str(error)})
    state.log(f"refused {tool} {path!r}: {error}\n")
    return f"error: {error}"


async def read_file(ctx: RunContextWrapper[TurnState], path: str) -> str:
    """Read a text file of the repository.

    Args:
        path: the file, relative to the repository root.
    """
    state = ctx.context
    try:
        target = state.sandbox.resolve(path)
        with open(target, "rb") as handle:
            data = handle.read(READ_LIMIT + 1)
    except (PathEscapeError, OSError) as err:
        return f"error: {err}"
    text = data[:READ_LIMIT].decode("utf-8", "replace")
    if len(data) > READ_LIMIT:
        text += f"\n[... cut at {READ_LIMIT} bytes]"
    return text


async def list_files(ctx: RunContextWrapper[TurnState], directory: str) -> str:
    """List a directory of the repository (one entry a line, directories end with '/').

    Args:
        directory: the directory, relative to the repository root ("." for the root).
    """
    state = ctx.context
    try:
        target = (
            state.root if directory.strip() in ("", ".", "./") else state.sandbox.resolve(directory)
        )
        entries = sorted(os.scandir(target), key=lambda e: e.name)
    except (PathEscapeError, OSError) as err:
        return f"error: {err}"
    names = [
        e.name + ("/" if e.is_dir(follow_symlinks=False) else "")
        for e in entries
        if e.name != ".git"
    ]
    return "\n".join(names) or "(empty)"


async def write_file(ctx: RunContextWrapper[TurnState], path: str, content: str) -> str:
    """Create or replace a file of the repository with the given content.

    Args:
        path: the file, relative to the repository root.
        content: the complete new content of the file.
    """
    state = ctx.context
    try:
        existed = state.sandbox.resolve(path).exists()
        written = state.sandbox.write_text(path, content)
    except PathEscapeError as err:
        return _violation(state, "write_file", path, err)
    except OSError as err:
        return f"error: {err}"
    rel = written.relative_to(state.sandbox.root).as_posix()
    state.file_changes.append(FileChange(rel, "update" if existed else "add"))
    state.log(f"wrote {rel} ({len(content.encode())} bytes)\n")
    return f"wrote {rel}"


async def delete_file(ctx: RunContextWrapper[TurnState], path: str) -> str:
    """Delete a file of the repository.

    Args:
        path: the file, relative to the repository root.
    """
    state = ctx.context
    try:
        rel = state.sandbox.resolve(path).relative_to(state.sandbox.root).as_posix()
        state.sandbox.remove(path)
    except PathEscapeError as err:
        return _violation(state, "delete_file", path, err)
    except OSError as err:
        return f"error: {err}"
    state.file_changes.append(FileChange(rel, "delete"))
    state.log(f"deleted {rel}\n")
    return f"deleted {rel}"


async def run_command(ctx: RunContextWrapper[TurnState], command: str) -> str:
    """Run a shell command (/bin/sh -c) in the repository; returns its exit code and output.

    Args:
        command: the command line.
    """
    state = ctx.context
    state.log(f"$ {command}\n")
    try:
        proc = await asyncio.create_subprocess_shell(
            command, cwd=state.cwd, env=state.env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    except OSError as err:
        state.commands.append(CommandExecution(command, None, "failed", str(err)))
        return f"error: cannot start the command: {err}"
    assert proc.stdout is not None
    chunks: list[bytes] = []

    async def pump() -> None:
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(65536):
            chunks.append(chunk)
            state.log(chunk.decode("utf-8", "replace"))
        await proc.wait()

    status = "completed"
    try:
        await asyncio.wait_for(pump(), state.command_timeout)
    except TimeoutError:
        status = "failed"
        await _kill_group(proc)
    except BaseException:  # cancelled: nothing the agent started may outlive the turn
        await _kill_group(proc, grace=0)
        raise
    else:
        await _kill_group(proc, grace=0)  # whatever it left running in its group
    output = b"".join(chunks).decode("utf-8", "replace")
    tail = output[-OUTPUT_TAIL:]
    exit_code = proc.returncode if status == "completed" else None
    if exit_code not in (0, None):
        status = "failed"
    state.commands.append(CommandExecution(command, exit_code, status, tail[-8192:]))
    if exit_code is None:
        return f"timed out after {state.command_timeout:g}s (killed)\n{tail}"
    return f"exit code {exit_code}\n{tail}"


async def _kill_group(proc: asyncio.subprocess.Process, grace: float = KILL_GRACE_SECONDS) -> None:
    """TERM the command's process group, then KILL what is left after ``grace`` seconds."""

    def signal_group(sig: int) -> bool:
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    if proc.returncode is None and signal_group(signal.SIGTERM):
        try:
            await asyncio.wait_for(proc.wait(), grace or 0.01)
        except TimeoutError:
            pass
    signal_group(signal.SIGKILL)
    await proc.wait()


_FUNCTIONS = {f.__name__: f for f in (read_file, list_files, write_file, delete_file, run_command)}
ROLE_TOOLS = {
    "manager": READ_TOOLS,
    "builder": (*READ_TOOLS, "write_file", "delete_file", "run_command"),
    "tester": (*READ_TOOLS, "run_command"),
    "reviewer": READ_TOOLS,
}


def tools_for(role: str, sandbox_mode: str, guardrails: list[Any]) -> list[FunctionTool]:
    """The function tools of ``role`` in a turn of ``sandbox_mode``, each behind ``guardrails``."""
    names = ROLE_TOOLS[role]
    if sandbox_mode == "read-only":
        names = tuple(n for n in names if n in READ_TOOLS)
    return [
        function_tool(_FUNCTIONS[name], tool_input_guardrails=list(guardrails)) for name in names
    ]
