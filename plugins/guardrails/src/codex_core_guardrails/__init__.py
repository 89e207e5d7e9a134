"""codex-core's guardrails, one module each (entry points in this distribution's pyproject.toml).

- :mod:`.spec_guard`: specs in ``tasks/index.json`` fresh, present, and changed with the code;
- :mod:`.policy`: the command policy voting through ``codex_guardrail_vote``;
- :mod:`.sandbox`: the path sandbox every write on an agent's behalf goes through;
- :mod:`.diff_budget`: the diff budget stage;
- :mod:`.redaction`: secret patterns for ``codex_redaction_patterns``.
"""
