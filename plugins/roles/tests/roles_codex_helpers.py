"""Helpers for ``codex-core run --backend codex`` with the real Codex CLI and the scripted model.

The local Responses API server that scripts the model's turns belongs to the codex plugin's
tests (plugins/codex/tests/scripted_model.py): it is imported from there, not copied, so both
suites drive Codex the same way. The Codex binary is the workspace's own (``npm ci`` at the
root installs @openai/codex 0.169.0 into node_modules/.bin/codex).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from codex_core.testing import cli_path, run_cli
from roles_helpers import python_project

CODEX_TESTS = Path(__file__).resolve().parents[2] / "codex" / "tests"
if str(CODEX_TESTS) not in sys.path:
    sys.path.insert(0, str(CODEX_TESTS))

from scripted_model import API_KEY_ENV, ScriptedModel  # noqa: E402

WORKSPACE = Path(__file__).resolve().parents[3]
CODEX = WORKSPACE / "node_modules" / ".bin" / "codex"
INSTALL_HINT = "run `npm ci` at the workspace root (package.json pins @openai/codex)"
#: a whole `codex-core run` (four stages, a child run, several Codex sessions) on a loaded machine
RUN_LIMIT = 300.0


def codex_project(tmp_path: Path, model: ScriptedModel, model_name: str | None = None) -> Path:
    """roles_helpers' Python project whose ``[codex.config]`` points Codex at ``model``
    (telling Codex the model is ``model_name``, which decides the tools it offers)."""
    return python_project(tmp_path, model.toml(model_name) if model_name else model.toml())


def codex_env(tmp_path: Path) -> dict[str, str]:
    """The run's environment: this Codex, the scripted provider's dummy key, a private cache."""
    return {
        "CODEX_CORE_CODEX_BIN": str(CODEX),
        API_KEY_ENV: "test-key-not-secret",
        "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),  # Codex capability probes, per test
    }


def run_codex_goal(repo: Path, goal: str, env: dict[str, str], *args: str) -> Any:
    return run_cli(
        "run", goal, "--backend", "codex", "--format", "json", *args,
        cwd=repo, env=env, timeout=RUN_LIMIT,
    )  # fmt: skip


def start_codex_goal(repo: Path, goal: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``codex-core run`` in the background, in a process group of its own (``run.out`` beside
    the repo has its output)."""
    with open(repo.parent / "run.out", "wb") as out:
        return subprocess.Popen(
            [str(cli_path()), "run", goal, "--backend", "codex", "--format", "json"],
            cwd=repo, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip


def codex_processes_in(repo: Path) -> list[int]:
    """PIDs of Codex processes (``codex ... app-server``) working in ``repo``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue  # gone, or not ours to read
        if cwd == str(repo) and any(a.endswith(b"codex") for a in argv) and b"app-server" in argv:
            found.append(int(entry.name))
    return found
