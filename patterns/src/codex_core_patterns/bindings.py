"""Which names a module binds anywhere: the cheap test for "is this ``open`` the builtin?".

libcst's scope analysis (``QualifiedNameProvider``) answers that per reference, but costs several
times the parse on a big module. The assets here ask a coarser, conservative question in one
plain pass: does the module bind the name *anywhere* (any scope) or star-import anything? If not,
every reference to it is the builtin; if so, the asset leaves that name alone in the whole module.

Bindings counted: ``import`` / ``from ... import`` aliases, ``def`` / ``class`` names, parameters
(functions and lambdas), targets of assignments (plain, annotated, augmented, walrus), ``for``
loops and comprehensions, ``with ... as``, ``except ... as``, ``del``, ``global`` / ``nonlocal``
declarations, ``match`` captures and type parameters.
"""

from __future__ import annotations

import libcst as cst

__all__ = ["Bindings", "bound_names"]


class Bindings(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()
        self.star_import = False

    def _target(self, node: cst.CSTNode | None) -> None:
        if isinstance(node, cst.Name):
            self.names.add(node.value)
        elif isinstance(node, cst.Tuple | cst.List):
            for element in node.elements:
                self._target(element.value)
        elif isinstance(node, cst.StarredElement):
            self._target(node.value)
        # attributes and subscripts bind no name

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if alias.asname is not None:
                self._target(alias.asname.name)
            else:
                name = alias.name
                while isinstance(name, cst.Attribute):
                    name = name.value
                self._target(name)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            self.star_import = True
            return
        for alias in node.names:
            self._target(alias.asname.name if alias.asname is not None else alias.name)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.names.add(node.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.names.add(node.name.value)

    def visit_Param(self, node: cst.Param) -> None:
        self.names.add(node.name.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._target(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._target(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._target(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._target(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:  # with ... as, except ... as
        self._target(node.name)

    def visit_Del(self, node: cst.Del) -> None:
        self._target(node.target)

    def visit_Global(self, node: cst.Global) -> None:
        for item in node.names:
            self.names.add(item.name.value)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        for item in node.names:
            self.names.add(item.name.value)

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        self._target(node.name)

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        self._target(node.name)

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        self._target(node.rest)

    def visit_TypeParam(self, node: cst.TypeParam) -> None:
        self._target(node.param.name)


def bound_names(module: cst.Module) -> Bindings:
    """The names ``module`` binds anywhere, and whether it star-imports."""
    found = Bindings()
    module.visit(found)
    return found
