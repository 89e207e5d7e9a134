"""The adapter protocol: what a language adapter plugin (``codex_core.adapters``) provides.

An adapter says whether it recognises a repository and, if so, which build, lint and test stages
the ``diagnostics`` pipeline should run there. A stage whose ``command`` is None tells the kernel
the repo has no such command: it is recorded ``skipped`` with ``skip_reason: no-command``.

Entry point::

    [project.entry-points."codex_core.adapters"]
    python = "codex_core_adapter_python:PythonAdapter"
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from .pipeline import StageSpec

DIAGNOSTIC_STEPS = ("build", "lint", "test")


@runtime_checkable
class Adapter(Protocol):
    """A language adapter."""

    def matches(self, repo: Path) -> bool:
        """True when this adapter recognises ``repo`` (from its files; must not run anything)."""
        ...

    def stages(self, repo: Path) -> list[StageSpec]:
        """The build, lint and test stages for ``repo``, in that order (ids from DIAGNOSTIC_STEPS)."""
        ...
