"""The run's record keeper: the only writer of its manifest, and of its events and metrics lines.

Every manifest write is atomic (see :mod:`codex_core.atomic`). Intermediate writes go through a
:class:`~codex_core.engine.writer.ManifestWriter` thread, so the next stage starts while the last
one's manifest is fsynced; the final write is made on the runner's own thread, after everything
before it is on disk, with the directory fsynced. Events go to ``events.jsonl`` one JSON object a
line; each terminal transition of the run adds exactly one line to the task's ``metrics.jsonl``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .. import clock
from ..atomic import AtomicBatch, append_line, append_line_to, open_for_append, write_atomic
from ..model import Manifest
from ..redaction import Redactor
from ..serialization import manifest_to_json
from ..store import RunPaths, RunStore
from .writer import ManifestWriter

_REDACTED_LINES_KEPT = 4096


def append_event(
    paths: RunPaths, event: str, redactor: Redactor | None = None, /, **fields: Any
) -> None:
    """Add one line to the run's ``events.jsonl`` (safe from any process)."""
    append_line(paths.events, _event_line(paths, event, redactor, fields))


def _event_line(paths: RunPaths, event: str, redactor: Redactor | None, fields: Any) -> str:
    # The kernel's keys win over a plugin's fields of the same name.
    record = {**fields, "timestamp": clock.now(), "event": event, "run_id": paths.run_id}
    line = json.dumps(record, default=str)
    return redactor.redact(line) if redactor else line


class RunRecorder:
    def __init__(
        self, paths: RunPaths, manifest: Manifest, redactor: Redactor | None = None
    ) -> None:
        self.paths = paths
        self.manifest = manifest
        self.redactor = redactor or Redactor()
        self._log_fd: int | None = None
        self._events_fd: int | None = None  # kept open: two events a stage, no open() for each
        self._metrics_fd: int | None = None  # a metrics line written, not yet fsynced
        self._writer = ManifestWriter(paths.manifest)
        self._redacted_lines: dict[str, str] = {}

    def _manifest_text(self) -> str:
        """The manifest as written: serialised, and redacted a line at a time.

        Each save repeats every finished command's line unchanged, and redacting that text again
        was a third of a save's cost; a line seen before is looked up instead (bounded).
        """
        if not self.redactor:
            return manifest_to_json(self.manifest)
        seen = self._redacted_lines
        if len(seen) > _REDACTED_LINES_KEPT:
            seen.clear()

        def redacted(line: str) -> str:
            done = seen.get(line)
            if done is None:
                done = seen[line] = self.redactor.redact(line)
            return done

        return manifest_to_json(self.manifest, redacted)

    def save(self, *, final: bool = False) -> None:
        """Write the manifest: in the background, or (``final``) now and with the directory fsync.

        The snapshot is serialised (and redacted) here, on the caller's thread, so it is one
        consistent state whatever the run does next, and the writer thread only waits on the
        disk: it never holds the GIL long enough to delay the trio thread. See
        :mod:`codex_core.engine.writer` for the ordering and crash guarantees of background writes.
        """
        self.manifest.updated_at = clock.now()
        text = self._manifest_text()
        if not final:
            self._writer.submit(text)
            return
        try:
            self._writer.supersede()
        except Exception as exc:  # the final write below supersedes the one that failed
            self.log(f"an intermediate manifest write failed: {type(exc).__name__}: {exc}")
        if self._metrics_fd is None:
            write_atomic(self.paths.manifest, text)
            return
        # The metrics line (record_metrics) is fsynced together with the manifest's temp copy:
        # the manifest that says ``metrics_recorded`` appears only once both are on disk.
        batch = AtomicBatch()
        batch.add(self.paths.manifest, text)
        try:
            batch.commit(sync_fds=[self._metrics_fd])
        except OSError as exc:  # as a failed durable append did: say so, and write without it
            self.log(f"could not record metrics: {exc}")
            self.manifest.metrics_recorded = False
            write_atomic(self.paths.manifest, self._manifest_text())
        finally:
            self._close_metrics(sync=False)

    def event(self, event: str, /, **fields: Any) -> None:
        if self._events_fd is None:
            self._events_fd = open_for_append(self.paths.events)
        append_line_to(self._events_fd, _event_line(self.paths, event, self.redactor, fields))

    def log(self, text: str) -> None:
        """A line in ``runner.log``: what the runner did, for a person reading after the fact."""
        if self._log_fd is None:
            self._log_fd = os.open(
                self.paths.runner_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644
            )
        line = f"{clock.now()} {self.redactor.redact(text)}\n"
        os.write(self._log_fd, line.encode())

    def beat(self, *, final: bool = False) -> None:
        """Refresh the heartbeat file and the manifest's ``heartbeat_at``."""
        stamp = clock.now()
        write_atomic(self.paths.heartbeat, stamp + "\n", durable=False)
        self.manifest.heartbeat_at = stamp
        self.save(final=final)

    def write_error(
        self, index: int, stage_id: str, command: str | None, reason: str, details: dict[str, Any]
    ) -> str:
        """Write ``errors/NN-<stage>.json`` in the original tool's shape; returns its repo path."""
        path = self.paths.errors_dir / f"{index:02d}-{stage_id}.json"
        artifact = {
            "run_id": self.paths.run_id,
            "task_id": self.paths.task_id,
            "command_index": index,
            "command_id": stage_id,
            "command": command,
            "reason": reason,
            "details": details,
            "created_at": clock.now(),
        }
        text = self.redactor.redact(json.dumps(artifact, indent=2, default=str)) + "\n"
        write_atomic(path, text)
        return self.paths.rel(path)

    def record_metrics(self, duration_seconds: float) -> None:
        """One line for this terminal transition in ``.runs/<task>/metrics.jsonl``."""
        m = self.manifest
        line = {
            "run_id": m.run_id,
            "task_id": m.task_id,
            "pipeline_id": m.pipeline_id,
            "attempt": m.attempt,
            "status": m.status,
            "duration_seconds": round(duration_seconds, 3),
            "commands_passed": sum(c.status == "succeeded" for c in m.commands),
            "commands_failed": sum(c.status == "failed" for c in m.commands),
            "guardrails_present": any(c.guardrail for c in m.commands),
            "recorded_at": clock.now(),
        }
        # The line is written now and made durable with the final manifest, which says it was
        # recorded (see save): one wait on the disk for both instead of one after the other.
        fd = open_for_append(RunStore(self.paths.repo).metrics_path(m.task_id))
        try:
            append_line_to(fd, json.dumps(line))
        except BaseException:
            os.close(fd)
            raise
        self._close_metrics()
        self._metrics_fd = fd
        m.metrics_recorded = True

    def _close_metrics(self, *, sync: bool = True) -> None:
        fd, self._metrics_fd = self._metrics_fd, None
        if fd is None:
            return
        try:
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)

    def close(self) -> None:
        """Finish pending manifest writes and stop the writer thread; close runner.log.

        Called before the runner lock is released (and safe to call twice), so no write of this
        run can land after another process may have taken the run over.
        """
        self._writer.close()
        try:  # a metrics line never made durable with a final manifest is synced here
            self._close_metrics()
        except OSError as exc:
            self.log(f"could not record metrics: {exc}")
        if self._events_fd is not None:
            os.close(self._events_fd)
            self._events_fd = None
        if self._log_fd is not None:
            os.close(self._log_fd)
            self._log_fd = None
