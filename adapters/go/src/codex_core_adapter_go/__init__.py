"""codex-core's language adapter for Go (entry point ``codex_core.adapters:go``).

A repository is Go when it has a ``go.mod`` (a module) or a ``go.work`` (a workspace) at its
top. For it the adapter proposes the diagnostics pipeline's stages:

- ``build``: ``go build ./...``
- ``lint``: ``go vet ./...``
- ``test``: ``go test ./...``, or no command (stage skipped, ``no-command``) without a
  ``_test.go`` file; build and lint likewise have none when there is no ``.go`` file at all.

In a workspace ``./...`` becomes one pattern per ``use`` directory of go.work; the rules are in
:mod:`codex_core_adapter_go.commands`. ``matches`` and ``stages`` only read files: planning a run
never runs ``go``, which is needed only when the stages run.
"""

from __future__ import annotations

from pathlib import Path

from codex_core import StageSpec

from .commands import STEPS
from .layout import GoLayout

MARKERS = ("go.mod", "go.work")
SOURCE = "go"


class GoAdapter:
    """The ``go`` adapter: stevedore instantiates it with no arguments."""

    def matches(self, repo: Path) -> bool:
        return any((repo / name).is_file() for name in MARKERS)

    def stages(self, repo: Path) -> list[StageSpec]:
        layout = GoLayout(repo)
        return [
            StageSpec(id=step, kind="command", command=command(layout), source=SOURCE)
            for step, command in STEPS.items()
        ]


__all__ = ["GoAdapter"]
