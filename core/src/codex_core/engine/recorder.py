"""The run's record keeper: the only writer of its manifest, and of its events and metrics lines.

Every manifest write is atomic (see :mod:`codex_core.atomic`). Events go to ``events.jsonl`` one
JSON object a line; each terminal transition of the run adds exactly one line to the task's
``metrics.jsonl``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .. import clock
from ..atomic import append_line, write_atomic
from ..model import Manifest
from ..redaction import Redactor
from ..serialization import manifest_to_json
from ..store import RunPaths, RunStore


def append_event(
    paths: RunPaths, event: str, redactor: Redactor | None = None, /, **fields: Any
) -> None:
    """Add one line to the run's ``events.jsonl`` (safe from any process)."""
    # The kernel's keys win over a plugin's fields of the same name.
    record = {**fields, "timestamp": clock.now(), "event": event, "run_id": paths.run_id}
    line = json.dumps(record, default=str)
    append_line(paths.events, redactor.redact(line) if redactor else line)


class RunRecorder:
    def __init__(
        self, paths: RunPaths, manifest: Manifest, redactor: Redactor | None = None
    ) -> None:
        self.paths = paths
        self.manifest = manifest
        self.redactor = redactor or Redactor()
        self._log_fd: int | None = None

    def save(self, *, final: bool = False) -> None:
        """Write the manifest. Intermediate writes skip the directory fsync (see write_atomic)."""
        self.manifest.updated_at = clock.now()
        text = self.redactor.redact(manifest_to_json(self.manifest))
        write_atomic(self.paths.manifest, text, sync_directory=final)

    def event(self, event: str, /, **fields: Any) -> None:
        append_event(self.paths, event, self.redactor, **fields)

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
        append_line(
            RunStore(self.paths.repo).metrics_path(m.task_id), json.dumps(line), durable=True
        )
        m.metrics_recorded = True

    def close(self) -> None:
        if self._log_fd is not None:
            os.close(self._log_fd)
            self._log_fd = None
