"""Fixtures for the codex plugin's tests: the real Codex binaries, the scripted model, repos.

The binaries are the ones this project's own setup installs with ``npm ci`` (package.json at
the workspace root): ``node_modules/.bin/codex`` (@openai/codex 0.169.0) and
``node_modules/codex-legacy/bin/codex.js`` (@openai/codex 0.153.4, the last with
``mcp-server``). A test that needs one is skipped, with the command to install it, when it is
missing; CI installs both.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from codex_core.testing import make_repo
from scripted_model import API_KEY_ENV, ScriptedModel, serve_model

WORKSPACE = Path(__file__).resolve().parents[3]
CODEX = WORKSPACE / "node_modules" / ".bin" / "codex"
LEGACY_CODEX = WORKSPACE / "node_modules" / "codex-legacy" / "bin" / "codex.js"
INSTALL_HINT = "run `npm ci` at the workspace root (package.json pins @openai/codex)"


@pytest.fixture(scope="session", autouse=True)
def _capability_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Probe results go to a cache of this test session, not the user's ~/.cache."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture
def codex_bin() -> Path:
    if not os.access(CODEX, os.X_OK):
        pytest.skip(f"the Codex CLI is not installed at {CODEX}: {INSTALL_HINT}")
    return CODEX


@pytest.fixture
def legacy_codex_bin() -> Path:
    if not os.access(LEGACY_CODEX, os.X_OK):
        pytest.skip(
            f"Codex 0.153.4 (mcp-server) is not installed at {LEGACY_CODEX}: {INSTALL_HINT}"
        )
    return LEGACY_CODEX


@pytest.fixture
def model() -> Iterator[ScriptedModel]:
    with serve_model() as scripted:
        yield scripted


@pytest.fixture
def model_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The dummy API key the scripted provider's ``env_key`` names (set for in-process runs)."""
    monkeypatch.setenv(API_KEY_ENV, "test-key-not-secret")
    return {API_KEY_ENV: "test-key-not-secret"}


@pytest.fixture
def codex_repo(tmp_path: Path, model: ScriptedModel, codex_bin: Path) -> Path:
    """A committed git repo whose ``codex-core.toml`` points Codex at the scripted model."""
    return make_repo(tmp_path / "repo", {"codex-core.toml": model.toml()})
