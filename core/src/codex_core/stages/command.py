"""The ``command`` stage kind: one shell command; its exit code decides the stage.

By default the kernel runs the command itself (``ctx.run_command``: guardrail vote, own process
group, output to the stage's log). ``backend = "NAME"`` hands the stage to the agent backend of
that name (a ``codex_core.backends`` plugin implementing
:class:`~codex_core.backend_api.CommandStageBackend`), which runs the command through its agent,
one turn per command::

    stages = [{ id = "test", command = "pytest -q", backend = "codex" }]

``backend = "local"`` (or no ``backend``) is the kernel's own way. A backend that is not
installed, or that cannot run commands, is a plan-time error, so a typo never silently changes
where a command runs; so is any other option the chosen runner does not take. The kernel only
looks backends up by name: it never imports a plugin of its own accord.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..model import SKIP_NO_COMMAND
from ..pipeline import StageSpec
from ..stage_api import StageContext, StageOutcome

BACKENDS = "codex_core.backends"
#: ``backend = "local"``: the kernel runs the command itself (the default)
LOCAL = "local"


class CommandStage:
    def validate(self, spec: StageSpec, kernel: Any = None) -> None:
        """Plan time: no option but ``backend``, unless that backend takes more (it says)."""
        options = dict(spec.options)
        name = options.pop("backend", None)
        if name is None or name == LOCAL:
            _no_options(spec, options)
            return
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"stage {spec.id!r}.backend: expected a backend name, got {name!r}")
        if kernel is None:  # a caller checking the spec alone: run() finds the backend
            return
        backend = command_backend(kernel, spec.id, name)
        check = getattr(backend, "validate_command_stage", None)
        if check is not None:
            check(spec, kernel)
        else:
            _no_options(spec, options)

    async def run(self, ctx: StageContext) -> StageOutcome:
        if not ctx.spec.command:
            return StageOutcome(
                "skipped", skip_reason=SKIP_NO_COMMAND, summary="no command for this stage"
            )
        name = ctx.spec.options.get("backend")
        if name is not None and name != LOCAL:
            try:
                backend = command_backend(ctx.kernel, ctx.spec.id, name)
            except ConfigError as exc:  # planned elsewhere, or uninstalled since
                return StageOutcome("failed", summary=str(exc), reason="invalid-config")
            return await backend.run_command_stage(ctx)
        result = await ctx.run_command(ctx.spec.command)
        return StageOutcome.from_command(result)


def command_backend(kernel: Any, stage_id: str, name: str) -> Any:
    """The backend ``name`` when it is installed and can run a command stage; else ConfigError."""
    backend = kernel.load_namespace(BACKENDS, [name]).get(name)
    if backend is None:
        from ..discovery import installed

        broken = [f.error for f in kernel.failures if f.namespace == BACKENDS and f.name == name]
        if broken:
            raise ConfigError(f"stage {stage_id!r}: backend {name!r} failed to load: {broken[0]}")
        known = sorted({LOCAL, *(p.name for p in installed([BACKENDS]))})
        raise ConfigError(
            f"stage {stage_id!r}: unknown backend {name!r} (one of: {', '.join(known)})"
        )
    if not callable(getattr(backend, "run_command_stage", None)):
        raise ConfigError(f"stage {stage_id!r}: backend {name!r} cannot run a command stage")
    return backend


def _no_options(spec: StageSpec, options: dict[str, Any]) -> None:
    if options:
        raise ConfigError(
            f"stage {spec.id!r}: unknown key(s) for a command stage: {', '.join(sorted(options))}"
        )
