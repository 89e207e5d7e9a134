"""The built-in templates (entry points of ``codex_core.templates``) and what fills them.

A template is Markdown with ``${field}`` placeholders. :func:`manifest_fields` turns a run
manifest into the fields both templates share (run, task, pipeline, status, a stage list, the
guardrail summary, approvals, the learning-library stages that ran), so
``codex-core patterns render run-manifest-checklist --manifest .runs/.../manifest.json`` gives a
reviewer a checklist already filled from the run; the rest (``summary``, ``risks``,
``reviewer``...) come from ``--set field=value`` or stay visible as ``${field}`` to fill by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..assets import TemplateAsset

__all__ = ["IMPLEMENTATION_SUMMARY", "RUN_MANIFEST_CHECKLIST", "manifest_fields"]

_MANIFEST_FIELDS = (
    "task_id", "run_id", "pipeline_id", "status", "attempt", "artifact_root", "started_at",
    "completed_at", "stages", "guardrails", "approvals", "assets", "child_runs",
)  # fmt: skip

IMPLEMENTATION_SUMMARY = TemplateAsset(
    id="implementation-summary",
    version="1.0.0",
    description="A builder's implementation summary: what changed and why, files, checks, risks, follow-ups.",
    usage="codex-core patterns render implementation-summary --manifest .runs/T/cli/RUN/manifest.json --set author=me",
    package=__name__,
    resource="implementation-summary.md",
    fields=(*_MANIFEST_FIELDS, "author", "summary", "changes", "risks", "follow_ups"),
)

RUN_MANIFEST_CHECKLIST = TemplateAsset(
    id="run-manifest-checklist",
    version="1.0.0",
    description="A reviewer's checklist for a run manifest: stages, error artifacts, guardrails, approvals, diff, asset versions.",
    usage="codex-core patterns render run-manifest-checklist --manifest .runs/T/cli/RUN/manifest.json",
    package=__name__,
    resource="run-manifest-checklist.md",
    fields=(*_MANIFEST_FIELDS, "reviewer", "decision"),
)


def manifest_fields(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Template fields from a run manifest (as parsed JSON)."""
    commands = manifest.get("commands") or []
    stages = [
        f"- `{c.get('id')}` ({c.get('kind', 'command')}): {c.get('status')}"
        + (f", {c['summary']}" if c.get("summary") else "")
        + (f" (error artifact `{c['error_file']}`)" if c.get("error_file") else "")
        for c in commands
    ]
    library = [
        f"`{c.get('id')}`: {c.get('summary') or c.get('status')}"
        for c in commands
        if c.get("kind") in ("codemod", "lint")
    ]
    guard = manifest.get("guardrail_status")
    if isinstance(guard, Mapping):
        guardrails = (
            f"{guard.get('succeeded', 0)}/{guard.get('total', 0)} succeeded, "
            f"{guard.get('failed', 0)} failed, {guard.get('overridden', 0)} overridden "
            f"({guard.get('recommendation', '')})"
        )
    else:
        guardrails = "no guardrail summary in this manifest"
    approvals = manifest.get("approvals") or []
    children = manifest.get("child_runs") or []
    return {
        "task_id": str(manifest.get("task_id", "")),
        "run_id": str(manifest.get("run_id", "")),
        "pipeline_id": str(manifest.get("pipeline_id", "")),
        "status": str(manifest.get("status", "")),
        "attempt": str(manifest.get("attempt", 1)),
        "artifact_root": str(manifest.get("artifact_root", "")),
        "started_at": str(manifest.get("started_at") or "not started"),
        "completed_at": str(manifest.get("completed_at") or "not finished"),
        "stages": "\n".join(stages) or "- (no stages)",
        "guardrails": guardrails,
        "approvals": "; ".join(
            f"{a.get('actor')} approved by {a.get('approver')}: {a.get('reason')}"
            for a in approvals
        )
        or "none",
        "assets": "; ".join(library) or "none",
        "child_runs": ", ".join(str(c.get("run_id")) for c in children) or "none",
    }
