"""Real Go modules and workspaces for the Go adapter's tests, and the environment go runs in.

Modules have no dependencies, so nothing needs the network; ``go`` runs with the network off
(``GOPROXY=off``), the installed toolchain only (``GOTOOLCHAIN=local``), no user ``go env`` file,
and a build cache and GOPATH of the test session's own.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest
from codex_core.testing import make_repo
from codex_core_adapter_go import GoAdapter

requires_go = pytest.mark.skipif(
    shutil.which("go") is None,
    reason="go is not on PATH (CI installs it: apt-get install -y golang-go)",
)

# The oldest Go the adapter is tested with (Debian 12's golang-go) must accept every go.mod here.
GO_VERSION = "1.19"


def go_mod(module: str) -> str:
    return f"module {module}\n\ngo {GO_VERSION}\n"


def repo(path: Path, files: Mapping[str, str]) -> Path:
    """A committed git repo holding ``files`` (text is dedented)."""
    return make_repo(path, {name: textwrap.dedent(text) for name, text in files.items()})


def commands(repo: Path) -> dict[str, str | None]:
    """The adapter's command per stage id."""
    return {stage.id: stage.command for stage in GoAdapter().stages(repo)}


def go_env(home: Path) -> dict[str, str]:
    """Environment for real ``go`` runs: offline, local toolchain, caches under ``home``."""
    return {
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "",
        "GOENV": "off",
        "GOWORK": "",
        "GOCACHE": str(home / "cache"),
        "GOPATH": str(home / "gopath"),
    }
