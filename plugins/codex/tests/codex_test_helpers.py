"""A BackendContext on a real kernel, the way an agent role builds one, with what it records."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import attrs
import trio
from codex_core.backend_api import BackendContext, TurnRequest, TurnResult
from codex_core.hookspecs import Action, Veto
from codex_core.kernel import Kernel

#: the command the scripted model has Codex run in most tests
CREATE = "echo hello > hello.txt"
#: how long any one test may wait on Codex (a scripted turn takes about a second here)
TURN_LIMIT = 90.0


@attrs.define
class Recorder:
    events: list[dict[str, Any]] = attrs.field(factory=list)
    log: list[str] = attrs.field(factory=list)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == name]

    @property
    def text(self) -> str:
        return "".join(self.log)


def backend_context(
    repo: Path, kernel: Kernel, recorder: Recorder, env: dict[str, str]
) -> BackendContext:
    async def approve(action: Action) -> list[Veto]:
        return kernel.vote(action)

    return BackendContext(
        repo=repo,
        run_dir=repo / ".runs",
        run_id="test-run",
        stage_id="codex",
        env={**os.environ, **env},
        log=recorder.log.append,
        event=lambda name, **fields: recorder.events.append({"event": name, **fields}),
        approve=approve,
        config=kernel.config,
    )


def run_dir_of(manifest_path: str | Path) -> Path:
    return Path(manifest_path).parent


def events_of(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


async def one_turn(
    backend,
    repo: Path,
    env: dict[str, str],
    recorder: Recorder,
    kernel: Kernel | None = None,
    **request,
):
    kernel = kernel or Kernel.for_repo(repo)
    ctx = backend_context(repo, kernel, recorder, env)
    with trio.fail_after(TURN_LIMIT):
        async with backend.session(ctx) as session:
            return await session.turn(TurnRequest(prompt="create hello.txt", cwd=repo, **request))


def assert_refused_and_never_a_success(
    result: TurnResult, tool_outputs: list[str], command: str
) -> None:
    """What a read-only turn asked to write must show, whatever Codex 0.169 reports of it.

    Codex ran the command and its sandbox refused the write: the model was told so (exit 1,
    "Read-only file system"). But Codex 0.169 often sends no ``commandExecution`` item for a
    command its sandbox refused (seen with app-server, ``exec --json`` and the legacy
    ``mcp-server`` alike, on this machine since 2026-11-24), so the turn may list no command.
    What must hold either way: the command is never reported as a success, and when Codex does
    report it, the turn fails ``command-failed``. (A ``codex-command`` stage that gets no item for
    its command fails ``malformed-tool-response``: tests/test_codex_command_stage.py.)
    """
    assert any("Read-only file system" in out for out in tool_outputs), tool_outputs
    reported = [c for c in result.commands if c.command == command]
    assert all(c.exit_code not in (0, None) and c.status == "failed" for c in reported)
    if reported:
        assert (result.status, result.reason) == ("failed", "command-failed")
        assert "Read-only file system" in reported[0].output_tail
