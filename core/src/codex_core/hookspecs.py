"""The cross-cutting hooks, in lifecycle order: the one pluggy hookspec module of codex-core.

Capabilities (stage kinds, adapters, guardrails, roles, ...) are found by entry point, one
namespace per kind (see :mod:`codex_core.discovery`); this module only carries what cuts across
them. Every loaded extension object is registered on the plugin manager, so an adapter or a stage
kind may implement any hook below simply by defining a method decorated with ``@hookimpl``.
Plugins that only implement hooks register in the ``codex_core.plugins`` namespace.

Quick start for a hook-only plugin (``pyproject.toml``)::

    [project.entry-points."codex_core.plugins"]
    audit = "my_audit:plugin"

and in ``my_audit.py``::

    from codex_core import hookimpl

    class Audit:
        @hookimpl
        def codex_stage_finished(self, manifest, record):
            print(record.id, record.status)

    plugin = Audit()
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

if TYPE_CHECKING:
    import re

    from .config import Config
    from .model import CommandRecord, Manifest
    from .pipeline import Pipeline, StageSpec

PROJECT = "codex_core"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@attrs.frozen
class Veto:
    """A guardrail's "no": why, and which rule of which guardrail said it."""

    reason: str
    rule: str | None = None
    guardrail: str | None = None


@attrs.frozen
class Action:
    """Something about to happen on the repository that guardrails vote on.

    ``kind`` is ``"command"`` for a shell command a stage is about to run; backends add their own
    kinds (a Codex approval request, a file write). ``command`` is the command line when there is
    one, ``paths`` the files concerned when known.
    """

    kind: str
    repo: Path
    run_id: str
    stage_id: str | None = None
    command: str | None = None
    cwd: Path | None = None
    paths: tuple[str, ...] = ()
    details: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class DoctorCheck:
    """One line of ``codex-core doctor``: ``ok`` False makes doctor exit 1."""

    name: str
    ok: bool
    detail: str = ""


# -------------------------------------------------------------------------------------------
# Configuration: what plugins contribute before anything runs
# -------------------------------------------------------------------------------------------


@hookspec
def codex_cli_commands() -> Iterable[Any]:
    """Contribute commands to the ``codex-core`` CLI.

    Called when a command name is not a built-in one, and for ``--help``.

    :returns: click commands; their names must not clash with built-in commands.
    """


@hookspec
def codex_pipelines(repo: Path, config: Config) -> Iterable[Pipeline]:
    """Contribute named pipelines (the roles plugin's ``implement``, say).

    A pipeline the repo's own config defines under the same name wins.

    :param repo: the repository root.
    :param config: the repo's configuration.
    """


@hookspec
def codex_diagnostics_stages(repo: Path, config: Config) -> Iterable[StageSpec]:
    """Contribute stages appended to the assembled ``diagnostics`` pipeline.

    Only used when the repo does not configure ``diagnostics`` itself; guardrail plugins use it
    (the spec guard, say). Stages should set ``guardrail=True`` when they are guardrails.
    """


@hookspec
def codex_redaction_patterns(config: Config) -> Iterable[str | re.Pattern[str]]:
    """Contribute regular expressions whose matches are masked in everything a run logs.

    Collected once per run; each match is replaced by ``[REDACTED]`` in command logs, error
    artifacts and ``runner.log``.
    """


@hookspec
def codex_doctor_checks(repo: Path, config: Config) -> Iterable[DoctorCheck]:
    """Contribute checks to ``codex-core doctor`` (a tool is installed, a version fits, ...)."""


# -------------------------------------------------------------------------------------------
# Runs: lifecycle observers, in the order they are called
# -------------------------------------------------------------------------------------------


@hookspec
def codex_run_started(manifest: Manifest, run_dir: Path) -> None:
    """A run (or a resumed attempt of one) has started; ``manifest.attempt`` says which."""


@hookspec
def codex_stage_started(manifest: Manifest, record: CommandRecord) -> None:
    """A stage is about to run; ``record.status`` is ``running``."""


@hookspec
def codex_guardrail_vote(action: Action) -> Veto | None:
    """Vote on ``action`` before it happens.

    Every implementation is called, whatever the others answered, so every objection is
    recorded. Return None to allow, a :class:`Veto` to block with a reason; raising counts as a
    veto whose reason is the exception's message (a broken guardrail fails closed).
    """


@hookspec
def codex_stage_finished(manifest: Manifest, record: CommandRecord) -> None:
    """A stage has ended: ``record.status`` is ``succeeded``, ``failed`` or ``skipped``."""


@hookspec
def codex_run_finished(manifest: Manifest, run_dir: Path) -> None:
    """A run attempt has reached a terminal status (``manifest.status``)."""
