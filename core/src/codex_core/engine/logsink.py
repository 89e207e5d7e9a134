"""A stage's log file: output appended as it arrives, secrets masked a whole line at a time."""

from __future__ import annotations

import os
from pathlib import Path

from ..redaction import Redactor

_MAX_PARTIAL = 64 * 1024  # a line longer than this is redacted in pieces rather than held back


class LogSink:
    def __init__(self, path: Path, redactor: Redactor) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self._redactor = redactor
        self._partial = b""

    def write(self, data: bytes) -> None:
        if not self._redactor:
            os.write(self._fd, data)
            return
        data = self._partial + data
        head, newline, tail = data.rpartition(b"\n")
        if newline:
            os.write(self._fd, self._redactor.redact_bytes(head + newline))
            self._partial = tail
        else:
            self._partial = data
        if len(self._partial) > _MAX_PARTIAL:
            os.write(self._fd, self._redactor.redact_bytes(self._partial))
            self._partial = b""

    def text(self, text: str) -> None:
        self.write(text.encode())

    def close(self) -> None:
        if self._fd < 0:
            return
        if self._partial:
            os.write(self._fd, self._redactor.redact_bytes(self._partial))
            self._partial = b""
        os.close(self._fd)
        self._fd = -1
