"""The hook-only plugin (entry point ``codex`` in ``codex_core.plugins``).

- ``codex_doctor_checks``: the installed Codex, its backends, whether ``[codex]`` fits it
  (:mod:`codex_core_codex.doctor`).

(Plan-time checks of stages run by Codex need no hook: the kernel hands the planning kernel,
with its repo and configuration, to ``validate(spec, kernel)``.)
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


plugin = CodexHooks()
