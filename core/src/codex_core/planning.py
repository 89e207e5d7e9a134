"""Turning a pipeline name into the stages a run will execute.

Where a pipeline comes from, first match wins: the repo's config, then pipelines plugins
contribute (``codex_pipelines``), then, for ``diagnostics`` only, one assembled from the adapters
that recognise the repo (build, lint, test) followed by the stages guardrail plugins contribute.
Every stage is checked before anything runs: its kind must be installed (and accept the spec),
sub-pipelines must exist, and no pipeline may include itself.
"""

from __future__ import annotations

from .adapter_api import DIAGNOSTIC_STEPS
from .discovery import LoadFailure
from .errors import ConfigError, UnknownPipelineError, UnknownStageKindError
from .ids import id_problem
from .kernel import Kernel
from .pipeline import Pipeline, StageSpec

DEFAULT_PIPELINE = "diagnostics"


def available(kernel: Kernel) -> dict[str, Pipeline]:
    """Every pipeline the repo's config and the plugins define (diagnostics is added on demand)."""
    found = {p.id: p for p in kernel.contributed_pipelines()}
    found.update(kernel.config.pipelines)
    return found


def resolve(kernel: Kernel, name: str) -> Pipeline:
    """The pipeline called ``name``, validated; raises a UsageError subclass when it cannot run."""
    pipeline = _find(kernel, name)
    check(kernel, pipeline, chain=(pipeline.id,))
    return pipeline


def _find(kernel: Kernel, name: str) -> Pipeline:
    if id_problem(name):
        raise UnknownPipelineError(f"invalid pipeline name {name!r}: {id_problem(name)}")
    # The repo's config wins over every plugin's pipelines (see available()), so a pipeline it
    # defines needs no plugin asked: building theirs is most of a short run's planning time.
    configured = kernel.config.pipelines.get(name)
    if configured is not None:
        return configured
    pipelines = available(kernel)
    if name in pipelines:
        return pipelines[name]
    if name == DEFAULT_PIPELINE:
        return assemble_diagnostics(kernel)
    known = ", ".join(sorted({*pipelines, DEFAULT_PIPELINE}))
    raise UnknownPipelineError(f"unknown pipeline {name!r} (known: {known})")


def assemble_diagnostics(kernel: Kernel) -> Pipeline:
    """Build, lint and test from each adapter that recognises the repo, then guardrail stages."""
    proposed: list[tuple[str, list[StageSpec]]] = []
    for name, adapter in sorted(kernel.adapters().items()):
        try:  # a broken adapter is reported (plugins --check, doctor), not a crash of the run
            if adapter.matches(kernel.repo):
                proposed.append((name, list(adapter.stages(kernel.repo))))
        except Exception as err:
            kernel.failures.append(
                LoadFailure("codex_core.adapters", name, f"{type(err).__name__}: {err}")
            )
    stages: list[StageSpec] = []
    for name, adapter_stages in proposed:
        overrides = adapter_overrides(kernel, name)
        for stage in adapter_stages:
            stage_id = stage.id if len(proposed) == 1 else f"{name}-{stage.id}"
            source = stage.source or name
            if stage.id in overrides:
                stage = _with(stage, command=overrides[stage.id] or None)
                source = f"{source}, overridden by the repo's config"
            stages.append(_with(stage, id=stage_id, source=source))
    kernel.guardrails()  # loaded so their hooks are registered before asking for stages
    stages.extend(kernel.diagnostics_stages())
    if not stages:
        broken = "".join(
            f"; adapter {f.name} failed: {f.error}"
            for f in kernel.failures
            if f.namespace == "codex_core.adapters"
        )
        raise ConfigError(
            f"no adapter recognises {kernel.repo} and no [pipelines.{DEFAULT_PIPELINE}] is configured "
            f"(installed adapters: {', '.join(sorted(kernel.adapters())) or 'none'}){broken}"
        )
    adapters = ", ".join(name for name, _ in proposed) or "none"
    return Pipeline(
        id=DEFAULT_PIPELINE,
        title=f"Diagnostics ({adapters})",
        stages=tuple(stages),
        source=f"adapters: {adapters}",
        require_guardrails=True,
    )


def adapter_overrides(kernel: Kernel, adapter: str) -> dict[str, str | bool]:
    """``[adapters.<name>]``: a step's command replaced (a string) or removed (``false``)."""
    table = kernel.config.section("adapters").get(adapter, {})
    where = f"{kernel.config.path}: adapters.{adapter}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    for step, value in table.items():
        if step not in DIAGNOSTIC_STEPS:
            raise ConfigError(
                f"{where}.{step}: unknown step (one of: {', '.join(DIAGNOSTIC_STEPS)})"
            )
        if value is not False and not (isinstance(value, str) and value.strip()):
            raise ConfigError(f"{where}.{step}: expected a command string or false")
    return table


def _takes_kernel(validate: object) -> bool:
    """``validate(spec)`` or ``validate(spec, kernel)``: the second form sees repo and config."""
    import inspect

    try:
        parameters = inspect.signature(validate).parameters  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return len(parameters) >= 2


def _with(stage: StageSpec, **changes: object) -> StageSpec:
    import attrs

    return attrs.evolve(stage, **changes)


def check(kernel: Kernel, pipeline: Pipeline, chain: tuple[str, ...]) -> None:
    seen: set[str] = set()
    for stage in pipeline.stages:
        if id_problem(stage.id):
            raise ConfigError(
                f"pipeline {pipeline.id!r}: stage id {stage.id!r} {id_problem(stage.id)}"
            )
        if stage.id in seen:
            raise ConfigError(f"pipeline {pipeline.id!r}: stage id {stage.id!r} appears twice")
        seen.add(stage.id)
        kind = kernel.stage_kind(stage.kind)
        if kind is None:
            broken = [
                f.error
                for f in kernel.failures
                if f.namespace == "codex_core.stages" and f.name == stage.kind
            ]
            why = f" (it failed to load: {broken[0]})" if broken else ""
            raise UnknownStageKindError(
                f"pipeline {pipeline.id!r}, stage {stage.id!r}: unknown stage kind {stage.kind!r}{why}"
            )
        validate = getattr(kind, "validate", None)
        if validate is not None:
            try:
                if _takes_kernel(validate):
                    validate(stage, kernel)
                else:
                    validate(stage)
            except ConfigError as exc:  # say where: the kind only sees the stage
                raise type(exc)(f"pipeline {pipeline.id!r}, stage {stage.id!r}: {exc}") from None
        if stage.kind == "subpipeline":
            target = stage.pipeline or ""
            if target in chain:
                raise ConfigError(
                    f"pipeline {pipeline.id!r}, stage {stage.id!r}: includes itself ({' -> '.join((*chain, target))})"
                )
            check(kernel, _find(kernel, target), chain=(*chain, target))


__all__ = [
    "DEFAULT_PIPELINE",
    "DIAGNOSTIC_STEPS",
    "assemble_diagnostics",
    "available",
    "check",
    "resolve",
]
