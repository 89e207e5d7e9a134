"""``cancel``, ``pause`` and ``unpause``: requests to a running run's runner (see engine.control)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from .. import clock
from ..atomic import write_atomic
from ..errors import UsageError
from .output import emit_json, format_option, repo_option, resolve_repo


def _request(action: str, run: str, repo: Path, output_format: str) -> int:
    from ..model import TERMINAL_RUN_STATUSES
    from ..runlock import runner_alive
    from ..serialization import read_manifest
    from ..store import RunStore

    paths = RunStore(resolve_repo(repo)).locate(run)
    if paths.manifest.exists() and read_manifest(paths.manifest).status in TERMINAL_RUN_STATUSES:
        raise UsageError(f"run {paths.run_id} has already ended")
    if not runner_alive(paths.dir):
        raise UsageError(f"run {paths.run_id} has no live runner (resume it first)")
    actor = os.environ.get("USER", "unknown")
    request = {"action": action, "actor": actor, "requested_at": clock.now(), "pid": os.getpid()}
    write_atomic(paths.control, json.dumps(request) + "\n")
    if output_format == "json":
        emit_json({"run_id": paths.run_id, "requested": action})
    else:
        click.echo(f"{action} requested for run {paths.run_id}")
    return 0


def _make(action: str, help_text: str) -> click.Command:
    @click.command(name=action, help=help_text)
    @click.argument("run")
    @repo_option
    @format_option
    def command(run: str, repo: Path, output_format: str) -> int:
        return _request(action, run, repo, output_format)

    return command


cancel = _make(
    "cancel", "Cancel RUN: its running stage's processes are killed; the run ends cancelled."
)
pause = _make("pause", "Pause RUN before its next stage.")
unpause = _make("unpause", "Let a paused RUN go on.")
