"""Helpers shared by the tests of the policy, sandbox, diff budget and redaction guardrails."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

from codex_core.testing import make_repo

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}


def repo_with(tmp_path: Path, toml: str = "", files: dict[str, str] | None = None) -> Path:
    """A committed git repo holding ``codex-core.toml`` (dedented ``toml``) and ``files``."""
    extra = {"codex-core.toml": textwrap.dedent(toml)} if toml else {}
    return make_repo(tmp_path / "repo", {**extra, **(files or {})})


def python_repo(tmp_path: Path, toml: str) -> Path:
    """A repo the Python adapter recognises, so ``diagnostics`` is assembled (and guardrail
    plugins are loaded); ``[adapters.python]`` in ``toml`` sets its commands."""
    return repo_with(tmp_path, toml, {"pyproject.toml": "[project]\nname = 'demo'\n"})


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    ).stdout


def commit_all(repo: Path, message: str = "change") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


def events(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


def only_run_dir(repo: Path, task: str = "default") -> Path:
    [run_dir] = sorted((repo / ".runs" / task / "cli").iterdir())
    return run_dir


def run_dirs(repo: Path, task: str = "default") -> list[Path]:
    return sorted((repo / ".runs" / task / "cli").iterdir())
