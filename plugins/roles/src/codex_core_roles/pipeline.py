"""The ``implement`` pipeline: manager plans, builder changes, tester checks, reviewer decides.

One stage per role, all of kind ``role``, each carrying the goal in its options (see
:mod:`.goal`). The tester's stage may fail without ending the run (``allow_failure``): failing
tests are a finding the reviewer decides on, so a run always ends with the reviewer's decision
once something was built. The reviewer's stage is a guardrail stage: ``--override review
--reason ... --approver ...`` lets a rejected change pass, recorded as an approval.
"""

from __future__ import annotations

from codex_core.pipeline import Pipeline, StageSpec

from .goal import Goal

PIPELINE_ID = "implement"
KIND = "role"
SOURCE = "codex-core-roles"
STAGES = (
    # stage id, role, title
    ("plan", "manager", "Manager: plan"),
    ("build", "builder", "Builder: change"),
    ("test", "tester", "Tester: diagnostics"),
    ("review", "reviewer", "Reviewer: decision"),
)
TITLE_CHARS = 72


def _stages(options: dict[str, object]) -> tuple[StageSpec, ...]:
    return tuple(
        StageSpec(
            id=stage_id,
            kind=KIND,
            title=stage_title,
            source=SOURCE,
            allow_failure=role == "tester",
            guardrail=role == "reviewer",
            options={"role": role, **options},
        )
        for stage_id, role, stage_title in STAGES
    )


def implement_pipeline(goal: Goal) -> Pipeline:
    title = goal.text.strip().splitlines()[0]
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1] + "…"
    return Pipeline(
        id=PIPELINE_ID, title=f"Implement: {title}", source=SOURCE, stages=_stages(goal.options())
    )


def unconfigured_pipeline(options: dict[str, object]) -> Pipeline:
    """``implement`` without a goal: listed, but its stages refuse to start (no ``goal``)."""
    return Pipeline(
        id=PIPELINE_ID,
        title='Implement a goal (codex-core run "GOAL")',
        source=SOURCE,
        stages=_stages(options),
    )
