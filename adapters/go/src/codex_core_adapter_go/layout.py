"""What a Go repository holds, read from its files: its modules and whether they have Go code.

The modules are the directories of ``go.work``'s ``use`` directives when the repo is a workspace,
else the repo itself (its ``go.mod``). Go files are looked for the way ``./...`` finds packages:
directories starting with ``.`` or ``_``, ``testdata`` and ``vendor`` are left out, and so is a
directory holding its own ``go.mod`` (another module, which ``./...`` does not enter); so are
``node_modules`` trees, which hold no Go code of the repo. Nothing here runs ``go``; a go.work that
cannot be read counts as listing no module.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

SKIP_DIRS = frozenset({"testdata", "vendor", "node_modules"})
# A go.work token: a quoted or raw string, a comment, a parenthesis or a bare word.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|//.*|[()]|[^\s()"`]+')


@dataclass(frozen=True)
class GoLayout:
    root: Path

    def has(self, name: str) -> bool:
        return (self.root / name).is_file()

    @property
    def is_workspace(self) -> bool:
        return self.has("go.work")

    @cached_property
    def modules(self) -> tuple[str, ...]:
        """The module directories, as normalised POSIX paths relative to the repo (``.`` for it)."""
        used = workspace_uses(self.root / "go.work") if self.is_workspace else []
        return tuple(dict.fromkeys(posixpath.normpath(d) for d in used)) or (".",)

    @cached_property
    def patterns(self) -> tuple[str, ...]:
        """The ``go`` package patterns that cover every module: ``./...``, ``./api/...``."""
        return tuple(_pattern(d) for d in self.modules)

    @cached_property
    def _found(self) -> tuple[bool, bool]:
        """(any .go file, any _test.go file) in the modules; the walk stops once both are seen."""
        code = tests = False
        for module in self.modules:
            for name in _go_files(self.root / module):
                code = True
                tests = tests or name.endswith("_test.go")
                if tests:
                    return True, True
        return code, tests

    @property
    def has_go_files(self) -> bool:
        return self._found[0]

    @property
    def has_test_files(self) -> bool:
        return self._found[1]


def workspace_uses(go_work: Path) -> list[str]:
    """The directories of a go.work's ``use`` directives, in order (``use ./a`` or a block)."""
    try:
        text = go_work.read_text(errors="replace")
    except OSError:
        return []
    found: list[str] = []
    in_block = False
    for line in text.splitlines():
        tokens = [t for t in _TOKEN.findall(line) if not t.startswith("//")]
        if in_block:
            if tokens[:1] == [")"]:
                in_block = False
            elif tokens:
                found.append(_unquote(tokens[0]))
        elif tokens[:1] == ["use"]:
            if tokens[1:2] == ["("]:
                in_block = tokens[2:3] != [")"]  # ``use ()`` is an empty block
            elif len(tokens) > 1:
                found.append(_unquote(tokens[1]))
    return [d for d in found if d]


def _unquote(token: str) -> str:
    if token.startswith("`"):
        return token.strip("`")
    if token.startswith('"'):
        try:
            value = json.loads(token)  # Go's interpreted strings escape like JSON's for paths
        except json.JSONDecodeError:
            return token.strip('"')
        return value if isinstance(value, str) else ""
    return token


def _pattern(directory: str) -> str:
    if directory == ".":
        return "./..."
    if directory.startswith(("/", "../")):
        return f"{directory}/..."
    return f"./{directory}/..."


def _go_files(module: Path) -> Iterator[str]:
    """The names of the .go files that ``./...`` in ``module`` would see."""
    for top, dirs, files in os.walk(module):
        here = Path(top)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith((".", "_"))
            and d not in SKIP_DIRS
            and not (here / d / "go.mod").is_file()
        )
        yield from (f for f in sorted(files) if f.endswith(".go"))
