"""codex-core's language adapter for Python repositories (entry point ``codex_core.adapters:python``).

A repository is Python when it has a ``pyproject.toml``, ``setup.py`` or ``setup.cfg`` at its top.
For it the adapter proposes the diagnostics pipeline's ``build``, ``lint`` and ``test`` stages,
with commands picked from what the repo actually uses and run in its own environment when it has
one; the rules are in :mod:`codex_core_adapter_python.commands`. ``matches`` and ``stages`` only
read files: planning a run never executes the repository's code.
"""

from __future__ import annotations

from pathlib import Path

from codex_core import StageSpec

from .commands import STEPS
from .environment import find_env
from .project import PythonProject

MARKERS = ("pyproject.toml", "setup.py", "setup.cfg")
SOURCE = "python"


class PythonAdapter:
    """The ``python`` adapter: stevedore instantiates it with no arguments."""

    def matches(self, repo: Path) -> bool:
        return any((repo / name).is_file() for name in MARKERS)

    def stages(self, repo: Path) -> list[StageSpec]:
        project, env = PythonProject(repo), find_env(repo)
        return [
            StageSpec(id=step, kind="command", command=command(project, env), source=SOURCE)
            for step, command in STEPS.items()
        ]


__all__ = ["PythonAdapter"]
