"""Which build, lint and test commands the Go adapter picks, rule by rule, on real repos."""

from __future__ import annotations

from pathlib import Path

import pytest
from codex_core.testing import check_adapter
from codex_core_adapter_go import GoAdapter
from codex_core_adapter_go.layout import workspace_uses
from go_adapter_helpers import commands, go_mod, repo

MAIN = "package main\n\nfunc main() {}\n"
TEST = 'package main\n\nimport "testing"\n\nfunc TestA(t *testing.T) {}\n'
ALL = {"build": "go build ./...", "lint": "go vet ./...", "test": "go test ./..."}


# -- recognising a repo and the shape of its stages -----------------------------------------


@pytest.mark.parametrize("marker", ["go.mod", "go.work"])
def test_recognises_a_go_repo_by_go_mod_or_go_work(tmp_path: Path, marker: str) -> None:
    assert GoAdapter().matches(repo(tmp_path / "r", {marker: ""}))


def test_does_not_recognise_other_repos(tmp_path: Path) -> None:
    other = repo(tmp_path / "r", {"package.json": "{}", "main.go": MAIN, "sub/go.mod": ""})
    assert not GoAdapter().matches(other)
    assert not GoAdapter().matches(tmp_path / "missing")


def test_stages_are_build_lint_test_command_stages_from_go(tmp_path: Path) -> None:
    r = repo(
        tmp_path / "r", {"go.mod": go_mod("example.com/m"), "main.go": MAIN, "a_test.go": TEST}
    )
    stages = check_adapter(GoAdapter(), r)
    assert [(s.id, s.kind, s.source, s.command) for s in stages] == [
        ("build", "command", "go", "go build ./..."),
        ("lint", "command", "go", "go vet ./..."),
        ("test", "command", "go", "go test ./..."),
    ]


def test_planning_needs_no_go_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = repo(
        tmp_path / "r", {"go.mod": go_mod("example.com/m"), "main.go": MAIN, "a_test.go": TEST}
    )
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert commands(r) == ALL


# -- which Go files count -----------------------------------------------------------------------


def test_tests_in_a_sub_package_count(tmp_path: Path) -> None:
    r = repo(
        tmp_path / "r",
        {"go.mod": go_mod("example.com/m"), "cmd/m/main.go": MAIN, "internal/x/x_test.go": TEST},
    )
    assert commands(r) == ALL


def test_a_module_without_tests_has_no_test_command(tmp_path: Path) -> None:
    r = repo(tmp_path / "r", {"go.mod": go_mod("example.com/m"), "main.go": MAIN})
    assert commands(r) == {**ALL, "test": None}


@pytest.mark.parametrize(
    "where",
    [
        "testdata/a_test.go",
        "vendor/example.com/dep/a_test.go",
        ".hidden/a_test.go",
        "_scratch/a_test.go",
        "node_modules/x/a_test.go",
        "tools/a_test.go",  # tools/ is a module of its own: ./... does not enter it
    ],
)
def test_test_files_go_test_would_not_see_do_not_count(tmp_path: Path, where: str) -> None:
    r = repo(
        tmp_path / "r",
        {"go.mod": go_mod("example.com/m"), "main.go": MAIN, "tools/go.mod": "", where: TEST},
    )
    assert commands(r)["test"] is None


def test_a_module_without_go_files_has_no_commands(tmp_path: Path) -> None:
    r = repo(
        tmp_path / "r",
        {"go.mod": go_mod("example.com/m"), "README.md": "", "testdata/x.go": MAIN},
    )
    assert commands(r) == {"build": None, "lint": None, "test": None}


# -- workspaces -----------------------------------------------------------------------------------

WORK_AB = """\
go 1.19

use (
\t./a // the API
\t./b
)
"""


def test_a_workspace_gets_one_pattern_per_used_module(tmp_path: Path) -> None:
    r = repo(
        tmp_path / "r",
        {
            "go.work": WORK_AB,
            "a/go.mod": go_mod("example.com/a"),
            "a/a.go": "package a\n",
            "b/go.mod": go_mod("example.com/b"),
            "b/b_test.go": TEST.replace("package main", "package b"),
        },
    )
    assert commands(r) == {
        "build": "go build ./a/... ./b/...",
        "lint": "go vet ./a/... ./b/...",
        "test": "go test ./a/... ./b/...",  # b's tests count though b is a nested module
    }


def test_a_workspace_whose_root_is_a_module_keeps_dot(tmp_path: Path) -> None:
    r = repo(
        tmp_path / "r",
        {
            "go.mod": go_mod("example.com/r"),
            "go.work": "go 1.19\n\nuse .\nuse ./tools\n",
            "main.go": MAIN,
            "tools/go.mod": go_mod("example.com/tools"),
            "tools/t.go": "package tools\n",
        },
    )
    assert commands(r) == {
        "build": "go build ./... ./tools/...",
        "lint": "go vet ./... ./tools/...",
        "test": None,
    }


def test_workspace_paths_are_normalised_deduplicated_and_quoted(tmp_path: Path) -> None:
    work = 'go 1.19\n\nuse (\n\t"./my mod"\n\t`./my mod/`\n\t./b/\n\tb\n\t./b\n)\n'
    r = repo(
        tmp_path / "r",
        {"go.work": work, "my mod/go.mod": "", "my mod/x.go": "package x\n", "b/go.mod": ""},
    )
    assert workspace_uses(r / "go.work") == ["./my mod", "./my mod/", "./b/", "b", "./b"]
    assert commands(r)["build"] == "go build './my mod/...' ./b/..."


def test_a_workspace_without_use_directives_falls_back_to_dot(tmp_path: Path) -> None:
    r = repo(
        tmp_path / "r",
        {"go.work": "go 1.19\n\nuse ()\n", "go.mod": go_mod("example.com/m"), "main.go": MAIN},
    )
    assert commands(r)["build"] == "go build ./..."


@pytest.mark.parametrize(
    ("text", "uses"),
    [
        ("use ./a\n", ["./a"]),
        ("use ./a // comment\nuse ../shared\n", ["./a", "../shared"]),
        ("// use ./commented\nuse (\n  // ./not\n  ./a\n\n  ./b // b\n)\n", ["./a", "./b"]),
        ('use "./with space"\n', ["./with space"]),
        ("go 1.22\ntoolchain go1.22.1\nreplace x => ./y\n", []),
        ("use (\n  ./a\n", ["./a"]),  # unterminated block: what is there still counts
    ],
)
def test_go_work_use_directives_are_read(tmp_path: Path, text: str, uses: list[str]) -> None:
    (tmp_path / "go.work").write_text(text)
    assert workspace_uses(tmp_path / "go.work") == uses


def test_a_use_outside_the_repo_keeps_its_relative_path(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "s_test.go").write_text(TEST)
    r = repo(tmp_path / "r", {"go.work": "go 1.19\n\nuse (\n\t.\n\t../shared\n)\n", "go.mod": ""})
    assert commands(r)["test"] == "go test ./... ../shared/..."
