"""End to end: the real ``codex-core`` command plans and runs the adapter's stages on real repos."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codex_core.testing import run_cli, validate_manifest
from python_adapter_helpers import make_venv, repo

PY = ".venv/bin/python"
PROJECT = '[project]\nname = "demo"\nversion = "0.1.0"\n'
DEMO = {
    "pyproject.toml": PROJECT,
    "demo/__init__.py": "def add(a: int, b: int) -> int:\n    return a + b\n",
    "tests/test_demo.py": "from demo import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
}


def _start(r: Path) -> tuple[int, dict[str, Any], dict[str, dict[str, Any]]]:
    """Run diagnostics; returns the exit code, the JSON printed and the manifest's stages by id."""
    result = run_cli("start", "--repo", str(r), "--format", "json")
    assert result.returncode in (0, 1), result
    printed = result.json()
    manifest = validate_manifest(Path(printed["manifest"]))
    # Only this adapter's stages: installed guardrail plugins may append stages of their own.
    return (
        result.returncode,
        printed,
        {c["id"]: c for c in manifest["commands"] if c["source"] == "python"},
    )


def test_a_python_repo_with_a_passing_test_succeeds(tmp_path: Path) -> None:
    r = repo(tmp_path / "repo", DEMO)
    make_venv(r / ".venv", None)  # the repo's own env: pytest and ruff installed

    code, printed, stages = _start(r)

    assert code == 0, printed
    assert printed["status"] == "succeeded"
    assert Path(printed["manifest"]).is_relative_to(r / ".runs")
    assert list(stages) == ["build", "lint", "test"]
    assert {
        i: (s["status"], s["source"], s["command"], s["exit_code"]) for i, s in stages.items()
    } == {
        "build": ("succeeded", "python", f"{PY} -m compileall -q demo tests", 0),
        "lint": ("succeeded", "python", f"{PY} -m ruff check .", 0),
        "test": ("succeeded", "python", f"{PY} -m pytest -q", 0),
    }
    log = (r / stages["test"]["log_path"]).read_text()
    assert "1 passed" in log


def test_a_failing_test_fails_the_run(tmp_path: Path) -> None:
    r = repo(
        tmp_path / "repo",
        {
            **DEMO,
            "tests/test_demo.py": "from demo import add\n\n\ndef test_add():\n    assert add(2, 3) == 6\n",
        },
    )
    make_venv(r / ".venv", None)

    code, printed, stages = _start(r)

    assert code == 1
    assert printed["status"] == "failed"
    assert (stages["build"]["status"], stages["lint"]["status"]) == ("succeeded", "succeeded")
    assert (stages["test"]["status"], stages["test"]["exit_code"]) == ("failed", 1)


def test_a_repo_without_tests_or_linter_skips_them_and_succeeds(tmp_path: Path) -> None:
    r = repo(tmp_path / "repo", {"pyproject.toml": PROJECT, "app.py": "print('hello')\n"})

    code, printed, stages = _start(r)

    assert code == 0, printed
    assert printed["status"] == "succeeded"
    assert (stages["build"]["status"], stages["build"]["command"]) == (
        "succeeded",
        "python3 -m compileall -q app.py",
    )
    for step in ("lint", "test"):
        assert (stages[step]["status"], stages[step]["skip_reason"], stages[step]["command"]) == (
            "skipped", "no-command", None,
        )  # fmt: skip


def test_unittest_tests_run_from_their_directory(tmp_path: Path) -> None:
    test = "import unittest\n\nfrom demo import add\n\n\nclass T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n"
    r = repo(tmp_path / "repo", {**DEMO, "tests/test_demo.py": test})
    make_venv(r / ".venv")  # nothing installed: no pytest, no ruff

    code, printed, stages = _start(r)

    assert code == 0, printed
    assert stages["test"]["command"] == f"{PY} -m unittest discover -q -s tests"
    assert stages["test"]["status"] == "succeeded"
    assert "Ran 1 test" in (r / stages["test"]["log_path"]).read_text()


def test_plan_shows_the_stages_without_running_them(tmp_path: Path) -> None:
    r = repo(
        tmp_path / "repo", {"pyproject.toml": PROJECT + "[tool.pytest.ini_options]\n", "app.py": ""}
    )
    make_venv(r / ".venv", None)

    result = run_cli("plan", "--repo", str(r), "--format", "json")

    assert result.returncode == 0, result
    plan = result.json()
    assert (plan["pipeline_id"], plan["source"]) == ("diagnostics", "adapters: python")
    assert [
        (s["id"], s["kind"], s["command"], s["source"], s["skip_reason"])
        for s in plan["stages"]
        if s["source"] == "python"
    ] == [
        ("build", "command", f"{PY} -m compileall -q app.py", "python", None),
        ("lint", "command", f"{PY} -m ruff check .", "python", None),
        ("test", "command", f"{PY} -m pytest -q", "python", None),
    ]
    assert not (r / ".runs").exists()
