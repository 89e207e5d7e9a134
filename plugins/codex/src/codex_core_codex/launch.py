"""What every Codex backend does before it starts Codex: settings, binary, capabilities.

:func:`prepare` reads ``[codex]``, finds the binary, asks it what it is (in a worker thread: the
probe runs subprocesses) and checks it has the backend's subcommand. Anything wrong raises
:class:`CodexStartError` with the stage ``reason`` it should fail with.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs
import trio
from codex_core.backend_api import BackendContext, TurnResult
from codex_core.errors import CodexCoreError, ConfigError

from .binary import CodexBinary, CodexNotFoundError, find_binary
from .capabilities import CodexCapabilities, ProbeError, probe
from .settings import CodexSettings, check_against

REASON_SPAWN_FAILED = "spawn-failed"
REASON_INVALID_CONFIG = "invalid-config"
REASON_AGENT_ERROR = "agent-error"
REASON_TIMED_OUT = "timed-out"


class CodexStartError(CodexCoreError):
    """Codex could not be started for this session; ``reason`` is the stage's failure reason."""

    code = "codex-start-failed"

    def __init__(self, message: str, reason: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.details = details or {}


@attrs.frozen
class Launch:
    backend: str
    settings: CodexSettings
    binary: CodexBinary
    caps: CodexCapabilities

    def details(self, **more: Any) -> dict[str, Any]:
        """What every TurnResult of this session records about Codex."""
        return {
            "codex_version": self.caps.version,
            "codex_binary": os.fspath(self.binary.path),
            "backend": self.backend,
            **{k: v for k, v in more.items() if v is not None},
        }

    def refuse(self, sandbox: str, approval: str) -> TurnResult | None:
        """A failed TurnResult when the installed Codex does not accept these values."""
        problem = check_against(self.caps, self.backend, sandbox, approval)
        if problem is None:
            return None
        return TurnResult(
            status="failed",
            error=problem,
            reason=REASON_INVALID_CONFIG,
            details=self.details(sandbox=sandbox, approval_policy=approval),
        )

    def strict(self) -> list[str]:
        return (
            ["--strict-config"] if self.settings.strict_config and self.caps.strict_config else []
        )


async def prepare(ctx: BackendContext, backend: str) -> Launch:
    try:
        settings = CodexSettings.from_config(ctx.config)
        binary = find_binary(ctx.repo, settings.binary, ctx.env)
    except ConfigError as exc:
        raise CodexStartError(str(exc), REASON_INVALID_CONFIG) from None
    except CodexNotFoundError as exc:
        raise CodexStartError(str(exc), REASON_SPAWN_FAILED) from None
    try:
        caps = await trio.to_thread.run_sync(probe, binary, dict(ctx.env))
    except ProbeError as exc:
        raise CodexStartError(str(exc), REASON_SPAWN_FAILED) from None
    problem = check_against(caps, backend, None, None)
    if problem is not None:
        raise CodexStartError(problem, REASON_INVALID_CONFIG, {"codex_version": caps.version})
    ctx.log(f"codex: {caps.version_line} ({binary.path}, found via {binary.source}); backend {backend}\n")  # fmt: skip
    return Launch(backend=backend, settings=settings, binary=binary, caps=caps)


def repo_relative(path: str, repo: Path) -> str:
    """``path`` relative to the repo when it is inside it (as the manifest writes paths)."""
    if not Path(path).is_absolute():
        return path
    try:
        return Path(path).resolve().relative_to(repo.resolve()).as_posix()
    except (ValueError, OSError):
        return path
