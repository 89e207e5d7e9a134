"""The four roles as SDK agents, and the handoffs between them.

Every turn starts at the **manager**, the team's triage agent: it answers planning requests
itself and hands the work on otherwise. The handoff chain is manager -> builder -> tester ->
reviewer (the manager may also hand straight to the tester or the reviewer, for a turn that only
checks or only reviews). Each agent gets the tools of its role (:data:`.tools.ROLE_TOOLS`), the
attached MCP servers, and the turn's extra instructions (``TurnRequest.instructions`` and
``[agents.instructions]``).
"""

from __future__ import annotations

from typing import Any

from agents import Agent

from .tools import tools_for

ROLE_INSTRUCTIONS = {
    "manager": (
        "You are the manager of a small software team working in a git repository. "
        "When the request asks for a plan, answer with the plan yourself, in the format the "
        "request asks for. When it asks for a change to be made, hand off to the builder; when "
        "it only asks for checks to run, hand off to the tester; when it asks for a review, hand "
        "off to the reviewer."
    ),
    "builder": (
        "You are the builder. Make the requested change in the repository with your tools "
        "(read_file, list_files, write_file, delete_file, run_command). Paths are relative to "
        "the repository root. Never touch .git or anything outside the repository. Keep the "
        "change as small as the request allows. When the change is made, hand off to the tester "
        "if there are checks to run, or reply with a short summary of what you changed."
    ),
    "tester": (
        "You are the tester. Run the project's checks with run_command and report what passed "
        "and what failed, with the relevant output. Then hand off to the reviewer, or reply "
        "with the results."
    ),
    "reviewer": (
        "You are the reviewer. Judge the change against the request: is it correct, complete "
        "and no larger than needed? Answer in the format the request asks for."
    ),
}

#: who each role may hand off to
HANDOFFS = {
    "manager": ("builder", "tester", "reviewer"),
    "builder": ("tester",),
    "tester": ("reviewer",),
    "reviewer": (),
}
HANDOFF_DESCRIPTIONS = {
    "builder": "Makes changes to the repository's files.",
    "tester": "Runs the project's checks and reports the results.",
    "reviewer": "Reviews a change and decides whether it is acceptable.",
}


def build_team(
    *,
    sandbox_mode: str,
    tool_guardrails: list[Any],
    mcp_servers: list[Any],
    extra: dict[str, str],
    turn_instructions: str | None,
    input_guardrails: list[Any],
) -> dict[str, Agent[Any]]:
    """The four agents for one turn, wired with their handoffs; the manager starts."""
    team: dict[str, Agent[Any]] = {}
    for role in ("reviewer", "tester", "builder", "manager"):  # handoff targets first
        text = "\n\n".join(
            part for part in (ROLE_INSTRUCTIONS[role], extra.get(role), turn_instructions) if part
        )
        team[role] = Agent(
            name=role,
            instructions=text,
            handoff_description=HANDOFF_DESCRIPTIONS.get(role),
            tools=tools_for(role, sandbox_mode, tool_guardrails),
            mcp_servers=list(mcp_servers),
            handoffs=[team[target] for target in HANDOFFS[role]],
            input_guardrails=list(input_guardrails) if role == "manager" else [],
        )
    return team
