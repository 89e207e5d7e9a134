"""Empty collection calls → literals: ``dict()`` → ``{}``, ``list()`` → ``[]``, ``tuple()`` → ``()``.

The literal builds the same empty object without a name lookup and a call (flake8-comprehensions
C408 / ruff's ``unnecessary-collection-call``, for the no-argument case only). The rewrite is
made only when the name is the builtin (the module binds that name nowhere, in any scope, and
star-imports nothing: see :mod:`codex_core_patterns.bindings`) and the parentheses hold nothing
but whitespace (so no comment is lost). Parentheses around the call
itself are kept: ``(dict())`` → ``({})``.
"""

from __future__ import annotations

import re

import libcst as cst

from ..bindings import bound_names
from . import EMPTY_COLLECTION_CALL
from .base import PatternCodemod

_EMPTY_CALL = re.compile(r"(dict|list|tuple)\s*\(\s*\)")


def _literal(name: str, node: cst.Call) -> cst.BaseExpression:
    if name == "dict":
        return cst.Dict(elements=(), lpar=node.lpar, rpar=node.rpar)
    if name == "list":
        return cst.List(elements=(), lpar=node.lpar, rpar=node.rpar)
    # An empty tuple is its parentheses: keep any the call had around it, add one pair.
    return cst.Tuple(
        elements=(), lpar=[*node.lpar, cst.LeftParen()], rpar=[cst.RightParen(), *node.rpar]
    )


class EmptyCollectionCall(PatternCodemod):
    ASSET = EMPTY_COLLECTION_CALL
    _builtins: frozenset[str] = frozenset()  # set per module by transform_module_impl

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        bindings = bound_names(tree)
        self._builtins = (
            frozenset()
            if bindings.star_import
            else frozenset({"dict", "list", "tuple"}) - bindings.names
        )
        return super().transform_module_impl(tree)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = original_node.func
        if original_node.args or not isinstance(func, cst.Name):
            return updated_node
        name = func.value
        if name not in self._builtins:
            return updated_node
        bare = original_node.with_changes(lpar=(), rpar=())
        if not _EMPTY_CALL.fullmatch(self.module.code_for_node(bare)):
            return updated_node
        return _literal(name, updated_node)
