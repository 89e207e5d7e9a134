"""What a pipeline is: an ordered list of stage specs, as configured or assembled.

A :class:`StageSpec` is what a stage-kind plugin receives; keys a kind does not share with the
kernel (``role = "builder"`` for a role stage, say) are kept in ``options`` for that kind to read.
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class StageSpec:
    """One configured stage.

    ``command`` None means the repo has no command for this stage: it is ``skipped`` with
    ``skip_reason: no-command`` (adapters use that for, say, a repo without a linter).
    ``timeout`` is in seconds; ``guardrail`` marks stages that count as guardrails in metrics and
    in the manifest's guardrail summary; ``source`` names the adapter or plugin that contributed it.
    """

    id: str
    kind: str = "command"
    title: str | None = None
    command: str | None = None
    cwd: str | None = None
    env: dict[str, str] = attrs.field(factory=dict)
    timeout: float | None = None
    allow_failure: bool = False
    pipeline: str | None = None
    guardrail: bool = False
    source: str | None = None
    options: dict[str, Any] = attrs.field(factory=dict)

    @property
    def display_title(self) -> str:
        return self.title or self.id


@attrs.frozen
class Pipeline:
    """A named, ordered list of stages. ``source`` says where it came from (config, adapters...)."""

    id: str
    stages: tuple[StageSpec, ...]
    title: str | None = None
    source: str = "config"
    #: a pipeline that should have guardrails says so in its summary when it has none
    require_guardrails: bool = False
