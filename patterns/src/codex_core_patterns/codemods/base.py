"""The base class of the built-in codemods: a libcst ``VisitorBasedCodemodCommand`` with its asset.

A subclass sets ``ASSET`` (its :class:`~codex_core_patterns.assets.CodemodAsset`); the class then
carries the asset's ``NAME``, ``VERSION``, ``DESCRIPTION`` and ``PRECHECK`` too, so the same class
runs unchanged under ``python -m libcst.tool codemod`` and under codex-core's runner.

Two things make it cheaper than its libcst base, measured at roughly half the transform time
on real code:

- plain ``CSTTransformer`` dispatch: the matcher-decorator bookkeeping of
  ``MatcherDecoratableTransformer`` runs on every node even when no method uses ``@m.visit`` /
  ``@m.call_if_inside``. A subclass that does use those decorators sets
  ``MATCHER_DECORATORS = True`` to get libcst's dispatch back;
- no defensive copy of a tree the runner has just parsed: libcst wraps the tree in a
  ``MetadataWrapper``, which deep-copies it so that no node is shared; a fresh parse shares
  none, so the runner marks its tree (``context.scratch[FRESH_TREE]``) and the copy is skipped
  for that tree only. Any other caller (``libcst.tool``, a test) gets libcst's behaviour.

Helpers here keep edits byte-for-byte minimal: a node whose rewrite would drop a comment is
left alone (``has_comment``), and new whitespace is copied from what is already there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, ClassVar

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.metadata import MetadataWrapper

from ..assets import CodemodAsset

__all__ = ["FRESH_TREE", "PatternCodemod", "has_comment"]

#: context.scratch key: the Module the runner just parsed (safe to wrap without a copy)
FRESH_TREE = "codex_core_patterns.fresh_tree"


class PatternCodemod(VisitorBasedCodemodCommand):
    ASSET: ClassVar[CodemodAsset]
    NAME: ClassVar[str]
    VERSION: ClassVar[str]
    PRECHECK: ClassVar[tuple[bytes, ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        asset = cls.__dict__.get("ASSET")
        if asset is not None:
            cls.NAME, cls.VERSION = asset.id, asset.version
            cls.DESCRIPTION = asset.description
            cls.PRECHECK = asset.precheck

    MATCHER_DECORATORS: ClassVar[bool] = False

    def __init__(self, context: CodemodContext | None = None, **options: Any) -> None:
        super().__init__(context or CodemodContext())
        unknown = set(options) - set(self.ASSET.options)
        if unknown:
            raise TypeError(f"{self.NAME}: unknown option(s) {', '.join(sorted(unknown))}")
        self.options = {**self.ASSET.options, **options}

    # -- dispatch: plain CSTTransformer unless the subclass uses matcher decorators -------------

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.MATCHER_DECORATORS:
            return super().on_visit(node)
        return cst.CSTTransformer.on_visit(self, node)

    def on_leave(self, original_node: Any, updated_node: Any) -> Any:
        if self.MATCHER_DECORATORS:
            return super().on_leave(original_node, updated_node)
        return cst.CSTTransformer.on_leave(self, original_node, updated_node)

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if self.MATCHER_DECORATORS:
            return super().on_visit_attribute(node, attribute)
        return cst.CSTTransformer.on_visit_attribute(self, node, attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        if self.MATCHER_DECORATORS:
            return super().on_leave_attribute(original_node, attribute)
        return cst.CSTTransformer.on_leave_attribute(self, original_node, attribute)

    # -- metadata: no copy of the runner's freshly parsed tree ----------------------------------

    @contextmanager
    def _handle_metadata_reference(self, module: cst.Module) -> Iterator[cst.Module]:
        # Overrides libcst's Codemod._handle_metadata_reference (libcst 1.x); if a later libcst
        # stops calling it, the only loss is the copy this saves.
        if self.context.scratch.get(FRESH_TREE) is not module or self.context.metadata_manager:
            with super()._handle_metadata_reference(module) as tree:
                yield tree
            return
        previous = self.context.wrapper
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        with self.resolve(wrapper):
            self.context = replace(self.context, wrapper=wrapper)
            try:
                yield wrapper.module
            finally:
                self.context = replace(self.context, wrapper=previous)


def has_comment(module: cst.Module, node: cst.CSTNode) -> bool:
    """Whether ``node``'s code holds a ``#`` outside string literals (a comment to keep)."""
    if "#" not in module.code_for_node(node):
        return False
    strings = _StringFinder()
    node.visit(strings)
    code = module.code_for_node(node)
    for text in strings.found:
        code = code.replace(text, "", 1)
    return "#" in code


class _StringFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[str] = []

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self.found.append(node.value)

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        self.found.append(cst.Module([]).code_for_node(node))
        return False
