"""Real Node.js packages for the Node adapter's tests, and the environment their npm runs in.

Packages are real git repositories holding a package.json and real JavaScript. npm runs offline
with its own cache, and without the update check, audit or funding calls that would reach the
registry: the only dependencies the tests install are ``file:`` ones inside the repo.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from codex_core.testing import make_repo
from codex_core_adapter_node import NodeAdapter

requires_npm = pytest.mark.skipif(
    shutil.which("npm") is None or shutil.which("node") is None,
    reason="node and npm are not on PATH: a real package cannot be run without them",
)


def package_json(**fields: Any) -> str:
    return json.dumps({"name": "demo", "version": "1.0.0", **fields}, indent=2) + "\n"


def repo(path: Path, files: Mapping[str, str]) -> Path:
    """A committed git repo holding ``files`` (text is dedented)."""
    return make_repo(path, {name: textwrap.dedent(text) for name, text in files.items()})


def commands(repo: Path) -> dict[str, str | None]:
    """The adapter's command per stage id."""
    return {stage.id: stage.command for stage in NodeAdapter().stages(repo)}


def npm_env(cache: Path) -> dict[str, str]:
    """npm settings for runs that must not reach the network or the user's npm cache."""
    return {
        "NPM_CONFIG_CACHE": str(cache),
        "NPM_CONFIG_OFFLINE": "true",
        "NPM_CONFIG_AUDIT": "false",
        "NPM_CONFIG_FUND": "false",
        "NPM_CONFIG_UPDATE_NOTIFIER": "false",
    }
