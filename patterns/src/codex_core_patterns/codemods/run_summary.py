"""Run-summary dicts get their missing fields: ``"started_at"``, ``"completed_at"``, ``"summary"``.

The Python counterpart of the original library's run-summary codemod. A *run-summary dict* is a
dict literal (``{...}``, not a ``dict(...)`` call or a comprehension) with the string-literal keys
``"run_id"`` and ``"status"`` and no ``**`` unpacking (which might already supply the fields).
Each missing field is appended, in that order, with the value ``None``.

The edit copies the dict's own layout: on one line the fields follow with ``, ``; in a
one-key-per-line dict each goes on its own line at the same indentation, a trailing comma stays a
trailing comma, and a comment after the last key stays on that key's line. The keys use the quote
character of the ``"run_id"`` key and the spacing around its colon.
"""

from __future__ import annotations

import libcst as cst

from . import RUN_SUMMARY_FIELDS
from .base import PatternCodemod

REQUIRED = ("run_id", "status")
ADDED = ("started_at", "completed_at", "summary")


def _key(element: cst.BaseDictElement) -> str | None:
    if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
        value = element.key.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _without_comments(ws: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())
    return ws


class RunSummaryFields(PatternCodemod):
    ASSET = RUN_SUMMARY_FIELDS

    def leave_Dict(self, original_node: cst.Dict, updated_node: cst.Dict) -> cst.BaseExpression:
        elements = list(updated_node.elements)
        if any(isinstance(e, cst.StarredDictElement) for e in elements):
            return updated_node
        keys = {_key(e): e for e in elements}
        if not all(k in keys for k in REQUIRED):
            return updated_node
        missing = [k for k in ADDED if k not in keys]
        if not missing:
            return updated_node
        model = keys["run_id"]
        assert isinstance(model, cst.DictElement) and isinstance(model.key, cst.SimpleString)
        quote = model.key.quote[0]
        last = elements[-1]
        before_last = elements[-2].comma
        separator = (
            cst.Comma(whitespace_after=_without_comments(before_last.whitespace_after))
            if isinstance(before_last, cst.Comma)
            else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        )
        tail = updated_node.rbrace.whitespace_before
        one_per_line = isinstance(separator.whitespace_after, cst.ParenthesizedWhitespace)
        indent = separator.whitespace_after
        if isinstance(indent, cst.ParenthesizedWhitespace) and isinstance(
            tail, cst.ParenthesizedWhitespace
        ):
            # The tail's first line (and a comment on it) belongs to the old last key's line.
            after_last = tail.with_changes(indent=True, last_line=indent.last_line)
            rbrace = updated_node.rbrace.with_changes(whitespace_before=_without_comments(tail))
        else:
            after_last, rbrace = separator.whitespace_after, updated_node.rbrace
        old_comma = last.comma
        last = last.with_changes(
            comma=cst.Comma(
                whitespace_before=(
                    old_comma.whitespace_before
                    if isinstance(old_comma, cst.Comma)
                    else cst.SimpleWhitespace("")
                ),
                whitespace_after=after_last,
            )
        )
        added = [
            cst.DictElement(
                key=cst.SimpleString(f"{quote}{name}{quote}"),
                value=cst.Name("None"),
                whitespace_before_colon=model.whitespace_before_colon,
                whitespace_after_colon=model.whitespace_after_colon,
                comma=separator,
            )
            for name in missing
        ]
        if isinstance(old_comma, cst.Comma):
            added[-1] = added[-1].with_changes(
                comma=old_comma.with_changes(whitespace_before=cst.SimpleWhitespace(""))
                if one_per_line
                else old_comma
            )
        else:
            added[-1] = added[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(elements=[*elements[:-1], last, *added], rbrace=rbrace)
