"""Helpers for the roles' tests: a small Python project in a real git repo, model scripts, and
``codex-core run`` as a real subprocess driven by the agents backend's scripted model."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

from codex_core.testing import make_repo, run_cli, validate_manifest

PROJECT = {
    "pyproject.toml": '[project]\nname = "calc"\nversion = "0.1.0"\n',
    ".gitignore": "__pycache__/\n",
    "calc.py": "def add(a, b):\n    return a + b\n",
    "tests/test_calc.py": textwrap.dedent("""\
        import unittest

        from calc import add


        class AddTest(unittest.TestCase):
            def test_add(self):
                self.assertEqual(add(1, 2), 3)
        """),
}
GREET = "def greet(name):\n    return f'hello {name}'\n"


#: the Python adapter's test step, pinned so the suite does not depend on a pytest on PATH
ADAPTER = """
    [adapters.python]
    test = "python3 -m unittest discover -q -s tests"
"""


def python_project(tmp_path: Path, toml: str = "", files: dict[str, str] | None = None) -> Path:
    extra = {"codex-core.toml": textwrap.dedent(ADAPTER) + textwrap.dedent(toml)}
    return make_repo(tmp_path / "repo", {**PROJECT, **extra, **(files or {})})


def plan_reply(*titles: str, executable: bool = True) -> str:
    return json.dumps({
        "summary": "the plan",
        "items": [{"title": t, "details": f"do {t}", "executable": executable} for t in titles],
    })  # fmt: skip


def message(text: str) -> list[dict[str, Any]]:
    return [{"message": text}]


def write(path: str, content: str, **step: Any) -> Any:
    item = {"call": "write_file", "arguments": {"path": path, "content": content}}
    return {"output": [item], **step} if step else [item]


def command(text: str) -> list[dict[str, Any]]:
    return [{"call": "run_command", "arguments": {"command": text}}]


def handoff(role: str, **step: Any) -> Any:
    item = {"handoff": role}
    return {"output": [item], **step} if step else [item]


def script(path: Path, **sessions: list[Any]) -> Path:
    path.write_text(json.dumps({"sessions": sessions}, indent=1))
    return path


def happy_script(
    path: Path, *, review: str = "APPROVE\nThe change does what the goal asks."
) -> Path:
    return script(
        path,
        plan=[message(plan_reply("Add greet()"))],
        build=[handoff("builder"), write("greet.py", GREET), message("Added greet.py")],
        review=[handoff("reviewer"), message(review)],
    )


def run_goal(repo: Path, goal: str, script_path: Path, *args: str, timeout: float = 120) -> Any:
    return run_cli(
        "run", goal, "--backend", "agents", "--format", "json", *args,
        cwd=repo, env={"CODEX_CORE_AGENTS_MODEL": f"scripted:{script_path}"}, timeout=timeout,
    )  # fmt: skip


def manifest_of(repo: Path, result: Any) -> dict[str, Any]:
    return validate_manifest(Path(result.json()["manifest"]))


def stage(manifest: dict[str, Any], stage_id: str) -> dict[str, Any]:
    return next(c for c in manifest["commands"] if c["id"] == stage_id)


def error_artifact(repo: Path, record: dict[str, Any]) -> dict[str, Any]:
    return json.loads((repo / record["error_file"]).read_text())


def events(repo: Path, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    lines = (repo / manifest["artifact_root"] / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def git_status(repo: Path) -> str:
    return subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True,
        env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
    ).stdout  # fmt: skip
