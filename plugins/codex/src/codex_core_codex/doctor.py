"""``codex-core doctor``: which Codex is installed, what it supports, whether ``[codex]`` fits it.

The checks :class:`~codex_core_codex.hooks.CodexHooks` contributes::

    ok   codex: codex-cli 0.169.0 (/repo/node_modules/.bin/codex, found via repo)
    ok   codex backends: codex (app-server): yes; codex-exec (exec --json): yes; codex-mcp (mcp-server): no
    ok   codex settings: backend codex, sandbox workspace-write, approval policy untrusted
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from codex_core.errors import ConfigError
from codex_core.hookspecs import DoctorCheck

_LABELS = {"codex": "codex (app-server)", "codex-exec": "codex-exec (exec --json)", "codex-mcp": "codex-mcp (mcp-server)"}  # fmt: skip


def doctor_checks(repo: Path, config: Any) -> Iterator[DoctorCheck]:
    from .binary import CodexNotFoundError, find_binary
    from .capabilities import ProbeError, probe
    from .settings import CodexSettings, check_against

    settings_error = None
    try:
        settings = CodexSettings.from_config(config)
    except ConfigError as exc:
        settings_error, settings = str(exc), CodexSettings()
    try:
        binary = find_binary(repo, settings.binary, os.environ)
        caps = probe(binary)
    except (CodexNotFoundError, ProbeError) as exc:
        yield DoctorCheck("codex", False, str(exc))
        if settings_error is not None:
            yield DoctorCheck("codex settings", False, settings_error)
        return
    yield DoctorCheck(
        "codex", True, f"{caps.version_line} ({binary.path}, found via {binary.source})"
    )
    supported = caps.backends()
    yield DoctorCheck(
        "codex backends",
        any(supported.values()),
        "; ".join(f"{_LABELS[name]}: {'yes' if ok else 'no'}" for name, ok in supported.items()),
    )
    if settings_error is not None:
        yield DoctorCheck("codex settings", False, settings_error)
        return
    sandbox = settings.sandbox_for(None)
    approval = settings.approval_for(None)
    problem = check_against(caps, settings.backend, sandbox, approval)
    yield DoctorCheck(
        "codex settings",
        problem is None,
        problem
        or f"backend {settings.backend}, sandbox {sandbox}, approval policy {approval}; "
        f"sandbox modes {', '.join(caps.sandbox_modes)}; approval policies "
        f"{', '.join(caps.approvals_for(settings.backend))}",
    )
