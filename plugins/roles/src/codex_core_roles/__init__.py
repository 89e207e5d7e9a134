"""codex-core-roles: manager, builder, tester and reviewer, the ``implement`` pipeline, ``run``.

``codex-core run "GOAL"`` starts ``implement`` as a normal run: the manager plans
(:mod:`.manager`, plan items in the manifest), the builder changes the repository through an
agent backend and records ``diff.patch`` (:mod:`.builder`), the tester runs ``diagnostics`` as a
child run (:mod:`.tester`), the reviewer decides (:mod:`.reviewer`). Every step is a stage of
kind ``role`` (:mod:`.stage`); the roles are plugins in ``codex_core.roles`` (:mod:`.job` has
their protocol). Budgets: :mod:`.budget`; worktrees and diffs: :mod:`.workspace`; backends:
:mod:`.backends`. User documentation: ``docs/roles.md``.
"""
