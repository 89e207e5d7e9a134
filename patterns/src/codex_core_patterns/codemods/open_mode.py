"""The redundant default mode of ``open()``: ``open(p, "r")`` / ``open(p, mode="rt")`` → ``open(p)``.

``"r"`` and ``"rt"`` are what the builtin ``open`` does without a mode (pyupgrade's UP015), so
dropping the argument changes nothing. The rewrite is made only when:

- ``open`` is the builtin: the module binds the name ``open`` nowhere (no import, assignment,
  parameter, ``def``, loop or ``with`` target... in any scope) and star-imports nothing (see
  :mod:`codex_core_patterns.bindings`); ``os.open``, ``io.open`` and ``path.open(...)`` are
  never touched;
- the mode is a plain string literal ``"r"`` or ``"rt"``, given as the second positional argument
  with no positional argument after it, or as ``mode=``;
- the call has no ``*args`` / ``**kwargs`` (which could supply the mode again or shift it);
- no comment sits in the removed text.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from ..bindings import bound_names
from . import OPEN_MODE
from .base import PatternCodemod, has_comment

DEFAULT_MODES = frozenset({"r", "rt"})


def _is_default_mode(node: cst.BaseExpression) -> bool:
    return (
        isinstance(node, cst.SimpleString)
        and "b" not in node.prefix.lower()
        and node.evaluated_value in DEFAULT_MODES
    )


class RedundantOpenMode(PatternCodemod):
    ASSET = OPEN_MODE
    _builtin_open = False  # set per module by transform_module_impl

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        bindings = bound_names(tree)
        self._builtin_open = "open" not in bindings.names and not bindings.star_import
        return super().transform_module_impl(tree)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if not m.matches(original_node.func, m.Name("open")):
            return updated_node
        args = list(updated_node.args)
        if any(a.star for a in args) or not args or args[0].keyword is not None:
            return updated_node
        positional = [i for i, a in enumerate(args) if a.keyword is None]
        index = None
        if len(positional) == 2 and positional[1] == 1 and _is_default_mode(args[1].value):
            index = 1
        else:
            for i, a in enumerate(args):
                if (
                    a.keyword is not None
                    and a.keyword.value == "mode"
                    and _is_default_mode(a.value)
                ):
                    index = i
        if index is None or not self._builtin_open:
            return updated_node
        removed = args[index]
        if has_comment(self.module, removed.with_changes(value=cst.Name("x"))):
            return updated_node
        if index == len(args) - 1:
            # The previous argument takes over the removed one's trailing comma (or its absence).
            args[index - 1] = args[index - 1].with_changes(comma=removed.comma)
        del args[index]
        return updated_node.with_changes(args=args)
