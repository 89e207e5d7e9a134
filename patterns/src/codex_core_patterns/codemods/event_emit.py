"""Event-bus calls ``emit("name", payload)`` → ``emit({"type": "name", "payload": payload})``.

The Python counterpart of the original library's event codemod, for a codebase moving its bus to
one event-object argument. What counts as an event bus: a call ``<receiver>.emit(...)`` whose
receiver's last name is one of the ``receivers`` option (default ``bus``, ``event_bus``,
``eventbus``, ``events``, ``emitter``, ``event_emitter``), so ``bus.emit``, ``self.bus.emit`` and
``app.events.emit`` qualify while ``socketio.emit``, ``signal.emit`` and a bare ``emit(...)`` do
not. Only calls with exactly two positional arguments whose first is a plain string literal are
rewritten; ``emit(name_var, payload)``, ``emit(f"...", payload)``, ``emit("name")`` and keyword
forms stay as they are. The new keys use the literal's own quote character, and a comment
between the two arguments (which the rewrite would drop) leaves the call untouched.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import libcst as cst

from . import EVENT_EMIT
from .base import PatternCodemod, has_comment


class EventEmitPayload(PatternCodemod):
    ASSET = EVENT_EMIT

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        default = " ".join(EVENT_EMIT.options["receivers"])
        arg_parser.add_argument(
            "--receivers", nargs="+", default=None,
            help=f"receiver names whose .emit() is an event bus (default: {default})",
        )  # fmt: skip

    def __init__(
        self, context: object = None, receivers: Sequence[str] | None = None, **options: object
    ) -> None:
        if receivers is not None:
            options["receivers"] = tuple(receivers)
        super().__init__(context, **options)  # type: ignore[arg-type]
        self.receivers = frozenset(self.options["receivers"])

    def _is_bus(self, func: cst.BaseExpression) -> bool:
        if not isinstance(func, cst.Attribute) or func.attr.value != "emit":
            return False
        receiver = func.value
        name = (
            receiver.value
            if isinstance(receiver, cst.Name)
            else receiver.attr.value
            if isinstance(receiver, cst.Attribute)
            else None
        )
        return name in self.receivers

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if len(original_node.args) != 2 or not self._is_bus(original_node.func):
            return updated_node
        name_arg, payload_arg = updated_node.args
        if any(a.keyword is not None or a.star for a in (name_arg, payload_arg)):
            return updated_node
        literal = name_arg.value
        if not isinstance(literal, cst.SimpleString) or "b" in literal.prefix.lower():
            return updated_node
        if has_comment(self.module, name_arg.with_changes(value=cst.Name("x"))):
            return updated_node
        quote = literal.quote[0]
        event = cst.Dict(
            elements=[
                cst.DictElement(cst.SimpleString(f"{quote}type{quote}"), literal),
                cst.DictElement(
                    cst.SimpleString(f"{quote}payload{quote}"),
                    payload_arg.value,
                    comma=cst.MaybeSentinel.DEFAULT,
                ),
            ]
        )
        single = cst.Arg(
            value=event,
            comma=payload_arg.comma,
            whitespace_after_arg=payload_arg.whitespace_after_arg,
        )
        return updated_node.with_changes(args=(single,))
