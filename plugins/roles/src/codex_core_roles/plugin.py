"""The hook plugin (entry point ``codex_core.plugins:roles``): the ``implement`` pipeline and
the ``codex-core run`` command.

Loaded by every ``codex-core`` command, so it imports nothing heavy: the command's module is
imported when ``run`` is invoked (or listed by ``--help``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codex_core import hookimpl


class RolesPlugin:
    @hookimpl
    def codex_pipelines(self, repo: Path, config: Any) -> list[Any]:
        """``implement`` from ``[roles]`` (for ``codex-core start implement``; ``run`` builds its
        own, with the goal it is given). Without ``[roles] goal`` the pipeline is still listed,
        and refuses to start, saying how to give one."""
        from codex_core.errors import ConfigError

        from .goal import goal_from_options, roles_section
        from .pipeline import implement_pipeline, unconfigured_pipeline

        try:
            raw = dict(config.section("roles"))
        except ConfigError:
            raw = {}
        try:
            section = roles_section(config)
        except ConfigError:
            return [unconfigured_pipeline(raw)]  # the stages' validation names the bad key
        if not section.get("goal"):
            return [unconfigured_pipeline(section)]
        return [implement_pipeline(goal_from_options(section))]

    @hookimpl
    def codex_cli_commands(self) -> list[Any]:
        from .cli import run

        return [run]


plugin = RolesPlugin()
