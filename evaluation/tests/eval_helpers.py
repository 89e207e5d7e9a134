"""Helpers for the evaluation tests: a tiny project with its own pytest suite, scenario files,
and misbehaving codemods given to the harness as ``eval_helpers:Class`` (the ``codex-core``
subprocess finds this module through ``PYTHONPATH``, see :func:`helper_env`).
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import libcst as cst
import pytest
from libcst.codemod import VisitorBasedCodemodCommand

HERE = Path(__file__).resolve().parent
#: the test venvs install the pytest this suite runs on: uv finds it in its cache
PYTEST = f"pytest=={pytest.__version__}"

SHAPES = """\
class Shape(object):
    def __init__(self, name):
        self.name = name
        self.tags = dict()


class Square(Shape):
    def __init__(self, side):
        super(Square, self).__init__("square")
        self.side = side

    def area(self):
        return self.side * self.side
"""
CALC = """\
def add(a, b):
    seen = list()
    return a + b
"""
TESTS = """\
from pkg.calc import add
from pkg.shapes import Square


def test_area():
    assert Square(3).area() == 9


def test_name_and_tags():
    square = Square(2)
    assert (square.name, square.tags) == ("square", {})


def test_add():
    assert add(2, 3) == 5
"""
PROJECT = {
    "pkg/__init__.py": "",
    "pkg/shapes.py": SHAPES,
    "pkg/calc.py": CALC,
    "pkg/untouched.py": "VALUE = 1\n",
    "tests/test_pkg.py": TESTS,
}


def helper_env() -> dict[str, str]:
    existing = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": os.pathsep.join(p for p in (str(HERE), existing) if p)}


def write_files(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def project(root: Path, **changes: str) -> Path:
    return write_files(root, {**PROJECT, **changes})


def scenario_file(path: Path, body: str, **fields: Any) -> Path:
    """Write a scenario: ``body`` is TOML (dedented); ``fields`` format into it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body).format(pytest=PYTEST, **fields))
    return path


FIXTURE_SCENARIO = """\
    id = "{id}"
    title = "the tiny project"
    timeout = 300

    [target]
    path = "project"

    [tests]
    requires = ["{pytest}"]
    args = ["tests"]

    {assets}

    [checks]
    min_files_changed = {min_files}
    expect_failed = {expect_failed}
"""


def fixture_scenario(tmp: Path, assets: list[str], *, id: str = "tiny", min_files: int = 2,
                     expect_failed: list[str] | None = None) -> Path:  # fmt: skip
    blocks = "\n".join(f'[[assets]]\ncodemod = "{a}"\npaths = ["pkg"]\n' for a in assets)
    return scenario_file(
        tmp / f"{id}.toml", FIXTURE_SCENARIO, id=id, assets=textwrap.indent(blocks, "    "),
        min_files=min_files, expect_failed=repr(expect_failed or []).replace("'", '"'),
    )  # fmt: skip


class CrashOnMarker(VisitorBasedCodemodCommand):
    """Renames ``seen`` to ``found``; raises on a file containing ``CRASH_ME``."""

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        if "CRASH_ME" in tree.code:
            raise ValueError("asked to crash")
        return super().transform_module_impl(tree)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        return (
            updated_node.with_changes(value="found")
            if updated_node.value == "seen"
            else updated_node
        )


class BreakAdd(VisitorBasedCodemodCommand):
    """Turns every ``a + b`` into ``a - b``: applies cleanly, breaks the project's tests."""

    def leave_BinaryOperation(self, original_node: Any, updated_node: Any) -> Any:
        if isinstance(updated_node.operator, cst.Add):
            return updated_node.with_changes(operator=cst.Subtract())
        return updated_node


class AppendMarker(VisitorBasedCodemodCommand):
    """Appends a comment line to every module, every time: never idempotent."""

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return updated_node.with_changes(
            footer=[*updated_node.footer, cst.EmptyLine(comment=cst.Comment("# again"))]
        )
