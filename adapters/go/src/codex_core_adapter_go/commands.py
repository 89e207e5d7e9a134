"""The build, lint and test commands for a Go repository: one function per step.

The package patterns cover every module of the repo: ``./...`` for a module (a ``go.mod`` at
the top), and for a workspace (a ``go.work`` at the top) one pattern per ``use`` directory
(``./... ./tools/...``), since ``./...`` at a workspace's root covers neither a nested module nor,
when the root is not a module itself, anything at all. Patterns are shell-quoted.

build
    ``go build <patterns>``; None when the modules hold no ``.go`` file.
lint
    ``go vet <patterns>`` (the toolchain's own checker; other linters are not guessed at);
    None when the modules hold no ``.go`` file.
test
    ``go test <patterns>``; None when the modules hold no ``_test.go`` file, so a module
    without tests is recorded as having no test command rather than as tests that passed.

A step with no command returns None, and the kernel records the stage ``skipped`` with
``skip_reason: no-command``. Each function takes the repo's layout (:class:`GoLayout`) and
returns the command, so that a repo's config can later replace any one step on its own.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable

from .layout import GoLayout

Step = Callable[[GoLayout], str | None]


def _go(subcommand: str, layout: GoLayout) -> str:
    return f"go {subcommand} {' '.join(shlex.quote(p) for p in layout.patterns)}"


def command_for_build(layout: GoLayout) -> str | None:
    return _go("build", layout) if layout.has_go_files else None


def command_for_lint(layout: GoLayout) -> str | None:
    return _go("vet", layout) if layout.has_go_files else None


def command_for_test(layout: GoLayout) -> str | None:
    return _go("test", layout) if layout.has_test_files else None


STEPS: dict[str, Step] = {
    "build": command_for_build,
    "lint": command_for_lint,
    "test": command_for_test,
}
