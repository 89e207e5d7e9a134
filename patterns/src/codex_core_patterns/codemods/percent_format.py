"""printf-style ``"... %s ..." % x`` → an f-string, only where the f-string is valid here.

The conversion itself is libcst's ``ConvertPercentFormatStringCommand`` (only ``%s``, only a
plain string literal on the left, only "simple" expressions on the right: names, attributes,
subscripts, calls, literals, or a tuple of them). What this codemod adds is the check its
evaluation on real code showed was missing: libcst writes f-strings that reuse their own quote,
or a backslash, inside a replacement field (``f'"{v.replace('"', '\\\\"')}"'``), which only
Python 3.12 and later can parse. Each candidate f-string is compiled on the interpreter running
the codemod; one that does not compile is left as the ``%`` expression it was, so a file is
converted everywhere it safely can be instead of failing as a whole.

A dict or set display on the right (``"%s" % {"k": v}``) is left alone: in the f-string its
braces would read as escaped braces (``f"{{'k': v}}"`` is the text ``{'k': v}``, not the dict's
value), a change of meaning that still compiles.

One caveat is libcst's rule, kept as is: ``"%s" % name`` is converted even though ``name``
could hold a tuple at run time (``"%s" % (1,)`` is ``"1"``, ``f"{(1,)}"`` is ``"(1,)"``). The
projects' own test suites in the evaluation are the check that this does not bite.
"""

from __future__ import annotations

import warnings

import libcst as cst
from libcst.codemod.commands.convert_percent_format_to_fstring import (
    ConvertPercentFormatStringCommand,
)

from . import PERCENT_FORMAT
from .base import PatternCodemod

_BRACED = (cst.Dict, cst.Set, cst.DictComp, cst.SetComp)


def _braced(node: cst.BaseExpression) -> bool:
    """A dict or set display, alone or in the tuple of operands."""
    if isinstance(node, cst.Tuple):
        return any(isinstance(e.value, _BRACED) for e in node.elements)
    return isinstance(node, _BRACED)


def compiles(code: str, mode: str = "eval") -> bool:
    """Whether ``code`` compiles here; warnings (an ``is`` with a literal, an old escape) are
    not errors, whatever the process's warning filters say."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(code, "<codemod output>", mode, dont_inherit=True)
        except SyntaxError:
            return False
    return True


class PercentFormat(PatternCodemod, ConvertPercentFormatStringCommand):
    ASSET = PERCENT_FORMAT

    def leave_BinaryOperation(
        self, original_node: cst.BinaryOperation, updated_node: cst.BinaryOperation
    ) -> cst.BaseExpression:
        if _braced(original_node.right):
            return updated_node
        converted = ConvertPercentFormatStringCommand.leave_BinaryOperation(
            self, original_node, updated_node
        )
        if converted is original_node:
            return updated_node
        try:
            compile(
                f"({self.module.code_for_node(converted)})", "<f-string>", "eval", dont_inherit=True
            )
        except SyntaxError:
            return updated_node
        return converted
