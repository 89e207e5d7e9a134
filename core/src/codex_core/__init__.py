"""codex-core: run coding-agent pipelines on a repository, leave an auditable, resumable record.

This module stays cheap to import (``codex-core --version`` and ``status`` must not pay for trio):
the public API is re-exported lazily. See ``docs/api.md`` for what each name does.
"""

from __future__ import annotations

from .lazy import lazy_exports

__version__ = "0.1.0"

# public name -> module that defines it; imported on first attribute access.
_EXPORTS = {
    "StageSpec": "codex_core.pipeline",
    "Pipeline": "codex_core.pipeline",
    "StageContext": "codex_core.stage_api",
    "StageOutcome": "codex_core.stage_api",
    "CommandResult": "codex_core.stage_api",
    "StageKind": "codex_core.stage_api",
    "Adapter": "codex_core.adapter_api",
    "Backend": "codex_core.backend_api",
    "BackendContext": "codex_core.backend_api",
    "TurnRequest": "codex_core.backend_api",
    "TurnResult": "codex_core.backend_api",
    "Veto": "codex_core.hookspecs",
    "hookimpl": "codex_core.hookspecs",
    "Manifest": "codex_core.model",
    "OverrideRequest": "codex_core.model",
    "Approval": "codex_core.model",
    "CommandRecord": "codex_core.model",
    "write_atomic": "codex_core.atomic",
    "append_line": "codex_core.atomic",
    "contained_path": "codex_core.paths",
    "is_contained": "codex_core.paths",
    "validate_id": "codex_core.ids",
    "start_run": "codex_core.api",
    "run_pipeline": "codex_core.api",
    "RunResult": "codex_core.api",
}

__all__ = ["__version__", *sorted(_EXPORTS)]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
