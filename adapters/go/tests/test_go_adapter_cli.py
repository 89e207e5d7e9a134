"""End to end: the real ``codex-core`` command runs ``go build``, ``go vet`` and ``go test``.

The modules are real Go code with no dependencies, built and tested by the real toolchain,
offline, with caches of the test session's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from codex_core.testing import run_cli, validate_manifest
from go_adapter_helpers import go_env, go_mod, repo, requires_go

pytestmark = requires_go

ADD = "package calc\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n"
ADD_TEST = """\
package calc

import "testing"

func TestAdd(t *testing.T) {
	if got := Add(2, 3); got != EXPECTED {
		t.Fatalf("Add(2, 3) = %d", got)
	}
}
"""
MAIN = """\
package main

import (
	"fmt"

	"example.com/demo/calc"
)

func main() { fmt.Println(calc.Add(1, 2)) }
"""


def demo(path: Path, *, expected: int = 5) -> Path:
    return repo(
        path,
        {
            "go.mod": go_mod("example.com/demo"),
            "calc/calc.go": ADD,
            "calc/calc_test.go": ADD_TEST.replace("EXPECTED", str(expected)),
            "cmd/demo/main.go": MAIN,
        },
    )


@pytest.fixture(scope="session")
def go_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build cache for the session: the standard library compiles once, not per test."""
    return tmp_path_factory.mktemp("go-home")


def _start(r: Path, home: Path) -> tuple[int, dict[str, Any], dict[str, dict[str, Any]]]:
    """Run diagnostics; returns the exit code, the JSON printed and the manifest's stages by id."""
    result = run_cli("start", "--repo", str(r), "--format", "json", env=go_env(home), timeout=300)
    assert result.returncode in (0, 1), result
    printed = result.json()
    manifest = validate_manifest(Path(printed["manifest"]))
    # Only this adapter's stages: installed guardrail plugins may append stages of their own.
    return (
        result.returncode,
        printed,
        {c["id"]: c for c in manifest["commands"] if c["source"] == "go"},
    )


def _log(r: Path, stage: dict[str, Any]) -> str:
    return (r / stage["log_path"]).read_text()


def test_a_go_module_with_passing_tests_succeeds(tmp_path: Path, go_home: Path) -> None:
    r = demo(tmp_path / "repo")

    code, printed, stages = _start(r, go_home)

    assert code == 0, printed
    assert printed["status"] == "succeeded"
    assert list(stages) == ["build", "lint", "test"]
    assert {
        i: (s["status"], s["source"], s["command"], s["exit_code"]) for i, s in stages.items()
    } == {
        "build": ("succeeded", "go", "go build ./...", 0),
        "lint": ("succeeded", "go", "go vet ./...", 0),
        "test": ("succeeded", "go", "go test ./...", 0),
    }
    test_log = _log(r, stages["test"])
    assert "ok  \texample.com/demo/calc" in test_log
    assert "example.com/demo/cmd/demo\t[no test files]" in test_log


def test_a_failing_test_fails_the_run(tmp_path: Path, go_home: Path) -> None:
    r = demo(tmp_path / "repo", expected=6)

    code, printed, stages = _start(r, go_home)

    assert code == 1
    assert printed["status"] == "failed"
    assert (stages["build"]["status"], stages["lint"]["status"]) == ("succeeded", "succeeded")
    assert (stages["test"]["status"], stages["test"]["exit_code"]) == ("failed", 1)
    assert "Add(2, 3) = 5" in _log(r, stages["test"])


def test_a_vet_finding_fails_the_lint_stage(tmp_path: Path, go_home: Path) -> None:
    r = demo(tmp_path / "repo")
    (r / "cmd" / "demo" / "main.go").write_text(MAIN.replace("fmt.Println(", 'fmt.Printf("%s", '))

    code, _, stages = _start(r, go_home)

    assert code == 1
    assert stages["build"]["status"] == "succeeded"
    assert stages["lint"]["status"] == "failed"
    assert "Printf format %s has arg" in _log(r, stages["lint"])
    assert stages["test"]["status"] != "succeeded"  # fail-fast: the tests never ran


def test_a_module_without_tests_skips_the_test_stage(tmp_path: Path, go_home: Path) -> None:
    r = repo(tmp_path / "repo", {"go.mod": go_mod("example.com/demo"), "calc/calc.go": ADD})

    code, printed, stages = _start(r, go_home)

    assert code == 0, printed
    assert (stages["build"]["status"], stages["lint"]["status"]) == ("succeeded", "succeeded")
    assert (stages["test"]["status"], stages["test"]["skip_reason"]) == ("skipped", "no-command")


def test_a_workspace_builds_and_tests_every_module(tmp_path: Path, go_home: Path) -> None:
    # The root is no module itself: ``go test ./...`` there would match nothing and fail.
    r = repo(
        tmp_path / "repo",
        {
            "go.work": "go 1.19\n\nuse (\n\t./calc\n\t./app\n)\n",
            "calc/go.mod": go_mod("example.com/calc"),
            "calc/calc.go": ADD,
            "calc/calc_test.go": ADD_TEST.replace("EXPECTED", "5"),
            "app/go.mod": go_mod("example.com/app") + "\nrequire example.com/calc v0.0.0\n",
            "app/main.go": MAIN.replace("example.com/demo/calc", "example.com/calc"),
            "app/main_test.go": 'package main\n\nimport "testing"\n\nfunc TestMain2(t *testing.T) {}\n',
        },
    )

    code, printed, stages = _start(r, go_home)

    assert code == 0, printed
    assert stages["test"]["command"] == "go test ./calc/... ./app/..."
    assert [s["status"] for s in stages.values()] == ["succeeded"] * 3
    test_log = _log(r, stages["test"])
    assert "ok  \texample.com/calc" in test_log and "ok  \texample.com/app" in test_log
