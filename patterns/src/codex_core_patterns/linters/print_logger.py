"""``print()`` where a logger should be used.

A module *logs* when it imports ``logging``, ``structlog`` or ``loguru`` (any form, anywhere in
the module) or assigns a module-level name ``logger`` / ``log`` (any case, leading underscores
allowed: ``_log``, ``LOGGER``). In such a module every call of the builtin ``print`` is a finding,
except:

- inside an ``if __name__ == "__main__":`` block;
- inside a CLI entry point: a function named ``main`` or ``cli``, or one decorated with a
  ``command`` or ``group`` decorator (``@click.command()``, ``@cli.group()``, typer's
  ``@app.command()``), and any function nested in one;
- ``print(..., file=f)`` writing somewhere other than ``sys.stdout`` / ``sys.stderr`` (that is
  output to a file, not a log line);
- in a module that binds the name ``print`` anywhere (a parameter, an import, an assignment,
  in any scope) or star-imports: there ``print`` may not be the builtin (see
  :mod:`codex_core_patterns.bindings`).

A module that does not log gets no finding: ``print`` is how scripts talk.
"""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m

from ..bindings import Bindings
from . import PRINT_LOGGER
from .base import LintRule

LOGGING_MODULES = frozenset({"logging", "structlog", "loguru"})
LOGGER_NAME = re.compile(r"^_*(?:logger|log)$", re.IGNORECASE)
ENTRY_POINT_NAMES = frozenset({"main", "cli"})
ENTRY_POINT_DECORATORS = frozenset({"command", "group"})
_MAIN_GUARD = m.Comparison(
    left=m.Name("__name__"),
    comparisons=[m.ComparisonTarget(operator=m.Equal(), comparator=m.SimpleString())],
) | m.Comparison(
    left=m.SimpleString(),
    comparisons=[m.ComparisonTarget(operator=m.Equal(), comparator=m.Name("__name__"))],
)
_STD_STREAM = m.Attribute(value=m.Name("sys"), attr=m.Name("stdout") | m.Name("stderr"))


def _top_module(node: cst.BaseExpression | None) -> str | None:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def _last_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Call):
        node = node.func
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return node.value if isinstance(node, cst.Name) else None


class PrintInsteadOfLogger(LintRule):
    ASSET = PRINT_LOGGER

    def __init__(self, path: str = "<string>") -> None:
        super().__init__(path)
        self._logs = False
        self._logger: str | None = None
        self._exempt: list[bool] = []  # one entry per open If / FunctionDef: does it exempt?
        self._depth = 0  # function/class nesting, to find module-level assignments
        self._candidates: list[cst.Call] = []

    # -- does the module log? ------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> None:
        if any(_top_module(alias.name) in LOGGING_MODULES for alias in node.names):
            self._logs = True

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not node.relative and _top_module(node.module) in LOGGING_MODULES:
            self._logs = True

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._note_target(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._note_target(node.target)

    def _note_target(self, target: cst.BaseExpression) -> None:
        if self._depth == 0 and isinstance(target, cst.Name) and LOGGER_NAME.match(target.value):
            self._logs = True
            self._logger = self._logger or target.value

    # -- where prints are allowed ----------------------------------------------------------------

    def visit_If(self, node: cst.If) -> None:
        self._exempt.append(m.matches(node.test, _MAIN_GUARD) and _is_main_guard(node.test))

    def leave_If(self, original_node: cst.If) -> None:
        self._exempt.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth += 1
        entry = node.name.value in ENTRY_POINT_NAMES or any(
            _last_name(d.decorator) in ENTRY_POINT_DECORATORS for d in node.decorators
        )
        self._exempt.append(entry)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._depth -= 1
        self._exempt.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._depth += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._depth -= 1

    def visit_Call(self, node: cst.Call) -> None:
        if not m.matches(node.func, m.Name("print")) or any(self._exempt):
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "file":
                if not m.matches(arg.value, _STD_STREAM):
                    return
            if arg.star == "**":
                return  # could carry file=...
        self._candidates.append(node)

    def leave_Module(self, original_node: cst.Module) -> None:
        if not self._logs or not self._candidates:
            return
        bindings = Bindings()  # a second pass, only for a logging module that prints
        original_node.visit(bindings)
        if "print" in bindings.names or bindings.star_import:
            return
        logger = f"{self._logger}.info()" if self._logger else "a logger"
        for call in self._candidates:
            self.report(
                call, f"print() in a module that logs: use {logger} (or another level) instead"
            )


def _is_main_guard(test: cst.BaseExpression) -> bool:
    assert isinstance(test, cst.Comparison)
    parts = [test.left, test.comparisons[0].comparator]
    return any(isinstance(p, cst.SimpleString) and p.evaluated_value == "__main__" for p in parts)
