"""The ``agents`` backend: codex-core's backend protocol on the OpenAI Agents SDK.

Entry point ``codex_core.backends:agents``. A session (:meth:`AgentsBackend.session`) reads
``[agents]`` (:mod:`.settings`) and the MCP servers to attach (:mod:`.mcp_servers`); each
:meth:`AgentsSession.turn` runs the team of :mod:`.team` on its own asyncio loop in a worker
thread (:mod:`.bridge`), the model being whatever ``[agents] model`` names at the configured
OpenAI-compatible endpoint (or, for tests, the SDK's scripted model: :mod:`.scripted`).

Cancelling the trio task that awaits ``turn`` cancels the agent run (model call, tool, MCP
request, shell command) and returns only once it has stopped. ``TurnRequest.timeout_seconds``
ends a turn ``interrupted`` (``timed-out``) the same way, keeping what it did.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import trio
from codex_core.backend_api import SANDBOX_MODES, BackendContext, TurnRequest, TurnResult
from codex_core.errors import ConfigError
from codex_core.paths import contained_path

from .scripted import is_scripted, scripted_model
from .settings import AgentsSettings, settings_from

DEFAULT_SANDBOX = "workspace-write"


class AgentsBackend:
    """The backend object. ``model`` (tests, embedding) replaces the configured model: an SDK
    ``Model``, or a callable taking the session's BackendContext and returning one."""

    name = "agents"

    def __init__(self, model: Any = None) -> None:
        self._model = model

    @contextlib.asynccontextmanager
    async def session(self, ctx: BackendContext) -> AsyncIterator[AgentsSession]:
        # The SDK takes seconds to import: do it off the trio thread, and before any turn (so a
        # goal's time budget is spent on turns, not on imports).
        await trio.to_thread.run_sync(importlib.import_module, "codex_core_agents.turn")
        from .mcp_servers import configured_servers

        settings = settings_from(ctx.config)
        servers = configured_servers(ctx.config, settings.mcp_servers)
        yield AgentsSession(ctx, settings, servers, self._model)


class AgentsSession:
    def __init__(
        self, ctx: BackendContext, settings: AgentsSettings, servers: list[Any], model: Any
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.servers = servers
        self._given_model = model
        self._scripted: dict[str, Any] = {}

    def _model(self, request: TurnRequest) -> tuple[Any, str]:
        """The SDK model for this turn, and how to name it in logs."""
        if self._given_model is not None:
            model = self._given_model
            if callable(model) and not hasattr(model, "get_response"):
                model = self._given_model = model(self.ctx)
            return model, type(model).__name__
        name = self.settings.model_for(self.ctx.env, request.model)
        if is_scripted(name):
            assert name is not None
            if name not in self._scripted:  # one script per session: turns consume it in order
                self._scripted[name] = scripted_model(name, self.ctx)
            return self._scripted[name], name
        return name, name or "the SDK's default model"

    def _provider_factory(self) -> Any:
        s = self.settings
        key = self.ctx.env.get(s.api_key_env)
        if not key:
            if s.base_url is None:
                raise ConfigError(
                    f"the agents backend needs an API key in ${s.api_key_env} "
                    "(or [agents] base_url for an endpoint that needs none)"
                )
            key = "unused"  # local OpenAI-compatible servers often take no key

        def make() -> Any:
            from agents import OpenAIProvider

            return OpenAIProvider(
                api_key=key, base_url=s.base_url, use_responses=s.resolved_api == "responses"
            )

        return make

    async def turn(self, request: TurnRequest) -> TurnResult:
        from codex_core_guardrails.sandbox import Sandbox

        from .bridge import TrioPortal, run_on_asyncio
        from .state import TurnState
        from .turn import result_of, run_turn

        ctx = self.ctx
        mode = request.sandbox or DEFAULT_SANDBOX
        if mode not in SANDBOX_MODES:
            raise ConfigError(f"sandbox {mode!r}: expected one of {', '.join(SANDBOX_MODES)}")
        root = Path(ctx.repo).resolve()
        cwd = contained_path(root, request.cwd) if request.cwd else root
        model, model_name = self._model(request)
        make_provider = None if not isinstance(model, str | None) else self._provider_factory()
        state = TurnState(
            root=root, cwd=cwd, sandbox=Sandbox(root), portal=TrioPortal.current(), backend=ctx,
            env=dict(ctx.env), sandbox_mode=mode, command_timeout=self.settings.command_timeout,
        )  # fmt: skip
        ctx.log(f"agents turn: model {model_name}, sandbox {mode}, "
                f"MCP servers: {', '.join(s.name for s in self.servers) or 'none'}\n")  # fmt: skip

        async def in_asyncio() -> TurnResult:
            return await run_turn(
                state=state, request=request, settings=self.settings, model=model,
                provider=make_provider() if make_provider else None, servers=self.servers,
                run_dir=Path(ctx.run_dir) if ctx.run_dir else None,
            )  # fmt: skip

        with trio.move_on_after(request.timeout_seconds or float("inf")) as scope:
            result = await run_on_asyncio(in_asyncio)
        if scope.cancelled_caught:
            result = result_of(
                state, "interrupted", reason="timed-out",
                error=f"the turn took longer than {request.timeout_seconds:g}s",
            )  # fmt: skip
        ctx.event(
            "agent-turn-finished", status=result.status, reason=result.reason,
            model_calls=state.model_calls, total_tokens=state.total_tokens,
        )  # fmt: skip
        return result


__all__ = ["AgentsBackend", "AgentsSession"]
