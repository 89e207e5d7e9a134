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
        print(text, file=self.stream, flush=True)

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
    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.status: Any = None

    @hookimpl
    def codex_run_started(self, manifest: Any, run_dir: Any) -> None:
        self.console.print(
            f"[bold]run {manifest.run_id}[/bold]: {manifest.pipeline_id}, {len(manifest.commands)} stages"
        )

    @hookimpl
    def codex_stage_started(self, manifest: Any, record: Any) -> None:
        if manifest.parent_run_id is None:
            self.status = self.console.status(
                f"[{record.index}/{len(manifest.commands)}] {record.id}"
            )
            self.status.start()

    @hookimpl
    def codex_stage_finished(self, manifest: Any, record: Any) -> None:
        if self.status is not None and manifest.parent_run_id is None:
            self.status.stop()
            self.status = None
        style = _STYLE.get(record.status, "white")
        indent = "  " if manifest.parent_run_id else ""
        self.console.print(
            f"{indent}[{record.index}/{len(manifest.commands)}] {record.id}: [{style}]{_outcome(record)}[/{style}]",
            highlight=False,
        )

    @hookimpl
    def codex_run_finished(self, manifest: Any, run_dir: Any) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


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
