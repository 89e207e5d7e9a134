"""The hook plugin (``codex_core.plugins`` entry point ``patterns``): the ``patterns`` command and a
doctor line.

Loaded whenever codex-core looks for contributed commands and by every run, so it imports
nothing heavy: the click group's module imports click only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codex_core import hookimpl

__all__ = ["PatternsPlugin", "plugin"]


class PatternsPlugin:
    @hookimpl
    def codex_cli_commands(self) -> list[Any]:
        from .cli import patterns

        return [patterns]

    @hookimpl
    def codex_doctor_checks(self, repo: Path, config: Any) -> list[Any]:
        from importlib.metadata import PackageNotFoundError, version

        from codex_core.hookspecs import DoctorCheck

        try:
            libcst = version("libcst")
        except PackageNotFoundError:
            return [DoctorCheck("patterns", False, "libcst is not installed")]
        return [
            DoctorCheck(
                "patterns",
                True,
                f"codex-core-patterns {version('codex-core-patterns')}, libcst {libcst}",
            )
        ]


plugin = PatternsPlugin()
