"""Selecting the SDK's scripted model instead of a hosted one: for tests, documented, explicit.

A hosted model is the one thing tests cannot reach. The Agents SDK ships a deterministic stand-in,
:class:`agents.testing.ScriptedModel`; this module lets configuration pick it, so a ``codex-core``
subprocess (``codex-core run ... --backend agents``) can be driven by a script, with everything
else (the backend, the tools, the sandbox, the guardrail vote, MCP servers, the run store) real.

``[agents] model`` (or ``$CODEX_CORE_AGENTS_MODEL``, which wins) takes two test-only forms:

``scripted:PATH.json``
    A JSON script (PATH relative to the repository root, or absolute)::

        {"sessions": {"plan": [STEP, ...], "build": [STEP, ...]},   # by stage id
         "steps": [STEP, ...]}                                      # any other session

    Each backend session (one per stage) gets a fresh ``ScriptedModel`` with the steps listed
    under its stage id, else ``steps``. A bare list is ``{"steps": [...]}``. A STEP is one model
    response: a list of ITEMs, one ITEM, or ``{"output": [ITEM, ...], "usage": {...},
    "sleep": SECONDS}`` (``usage``: ``input_tokens``, ``output_tokens``; ``sleep`` waits before
    answering, for cancellation tests). An ITEM is ``{"message": TEXT}``, ``{"call": TOOL,
    "arguments": {...}}`` or ``{"handoff": ROLE}`` (the SDK's ``transfer_to_<role>`` tool).

``scripted:MODULE:FACTORY``
    ``FACTORY(ctx)`` is called with the session's :class:`~codex_core.backend_api.BackendContext`
    and returns an ``agents.models.interface.Model`` (normally a ``ScriptedModel``).

Nothing else selects a scripted model, and a model name without the ``scripted:`` prefix always
goes to the configured endpoint.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from pathlib import Path
from typing import Any

from codex_core.errors import ConfigError

PREFIX = "scripted:"


def is_scripted(model: str | None) -> bool:
    return bool(model) and str(model).startswith(PREFIX)


def scripted_model(spec: str, ctx: Any) -> Any:
    """The ``Model`` the ``scripted:`` spec names, for the session of ``ctx``."""
    target = spec[len(PREFIX) :].strip()
    if target.endswith(".json"):
        path = Path(target)
        if not path.is_absolute():
            path = Path(ctx.repo) / path
        return from_script(_load(path), stage_id=ctx.stage_id)
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"model {spec!r}: expected scripted:PATH.json or scripted:MODULE:FACTORY")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"model {spec!r}: cannot load {target}: {exc}") from None
    return factory(ctx)


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"scripted model {path}: {exc}") from None


def from_script(script: Any, *, stage_id: str | None = None) -> Any:
    """A ``ScriptedModel`` playing the steps of ``script`` meant for ``stage_id``."""
    from agents.testing import ScriptedModel

    if isinstance(script, list):
        script = {"steps": script}
    if not isinstance(script, dict):
        raise ConfigError("a model script is a JSON object or list")
    sessions = script.get("sessions") or {}
    steps = sessions.get(stage_id) if stage_id in sessions else script.get("steps", [])
    counter = iter(range(1, 1_000_000))
    return ScriptedModel([_step(step, counter) for step in steps or []])


def _step(step: Any, counter: Any) -> Any:
    from agents.testing import ModelStep
    from agents.usage import Usage

    if isinstance(step, dict) and "output" in step:
        items, usage, sleep = step["output"], step.get("usage"), step.get("sleep")
    else:
        items, usage, sleep = (step if isinstance(step, list) else [step]), None, None
    output = [_item(item, counter) for item in items]
    usage_obj = Usage()
    if usage:
        tokens_in, tokens_out = (
            int(usage.get("input_tokens", 0)),
            int(usage.get("output_tokens", 0)),
        )
        usage_obj = Usage(
            requests=1, input_tokens=tokens_in, output_tokens=tokens_out,
            total_tokens=int(usage.get("total_tokens", tokens_in + tokens_out)),
        )  # fmt: skip
    if not sleep:
        return ModelStep(output=output, usage=usage_obj)

    async def respond_later(call: Any) -> Any:
        await asyncio.sleep(float(sleep))
        return ModelStep(output=output, usage=usage_obj)

    return ModelStep.respond(respond_later)


def _item(item: Any, counter: Any) -> Any:
    from agents.testing import assistant_message, function_call

    if not isinstance(item, dict):
        raise ConfigError(f"a scripted model item is an object, got {item!r}")
    n = next(counter)
    if "message" in item:
        return assistant_message(str(item["message"]), item_id=f"msg_{n}")
    if "call" in item:
        return function_call(str(item["call"]), item.get("arguments", {}), call_id=f"call_{n}")
    if "handoff" in item:
        return function_call(f"transfer_to_{item['handoff']}", {}, call_id=f"call_{n}")
    raise ConfigError(f"a scripted model item needs 'message', 'call' or 'handoff': {item!r}")
