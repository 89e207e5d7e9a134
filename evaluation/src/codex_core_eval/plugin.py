"""The hook plugin (``codex_core.plugins`` entry point ``eval``): the ``eval`` command and a
doctor line saying whether uv (which makes each target's venv) is there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codex_core import hookimpl

__all__ = ["EvalPlugin", "plugin"]


class EvalPlugin:
    @hookimpl
    def codex_cli_commands(self) -> list[Any]:
        from .cli import eval_command

        return [eval_command]

    @hookimpl
    def codex_doctor_checks(self, repo: Path, config: Any) -> list[Any]:
        from codex_core.hookspecs import DoctorCheck

        from .suite import EnvironmentError_, find_uv

        try:
            uv = find_uv()
        except EnvironmentError_ as exc:
            return [DoctorCheck("eval", False, str(exc))]
        return [DoctorCheck("eval", True, f"target venvs made with {uv}")]


plugin = EvalPlugin()
