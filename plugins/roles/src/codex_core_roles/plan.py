"""A manager's plan: what it asks the agent for, and how the answer is read.

The manager asks for JSON::

    {"summary": "one line", "items": [{"title": "...", "details": "...", "executable": true}]}

``executable`` items are the builder's work (a change to make); others (``false``: a question, a
note, a check for later) are kept in the record but not built. An answer that holds no JSON
object is read as a list: each ``1.``, ``-`` or ``*`` line is an executable item. A plan without
one executable item is an error: there is nothing to build.
"""

from __future__ import annotations

import json
import re
from typing import Any

import attrs

_FENCE = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.S)
_LIST_LINE = re.compile(r"^\s*(?:\d+[.)]|[-*])\s+(.+?)\s*$")
MAX_ITEMS = 50


class PlanError(ValueError):
    pass


@attrs.frozen
class PlanItem:
    id: str
    title: str
    details: str = ""
    executable: bool = True

    def as_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class Plan:
    summary: str
    items: tuple[PlanItem, ...]

    @property
    def executable(self) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.items if i.executable)

    def as_json(self) -> dict[str, Any]:
        return {"summary": self.summary, "items": [i.as_json() for i in self.items]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(
            summary=str(data.get("summary", "")),
            items=tuple(PlanItem(**item) for item in data.get("items", [])),
        )

    def text(self) -> str:
        return "\n".join(
            f"{i.id}. {i.title}" + ("" if i.executable else " (not for the builder)")
            for i in self.items
        )


def planning_prompt(goal: str) -> str:
    return (
        "Plan the work for this goal in the repository (you may read files to plan; change "
        f"nothing).\n\nGoal: {goal}\n\n"
        "Answer with the plan as one JSON object and nothing else:\n"
        '{"summary": "<one line>", "items": [{"title": "<what to do>", "details": "<how, '
        'which files>", "executable": true}]}\n'
        "An item is executable when it is a change to the repository the builder can make. "
        "Keep the plan short: one item per coherent change."
    )


def _candidates(reply: str) -> list[str]:
    found = [m.group(1) for m in _FENCE.finditer(reply)]
    start, end = reply.find("{"), reply.rfind("}")
    if start != -1 and end > start:
        found.append(reply[start : end + 1])
    return found


def parse_plan(reply: str | None) -> Plan:
    """The plan in the manager's ``reply`` (see the module docstring); PlanError if none."""
    text = (reply or "").strip()
    if not text:
        raise PlanError("the manager's answer is empty")
    for candidate in _candidates(text):
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            return _from_data(data)
    lines = [m.group(1) for line in text.splitlines() if (m := _LIST_LINE.match(line))]
    if not lines:
        raise PlanError("the manager's answer holds no plan (no JSON object, no list)")
    items = tuple(PlanItem(str(n), title) for n, title in enumerate(lines[:MAX_ITEMS], start=1))
    return _checked(Plan(summary=lines[0], items=items))


def _from_data(data: dict[str, Any]) -> Plan:
    items = []
    for n, raw in enumerate(data["items"][:MAX_ITEMS], start=1):
        if isinstance(raw, str):
            raw = {"title": raw}
        if not isinstance(raw, dict) or not str(raw.get("title", "")).strip():
            raise PlanError(f"plan item {n} has no title: {raw!r}")
        executable = raw.get("executable", True)
        items.append(
            PlanItem(
                id=str(n),
                title=str(raw["title"]).strip(),
                details=str(raw.get("details") or "").strip(),
                executable=executable if isinstance(executable, bool) else True,
            )
        )
    return _checked(Plan(summary=str(data.get("summary") or "").strip(), items=tuple(items)))


def _checked(plan: Plan) -> Plan:
    if not plan.executable:
        raise PlanError(
            f"the plan has no executable item ({len(plan.items)} item(s), none a change to make)"
        )
    return plan
