"""Choosing, loading and wiring the agent backend a goal runs on.

Backends are plugins (``codex_core.backends``) loaded by name through the kernel; this module
depends on nothing but the backend protocol (:mod:`codex_core.backend_api`). ``auto`` picks
``codex`` when that backend is installed and a Codex binary is found (:func:`codex_usable`),
else ``agents``.

The :class:`~codex_core.backend_api.BackendContext` given to the backend routes its approval
requests to the stage's ``ctx.approve`` (the kernel's guardrail vote: every veto logged, recorded
as a ``guardrail-veto`` event and on the stage's record) and its events to the run's
``events.jsonl`` (and to the goal's budget, which watches usage).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codex_core.backend_api import BackendContext
from codex_core.errors import UsageError
from codex_core.hookspecs import Action, Veto

NAMESPACE = "codex_core.backends"
#: keyword names the kernel's event writer uses itself: a backend's field by that name is renamed
_RESERVED = frozenset({"paths", "event", "redactor", "run_id", "timestamp"})
AUTO = "auto"


class BackendUnavailable(UsageError):
    code = "backend-unavailable"


def codex_usable(kernel: Any) -> bool:
    """Whether the ``codex`` backend is installed and has a Codex binary to run.

    A backend object may say so itself with ``available(repo, env) -> bool``; otherwise a Codex
    counts as found when ``$CODEX_CORE_CODEX_BIN`` names one, the repository pins one
    (``node_modules/.bin/codex``), or ``codex`` is on ``PATH``.
    """
    backend = kernel.load_namespace(NAMESPACE, ["codex"]).get("codex")
    if backend is None:
        return False
    available = getattr(backend, "available", None)
    if callable(available):
        try:
            return bool(available(kernel.repo, dict(os.environ)))
        except Exception:
            return False
    named = os.environ.get("CODEX_CORE_CODEX_BIN")
    if named:
        return os.access(named, os.X_OK)
    pinned = Path(kernel.repo) / "node_modules" / ".bin" / "codex"
    return os.access(pinned, os.X_OK) or shutil.which("codex") is not None


def resolve_backend_name(kernel: Any, name: str | None) -> str:
    """The backend a goal runs on: ``name``, or for ``auto`` / None the default."""
    if name and name != AUTO:
        return name
    return "codex" if codex_usable(kernel) else "agents"


def load_backend(kernel: Any, name: str) -> Any:
    backend = kernel.load_namespace(NAMESPACE, [name]).get(name)
    if backend is None:
        broken = [f.error for f in kernel.failures if f.namespace == NAMESPACE and f.name == name]
        why = f" (it failed to load: {broken[0]})" if broken else ""
        raise BackendUnavailable(f"no agent backend {name!r} is installed{why}")
    return backend


def backend_context(
    ctx: Any, workdir: Path, *, on_event: Callable[[str, dict[str, Any]], None] | None = None
) -> BackendContext:
    """The BackendContext of a role stage (``ctx``, a StageContext) working in ``workdir``."""

    async def approve(action: Action) -> list[Veto]:
        if getattr(ctx, "approve", None) is not None:  # the kernel's: votes, logs and records
            return list(ctx.approve(action))
        vetoes = ctx.kernel.vote(action)
        if vetoes:
            found = [{"reason": v.reason, "rule": v.rule, "guardrail": v.guardrail} for v in vetoes]
            emit("guardrail-veto", action=action.kind, command=action.command, vetoes=found)
            ctx.log("".join(f"denied by {v.guardrail}: {v.reason}\n" for v in vetoes))
        return vetoes

    def emit(name: str, **fields: Any) -> None:
        fields.pop("stage_id", None)  # the run adds the stage's own id
        for key in _RESERVED & fields.keys():  # names the event writer itself takes
            fields[f"agent_{key}"] = fields.pop(key)
        if ctx.event is not None:
            ctx.event(name, **fields)
        if on_event is not None:
            on_event(name, fields)

    return BackendContext(
        repo=workdir, run_dir=ctx.run_dir, run_id=ctx.run_id, stage_id=ctx.spec.id,
        env=dict(ctx.env), log=ctx.log, event=emit, approve=approve, config=ctx.config,
    )  # fmt: skip
