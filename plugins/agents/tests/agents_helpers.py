"""Helpers for the agents backend's tests: a BackendContext wired to a real kernel's vote."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

from codex_core import hookimpl
from codex_core.backend_api import BackendContext
from codex_core.hookspecs import Action, Veto
from codex_core.kernel import Kernel
from codex_core.testing import make_repo

HERE = Path(__file__).parent
MCP_SERVER = HERE / "mcp_demo_server.py"


def repo_with(tmp_path: Path, toml: str = "", files: dict[str, str] | None = None) -> Path:
    extra = {"codex-core.toml": textwrap.dedent(toml)} if toml else {}
    return make_repo(tmp_path / "repo", {"README.md": "demo\n", **extra, **(files or {})})


def mcp_config() -> str:
    return f"""
        [mcp.servers.demo]
        command = [{str(sys.executable)!r}, {str(MCP_SERVER)!r}]
    """


class Recorder:
    """What a backend reported: log text, events, and the actions put to the vote."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.events: list[dict[str, Any]] = []
        self.actions: list[Action] = []

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == name]


class VetoWhen:
    """A guardrail plugin vetoing the actions ``deny(action)`` says yes to."""

    def __init__(self, deny: Any, reason: str = "not on my watch") -> None:
        self.deny = deny
        self.reason = reason

    @hookimpl
    def codex_guardrail_vote(self, action: Action) -> Veto | None:
        return Veto(self.reason, rule="test-rule") if self.deny(action) else None


def backend_context(
    repo: Path, *, recorder: Recorder, plugins: tuple[Any, ...] = (), stage_id: str = "build",
    run_dir: Path | None = None, env: dict[str, str] | None = None,
) -> BackendContext:  # fmt: skip
    import os

    kernel = Kernel.for_repo(repo)
    kernel.guardrails()
    for i, plugin in enumerate(plugins):
        kernel.register(plugin, name=f"test-plugin-{i}")
    run_dir = run_dir or repo / ".runs-test"
    run_dir.mkdir(parents=True, exist_ok=True)

    async def approve(action: Action) -> list[Veto]:
        recorder.actions.append(action)
        return kernel.vote(action)

    return BackendContext(
        repo=repo, run_dir=run_dir, run_id="test-run", stage_id=stage_id,
        env={**os.environ, **(env or {})}, log=recorder.log.append,
        event=lambda name, **fields: recorder.events.append({"event": name, **fields}),
        approve=approve, config=kernel.config,
    )  # fmt: skip


def scripted_factory(ctx: Any) -> Any:
    """A ``scripted:MODULE:FACTORY`` target: the SDK's ScriptedModel with one answer."""
    from agents.testing import ScriptedModel, assistant_message

    return ScriptedModel([[assistant_message(f"hello from {ctx.stage_id}")]])
