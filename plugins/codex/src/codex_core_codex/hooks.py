"""The hook-only plugin (entry point ``codex`` in ``codex_core.plugins``).

- ``codex_doctor_checks``: the installed Codex, its backends, whether ``[codex]`` fits it
  (:mod:`codex_core_codex.doctor`);
- ``codex_pipelines``: contributes no pipeline; it notes which repo is being planned so that
  plan-time checks of ``codex-command`` stages use that repo's Codex and ``[codex]``
  (:mod:`codex_core_codex.planning`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codex_core.hookspecs import DoctorCheck, hookimpl


class CodexHooks:
    @hookimpl
    def codex_doctor_checks(self, repo: Path, config: Any) -> list[DoctorCheck]:
        from .doctor import doctor_checks

        return list(doctor_checks(repo, config))

    @hookimpl
    def codex_pipelines(self, repo: Path, config: Any) -> list[Any]:
        from .planning import planning_for

        planning_for(repo, config)
        return []


plugin = CodexHooks()
