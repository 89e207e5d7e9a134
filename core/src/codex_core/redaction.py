"""Masking secrets in what a run writes: command logs, error artifacts, runner.log.

Patterns come from plugins (``codex_redaction_patterns``); the kernel adds none itself so that a
run with no guardrails installed pays nothing. Text is redacted a line at a time (the stage log
sink keeps a partial line back until its newline arrives) so a secret split across two reads of a
pipe is still caught.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MASK = "[REDACTED]"


class Redactor:
    def __init__(self, patterns: Sequence[re.Pattern[str]] = ()) -> None:
        self.patterns = tuple(patterns)

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def redact(self, text: str) -> str:
        for pattern in self.patterns:
            text = pattern.sub(MASK, text)
        return text

    def redact_bytes(self, data: bytes) -> bytes:
        if not self.patterns:
            return data
        return self.redact(data.decode("utf-8", "surrogateescape")).encode(
            "utf-8", "surrogateescape"
        )
