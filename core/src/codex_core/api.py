"""Starting runs from Python: ``start_run`` (blocking) and ``run_pipeline`` (inside trio).

From another stage, use ``ctx.start_child_run(pipeline)`` instead: it records the child in the
parent's manifest (``child_runs[]``, the stage's ``sub_run_id``).

Example::

    from codex_core import start_run

    result = start_run("path/to/repo", "diagnostics", task="0001")
    print(result.status, result.manifest_path)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import attrs

from .kernel import Kernel
from .launch import prepare_run, task_from
from .model import Manifest, OverrideRequest
from .pipeline import Pipeline
from .planning import DEFAULT_PIPELINE


@attrs.frozen
class RunResult:
    run_id: str
    task_id: str
    status: str
    manifest_path: Path
    artifact_root: Path
    summary: str | None
    manifest: Manifest

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


async def run_pipeline(
    repo: str | os.PathLike[str],
    pipeline: str | Pipeline = DEFAULT_PIPELINE,
    *,
    task: str | None = None,
    parent_run_id: str | None = None,
    approval_policy: str | None = None,
    kernel: Kernel | None = None,
    overrides: Sequence[OverrideRequest] = (),
) -> RunResult:
    """Run ``pipeline`` on ``repo`` to the end, on the current trio loop.

    ``pipeline`` is a name (looked up as ``codex-core start`` does) or a :class:`Pipeline` built
    in code (a plugin's one-stage run, say), checked the same way before anything runs.
    ``overrides`` are guardrail overrides, as ``start --override`` gives them.
    """
    from .engine.runner import execute

    kernel = kernel or Kernel.for_repo(Path(repo).resolve())
    built = pipeline if isinstance(pipeline, Pipeline) else None
    prepared = prepare_run(
        kernel,
        built.id if built else str(pipeline),
        task_id=task_from(task),
        parent_run_id=parent_run_id,
        approval_policy=approval_policy,
        pipeline=built,
        overrides=overrides,
    )
    manifest = await execute(prepared)
    return result_of(prepared.paths, manifest)


def start_run(
    repo: str | os.PathLike[str], pipeline: str | Pipeline = DEFAULT_PIPELINE, **options: object
) -> RunResult:
    """Run ``pipeline`` on ``repo`` and block until it ends (starts its own trio loop)."""
    import functools

    import trio

    return trio.run(functools.partial(run_pipeline, repo, pipeline, **options))  # type: ignore[arg-type]


def result_of(paths: object, manifest: Manifest) -> RunResult:
    return RunResult(
        run_id=manifest.run_id,
        task_id=manifest.task_id,
        status=manifest.status,
        manifest_path=paths.manifest,  # type: ignore[attr-defined]
        artifact_root=paths.dir,  # type: ignore[attr-defined]
        summary=manifest.summary,
        manifest=manifest,
    )
