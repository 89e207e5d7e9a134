"""What a Python repository holds, read from its files: config tables, sections, Python sources.

Nothing here imports or runs the repo's code. A config file that cannot be read or parsed counts
as empty: planning must not crash on it, and the tool that owns the file will say what is wrong
with it when its stage runs.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

# Never the repo's own sources: caches, installed packages, other ecosystems' dependencies.
SKIP_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})
# Build output, skipped at the top level only (a package may well be called ``build``).
TOP_LEVEL_ARTIFACTS = frozenset({"build", "dist"})
TEST_DIRS = ("tests", "test")


@dataclass(frozen=True)
class PythonProject:
    root: Path

    def has(self, *names: str) -> bool:
        """Whether any of these files exists at the top of the repo."""
        return any((self.root / name).is_file() for name in names)

    def text(self, name: str) -> str:
        try:
            return (self.root / name).read_text(errors="replace")
        except OSError:
            return ""

    @cached_property
    def pyproject(self) -> dict[str, Any]:
        try:
            return tomllib.loads(self.text("pyproject.toml"))
        except tomllib.TOMLDecodeError:
            return {}

    def tool_table(self, name: str) -> dict[str, Any] | None:
        """pyproject.toml's ``[tool.<name>]`` table (a sub-table alone creates it), or None."""
        tools = self.pyproject.get("tool")
        table = tools.get(name) if isinstance(tools, dict) else None
        return table if isinstance(table, dict) else None

    def tool(self, name: str) -> bool:
        return self.tool_table(name) is not None

    def has_section(self, filename: str, pattern: str) -> bool:
        """Whether an INI-style file has a section header matching ``pattern`` (a regex)."""
        return re.search(rf"^\s*\[{pattern}\]", self.text(filename), re.MULTILINE) is not None

    @property
    def is_package(self) -> bool:
        """Whether a build frontend can build it: pyproject metadata/backend, or a setup.py."""
        return (
            "project" in self.pyproject or "build-system" in self.pyproject or self.has("setup.py")
        )

    @property
    def is_uv_workspace(self) -> bool:
        return "workspace" in (self.tool_table("uv") or {})

    @cached_property
    def python_files(self) -> tuple[str, ...]:
        """Every .py file that belongs to the repo, as sorted POSIX paths relative to it."""
        found: list[str] = []
        for top, dirs, files in os.walk(self.root):
            here = Path(top)
            at_top = here == self.root
            # Pruning in place keeps os.walk out of hidden dirs (.git, .venv, .runs, .tox),
            # virtualenvs under any name (they hold a pyvenv.cfg) and build output.
            dirs[:] = sorted(
                d
                for d in dirs
                if not d.startswith(".")
                and d not in SKIP_DIRS
                and not (at_top and d in TOP_LEVEL_ARTIFACTS)
                and not (here / d / "pyvenv.cfg").exists()
            )
            rel = here.relative_to(self.root)
            found.extend((rel / f).as_posix() for f in files if f.endswith(".py"))
        return tuple(sorted(found))

    @property
    def roots(self) -> tuple[str, ...]:
        """The top-level files and directories that hold the repo's Python code."""
        return tuple(sorted({path.split("/", 1)[0] for path in self.python_files}))

    @property
    def test_files(self) -> tuple[str, ...]:
        """Files pytest collects by default: ``test_*.py`` and ``*_test.py``."""
        return tuple(p for p in self.python_files if _is_test_file(p.rsplit("/", 1)[-1]))

    def imports_unittest(self, path: str) -> bool:
        return (
            re.search(r"^\s*(import|from)\s+unittest\b", self.text(path), re.MULTILINE) is not None
        )


def _is_test_file(name: str) -> bool:
    return (name.startswith("test_") or name.endswith("_test.py")) and name.endswith(".py")
