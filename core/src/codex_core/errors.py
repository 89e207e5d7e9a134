"""The exceptions codex-core raises, in layers.

Each error carries the exit code the CLI maps it to and a short machine-readable ``code`` used in
``--format json`` error objects (``{"error": {"code": ..., "message": ...}}``). Errors caused by
what the user gave us (bad ids, unknown pipelines, malformed config or manifests) subclass
:class:`UsageError` and exit 2; a run that ran and failed is not an exception at all.
"""

from __future__ import annotations


class CodexCoreError(Exception):
    """Base class of every error codex-core raises on purpose."""

    exit_code = 1
    code = "error"


class UsageError(CodexCoreError, ValueError):
    """Bad input from outside: exit 2, one clear line, nothing on disk changed."""

    exit_code = 2
    code = "bad-input"


class InvalidIdError(UsageError):
    """A task, run or stage id that is not safe to build a path from."""

    code = "invalid-id"


class ConfigError(UsageError):
    """A malformed ``codex-core.toml`` / ``[tool.codex-core]``, or a pipeline that cannot be built."""

    code = "bad-config"


class UnknownPipelineError(ConfigError, LookupError):
    code = "unknown-pipeline"


class UnknownStageKindError(ConfigError, LookupError):
    code = "unknown-stage-kind"


class UnknownRunError(UsageError, LookupError):
    code = "unknown-run"


class ManifestError(UsageError):
    """A manifest (or compatibility pointer) that cannot be read; names the file and the field."""

    code = "bad-manifest"


class ResumeRefusedError(UsageError):
    """``resume`` said no: wrong token, a succeeded run, or a runner still alive."""

    code = "resume-refused"


class RunnerBusyError(UsageError):
    """Another process holds the run's runner lock."""

    code = "runner-alive"


class PathEscapeError(UsageError, PermissionError):
    """A path that would land outside its root, or inside ``.git``."""

    code = "path-escape"
