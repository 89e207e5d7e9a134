"""The hook-only side of codex-core-mcp (entry point ``mcp`` in ``codex_core.plugins``).

Two things: ``doctor`` checks for the configured servers, and remembering the configuration a
pipeline is being looked up in. The kernel calls a stage kind's ``validate(spec)`` with the spec
alone, but whether ``server = "x"`` names a configured server depends on the repo's config; the
kernel asks ``codex_pipelines(repo, config)`` just before it validates a pipeline's stages, so the
config seen there is the one the ``mcp`` stage kind checks against (see
:meth:`codex_core_mcp.stage.McpStage.validate`).

This module is imported by every command that builds a kernel: it must stay cheap (no ``mcp``,
no ``anyio``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from codex_core.errors import ConfigError
from codex_core.hookspecs import DoctorCheck, hookimpl

_remembered: list[Any] = []


def remembered_config() -> Any | None:
    """The config of the latest pipeline lookup in this process, or None."""
    return _remembered[0] if _remembered else None


class McpPlugin:
    @hookimpl
    def codex_pipelines(self, repo: Path, config: Any) -> list[Any]:
        _remembered[:] = [config]
        return []

    @hookimpl
    def codex_doctor_checks(self, repo: Path, config: Any) -> list[DoctorCheck]:
        from .spec import servers_from_config  # only doctor needs it; every run loads this module

        try:
            servers = servers_from_config(config)
        except ConfigError as err:
            return [DoctorCheck("mcp servers", False, str(err))]
        checks = []
        for name, spec in sorted(servers.items()):
            if spec.transport != "stdio":
                checks.append(DoctorCheck(f"mcp server {name}", True, spec.describe()))
                continue
            program = spec.command[0]
            where = spec.cwd or repo
            if os.sep in program:
                path = Path(where, program)
                ok = path.is_file() and os.access(path, os.X_OK)
            else:
                ok = shutil.which(program) is not None
            detail = spec.describe() + ("" if ok else f" ({program} not found or not executable)")
            checks.append(DoctorCheck(f"mcp server {name}", ok, detail))
        return checks


plugin = McpPlugin()
