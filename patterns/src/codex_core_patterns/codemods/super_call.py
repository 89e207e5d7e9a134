"""``super(Class, self)`` → ``super()`` where the two are the same call.

Zero-argument ``super()`` finds the class from the ``__class__`` cell of a function defined in a
class body, and the instance from that function's first argument. So the rewrite is made only
when all of this holds:

- the call is in the *body* of a function defined directly in the body of ``class Class``
  (not in a nested function, lambda or comprehension, whose first argument is another one);
- its arguments are exactly ``Class`` (the name of that class) and the function's first
  positional parameter (``self``, ``cls``, ...), positionally;
- the function is not a ``@staticmethod``;
- nothing between the parentheses is a comment.

Anything else (``super(Other, self)``, ``super(type(self), self)``, ``super(Outer.Inner, self)``)
is left as it is. One difference remains outside what a codemod can see: a class decorator that
returns a *different* class makes ``super(Class, self)`` use the new class and ``super()`` the
original one.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from . import SUPER_CALL
from .base import PatternCodemod, has_comment

_OTHER = ("other",)


class SuperCall(PatternCodemod):
    ASSET = SUPER_CALL

    def __init__(self, context: object = None, **options: object) -> None:
        super().__init__(context, **options)  # type: ignore[arg-type]
        # innermost scope last: ("class", name) for a class body, ("function", first parameter,
        # enclosing class name or None, is static) for a function body, ("other",) otherwise
        self._scopes: list[tuple[object, ...]] = []

    # -- scopes --------------------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scopes.append(_OTHER)  # decorators and bases run in the enclosing scope

    def visit_ClassDef_body(self, node: cst.ClassDef) -> None:
        self._scopes[-1] = ("class", node.name.value)

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        self._scopes.pop()
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append(_OTHER)  # decorators, defaults and annotations are not the body

    def visit_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        enclosing = self._scopes[-2] if len(self._scopes) > 1 else None
        class_name = enclosing[1] if enclosing and enclosing[0] == "class" else None
        params = [*node.params.posonly_params, *node.params.params]
        first = params[0].name.value if params else None
        static = any(
            m.matches(
                d.decorator, m.Name("staticmethod") | m.Attribute(attr=m.Name("staticmethod"))
            )
            for d in node.decorators
        )
        self._scopes[-1] = ("function", first, class_name, static)

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self._scopes.pop()
        return updated_node

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._scopes.append(_OTHER)

    def leave_Lambda(self, original_node: cst.Lambda, updated_node: cst.Lambda) -> cst.Lambda:
        self._scopes.pop()
        return updated_node

    def _enter_comprehension(self, node: cst.CSTNode) -> None:
        self._scopes.append(_OTHER)

    def _leave_comprehension(
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode:
        self._scopes.pop()
        return updated_node

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _enter_comprehension
    leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave_comprehension

    # -- the rewrite ---------------------------------------------------------------------------

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if not m.matches(original_node.func, m.Name("super")) or len(original_node.args) != 2:
            return updated_node
        scope = self._scopes[-1] if self._scopes else _OTHER
        if scope[0] != "function":
            return updated_node
        _, first_param, class_name, static = scope
        if static or first_param is None or class_name is None:
            return updated_node
        cls_arg, obj_arg = original_node.args
        for arg in original_node.args:
            if arg.keyword is not None or arg.star:
                return updated_node
        if not (
            m.matches(cls_arg.value, m.Name(class_name))
            and m.matches(obj_arg.value, m.Name(first_param))
        ):
            return updated_node
        if has_comment(self.module, original_node.with_changes(func=cst.Name("super"))):
            return updated_node
        return updated_node.with_changes(args=(), whitespace_before_args=cst.SimpleWhitespace(""))
