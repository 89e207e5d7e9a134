"""Live stage progress for ``start`` and ``resume``, written to stderr.

On a terminal: rich, coloured, with a spinner on the running stage. Piped: one plain line per
stage event, so logs and CI output stay readable. It is a pluggy plugin like any other: it only
observes the lifecycle hooks.
"""

from __future__ import annotations

import sys
from typing import Any

from ..hookspecs import hookimpl

_STYLE = {"succeeded": "green", "failed": "red", "skipped": "yellow", "running": "cyan"}


class PlainProgress:
    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr

    def _line(self, text: str) -> None:
        # One write() a line (print() makes two: the text, then the newline).
        self.stream.write(text + "\n")
        self.stream.flush()

    @hookimpl
    def codex_run_started(self, manifest: Any, run_dir: Any) -> None:
        attempt = f" (attempt {manifest.attempt})" if manifest.attempt > 1 else ""
        self._line(
            f"run {manifest.run_id}: {manifest.pipeline_id}, {len(manifest.commands)} stages{attempt}"
        )

    @hookimpl
    def codex_stage_started(self, manifest: Any, record: Any) -> None:
        self._line(f"[{record.index}/{len(manifest.commands)}] {record.id}: running")

    @hookimpl
    def codex_stage_finished(self, manifest: Any, record: Any) -> None:
        self._line(f"[{record.index}/{len(manifest.commands)}] {record.id}: {_outcome(record)}")


class RichProgress:
    """Coloured lines and a spinner; child runs (sub-pipelines) are indented under their stage."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False)
        self.status: Any = None
        self.depth = 0  # how many runs are open: a child run started by a stage is depth 2

    def _stop_spinner(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None

    @hookimpl
    def codex_run_started(self, manifest: Any, run_dir: Any) -> None:
        self._stop_spinner()
        indent = "  " * self.depth
        self.depth += 1
        stages = len(manifest.commands)
        self.console.print(
            f"{indent}[bold]run {manifest.run_id}[/bold]: {manifest.pipeline_id}, {stages} stages"
        )

    @hookimpl
    def codex_stage_started(self, manifest: Any, record: Any) -> None:
        self._stop_spinner()
        indent = "  " * (self.depth - 1)
        self.status = self.console.status(
            f"{indent}[{record.index}/{len(manifest.commands)}] {record.id}"
        )
        self.status.start()

    @hookimpl
    def codex_stage_finished(self, manifest: Any, record: Any) -> None:
        self._stop_spinner()
        style = _STYLE.get(record.status, "white")
        indent = "  " * (self.depth - 1)
        self.console.print(
            f"{indent}[{record.index}/{len(manifest.commands)}] {record.id}: [{style}]{_outcome(record)}[/{style}]"
        )

    @hookimpl
    def codex_run_finished(self, manifest: Any, run_dir: Any) -> None:
        self._stop_spinner()
        self.depth -= 1


def _outcome(record: Any) -> str:
    text = record.status
    if record.skip_reason:
        text += f" ({record.skip_reason})"
    elif record.summary and record.status == "failed":
        text += f" ({record.summary})"
    if record.duration_seconds is not None:
        text += f" in {record.duration_seconds:.2f}s"
    return text


def make_progress() -> Any:
    return RichProgress() if sys.stderr.isatty() else PlainProgress()
