"""The spec guard: specs listed in ``tasks/index.json`` exist, are reviewed, and change with the code.

Three entry points of this distribution lead here:

- ``codex_core.guardrails:spec-guard`` is :class:`SpecGuard`: it adds the ``spec-guard`` stage
  to the assembled ``diagnostics`` pipeline and a line to ``codex-core doctor``;
- ``codex_core.stages:spec-guard`` is :class:`.stage.SpecGuardStage`, the stage kind;
- ``codex_core.plugins:spec-guard-cli`` is :data:`.cli.plugin`, the ``codex-core spec-guard``
  command (a one-stage run of the same stage kind).

The modules: :mod:`.specs` (the index, and specs' YAML front matter read with PyYAML),
:mod:`.gitdiff` (base and changed paths), :mod:`.globs` (``.gitignore`` path patterns, matched
by pathspec), :mod:`.settings` (``[guardrails.spec_guard]``), :mod:`.rules` (findings). This module stays cheap to import: the plugin loads with every ``codex-core`` command.
User documentation: ``docs/spec-guard.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codex_core import StageSpec, hookimpl
from codex_core.hookspecs import DoctorCheck

STAGE_ID = "spec-guard"
KIND = "spec-guard"
SOURCE = "codex-core-guardrails"

__all__ = ["KIND", "STAGE_ID", "SpecGuard", "spec_guard_stage"]


def spec_guard_stage(**options: Any) -> StageSpec:
    """The spec guard as a stage: what ``diagnostics`` gets and ``codex-core spec-guard`` runs."""
    return StageSpec(
        id=STAGE_ID, kind=KIND, title="Spec guard", guardrail=True, source=SOURCE, options=options
    )


class SpecGuard:
    """Entry point ``codex_core.guardrails:spec-guard``."""

    @hookimpl
    def codex_diagnostics_stages(self, repo: Path, config: Any) -> list[StageSpec]:
        from .settings import settings_from

        settings_from(config)  # a malformed [guardrails.spec_guard] stops the run before it starts
        return [spec_guard_stage()]

    @hookimpl
    def codex_doctor_checks(self, repo: Path, config: Any) -> list[DoctorCheck]:
        from codex_core.errors import UsageError

        from .settings import settings_from
        from .specs import load_index

        try:
            settings = settings_from(config)
            index = load_index(repo, settings.index)
        except UsageError as exc:
            return [DoctorCheck("spec guard", False, str(exc))]
        if index is None:
            return [DoctorCheck("spec guard", True, f"no {settings.index}: the spec guard skips")]
        return [DoctorCheck("spec guard", True, f"{settings.index}: {len(index.specs)} spec(s)")]
