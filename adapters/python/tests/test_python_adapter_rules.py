"""Which build, lint and test commands the Python adapter picks, rule by rule, on real repos."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from codex_core.testing import check_adapter
from codex_core_adapter_python import PythonAdapter
from python_adapter_helpers import PYTEST, commands, make_venv, repo

PY = ".venv/bin/python"
PROJECT = '[project]\nname = "demo"\nversion = "0.1.0"\n'


# -- recognising a repo and the shape of its stages -----------------------------------------


@pytest.mark.parametrize("marker", ["pyproject.toml", "setup.py", "setup.cfg"])
def test_recognises_a_python_repo_by_its_packaging_files(tmp_path: Path, marker: str) -> None:
    assert PythonAdapter().matches(repo(tmp_path / "r", {marker: ""}))


def test_does_not_recognise_other_repos(tmp_path: Path) -> None:
    other = repo(tmp_path / "r", {"package.json": "{}", "script.py": "print(1)\n"})
    assert not PythonAdapter().matches(other)
    assert not PythonAdapter().matches(tmp_path / "missing")


def test_stages_are_build_lint_test_command_stages_from_python(tmp_path: Path, use_path) -> None:
    r = repo(tmp_path / "r", {"pyproject.toml": PROJECT, "demo/__init__.py": ""})
    use_path()
    stages = check_adapter(PythonAdapter(), r)
    assert [(s.id, s.kind, s.source) for s in stages] == [
        ("build", "command", "python"),
        ("lint", "command", "python"),
        ("test", "command", "python"),
    ]


def test_planning_never_runs_the_repo_code(tmp_path: Path, use_path) -> None:
    # Every file here would leave a mark if anything executed it.
    mark = "import pathlib; pathlib.Path(__file__).with_name('RAN').write_text('x')\n"
    r = repo(
        tmp_path / "r",
        {"setup.py": mark, "conftest.py": mark, "tests/test_a.py": mark, "pkg/__init__.py": mark},
    )
    python = r / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f"#!/bin/sh\ntouch {r}/RAN\n")
    python.chmod(0o755)
    use_path("ruff", "pytest", "uv")
    check_adapter(PythonAdapter(), r)  # also checks the tree is unchanged
    assert not list(r.rglob("RAN"))
    assert not list(r.rglob("__pycache__"))


# -- the repo's environment -------------------------------------------------------------------


def test_uses_venv_when_there_is_no_dot_venv(tmp_path: Path, use_path) -> None:
    r = repo(tmp_path / "r", {"pyproject.toml": PROJECT, "tests/test_a.py": "def test_a(): pass\n"})
    make_venv(r / "venv", PYTEST)
    use_path()
    assert commands(r)["test"] == "venv/bin/python -m pytest -q"


def test_a_broken_env_interpreter_falls_back_to_python3(tmp_path: Path, use_path) -> None:
    r = repo(tmp_path / "r", {"pyproject.toml": PROJECT, "app.py": ""})
    (r / ".venv" / "bin").mkdir(parents=True)
    (r / ".venv" / "bin" / "python").symlink_to(tmp_path / "gone" / "python3.11")
    use_path()
    assert commands(r)["build"] == "python3 -m compileall -q app.py"


# -- build --------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not on PATH")
def test_build_is_uv_build_for_a_uv_project(tmp_path: Path, use_path) -> None:
    r = repo(
        tmp_path / "r",
        {"pyproject.toml": PROJECT, "uv.lock": "version = 1\n", "demo/__init__.py": ""},
    )
    use_path("uv")
    assert commands(r)["build"] == "uv build"


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not on PATH")
def test_build_is_uv_build_all_packages_for_a_uv_workspace(tmp_path: Path, use_path) -> None:
    workspace = '[tool.uv.workspace]\nmembers = ["packages/*"]\n'
    r = repo(tmp_path / "r", {"pyproject.toml": workspace, "uv.lock": "version = 1\n"})
    use_path("uv")
    assert commands(r)["build"] == "uv build --all-packages"


def test_build_uses_the_build_package_when_uv_is_not_on_path(tmp_path: Path, use_path) -> None:
    r = repo(
        tmp_path / "r",
        {"pyproject.toml": PROJECT, "uv.lock": "version = 1\n", "demo/__init__.py": ""},
    )
    make_venv(r / ".venv", stubs=["build"])
    use_path()
    assert commands(r)["build"] == f"{PY} -m build"


def test_build_package_is_not_used_for_a_repo_that_is_not_a_package(
    tmp_path: Path, use_path
) -> None:
    r = repo(tmp_path / "r", {"pyproject.toml": "[tool.ruff]\n", "main.py": ""})
    make_venv(r / ".venv", stubs=["build"])
    use_path()
    assert commands(r)["build"] == f"{PY} -m compileall -q main.py"


def test_build_without_build_tooling_byte_compiles_the_repo_code_only(
    tmp_path: Path, use_path
) -> None:
    r = repo(
        tmp_path / "r",
        {
            "setup.py": "",
            "src/demo/__init__.py": "",
            "src/demo/build/__init__.py": "",  # a package called build is source
            "tests/test_a.py": "",
            "my scripts/run.py": "",
            "docs/readme.txt": "",
            "build/lib/demo/__init__.py": "",  # build output
            "dist/x.py": "",
            ".tox/py/x.py": "",
            "node_modules/x/y.py": "",
            "env/pyvenv.cfg": "",  # a virtualenv under any name
            "env/lib/x.py": "",
        },
    )
    make_venv(r / ".venv", PYTEST)
    use_path()
    assert commands(r)["build"] == f"{PY} -m compileall -q 'my scripts' setup.py src tests"


def test_build_is_none_without_python_files(tmp_path: Path, use_path) -> None:
    r = repo(tmp_path / "r", {"pyproject.toml": "[tool.black]\n", "README.md": ""})
    use_path()
    assert commands(r)["build"] is None


# -- lint ---------------------------------------------------------------------------------------


def test_lint_configured_ruff_runs_from_the_env(tmp_path: Path, use_path) -> None:
    r = repo(
        tmp_path / "r",
        {"pyproject.toml": PROJECT + "[tool.ruff.lint]\nselect = ['E']\n", "a.py": ""},
    )
    make_venv(r / ".venv", ["ruff"])
    use_path("ruff")
    assert commands(r)["lint"] == f"{PY} -m ruff check ."


@pytest.mark.parametrize("config", ["ruff.toml", ".ruff.toml"])
def test_lint_configured_ruff_runs_from_path_without_an_env(
    tmp_path: Path, use_path, config: str
) -> None:
    r = repo(tmp_path / "r", {"setup.py": "", config: "line-length = 100\n"})
    use_path("ruff")
    assert commands(r)["lint"] == "ruff check ."


def test_lint_unconfigured_ruff_counts_when_the_env_installs_it(tmp_path: Path, use_path) -> None:
    r = repo(tmp_path / "r", {"pyproject.toml": PROJECT, "a.py": ""})
    make_venv(r / ".venv", ["ruff"])
    use_path()
    assert commands(r)["lint"] == f"{PY} -m ruff check ."


def test_lint_unconfigured_ruff_on_path_says_nothing_about_the_repo(
    tmp_path: Path, use_path
) -> None:
    r = repo(tmp_path / "r", {"pyproject.toml": PROJECT, "a.py": ""})
    use_path("ruff")
    assert commands(r)["lint"] is None


@pytest.mark.parametrize(
    "files",
    [
        {".flake8": "[flake8]\n"},
        {"setup.cfg": "[metadata]\n[flake8]\nmax-line-length = 99\n"},
        {"tox.ini": "[flake8]\n"},
    ],
)
def test_lint_configured_flake8_gets_the_python_roots(
    tmp_path: Path, use_path, files: dict[str, str]
) -> None:
    r = repo(tmp_path / "r", {"setup.py": "", "pkg/__init__.py": "", **files})
    make_venv(r / ".venv", stubs=["flake8"])
    use_path()
    assert commands(r)["lint"] == f"{PY} -m flake8 pkg setup.py"


def test_lint_configured_but_missing_linter_is_kept_so_the_stage_says_so(
    tmp_path: Path, use_path
) -> None:
    r = repo(tmp_path / "r", {"setup.py": "", ".flake8": "[flake8]\n"})
    use_path()
    assert commands(r)["lint"] == "flake8 setup.py"


def test_lint_stale_config_of_a_missing_linter_is_dropped(tmp_path: Path, use_path) -> None:
    r = repo(
        tmp_path / "r",
        {"pyproject.toml": PROJECT + "[tool.ruff]\n", ".flake8": "[flake8]\n", "a.py": ""},
    )
    make_venv(r / ".venv", ["ruff"])
    use_path()
    assert commands(r)["lint"] == f"{PY} -m ruff check ."


@pytest.mark.parametrize(
    "files",
    [
        {".pylintrc": ""},
        {"pylintrc": ""},
        {"pyproject.toml": PROJECT + "[tool.pylint.main]\njobs = 1\n"},
        {"setup.cfg": "[pylint.MESSAGES CONTROL]\ndisable = C\n"},
    ],
)
def test_lint_configured_pylint_is_recursive_over_the_roots(
    tmp_path: Path, use_path, files: dict[str, str]
) -> None:
    r = repo(tmp_path / "r", {"pyproject.toml": PROJECT, "src/demo/__init__.py": "", **files})
    make_venv(r / ".venv", stubs=["pylint"])
    use_path()
    assert commands(r)["lint"] == f"{PY} -m pylint --recursive=y src"


def test_lint_runs_every_configured_linter(tmp_path: Path, use_path) -> None:
    r = repo(
        tmp_path / "r",
        {"pyproject.toml": PROJECT + "[tool.ruff]\n[tool.pylint]\n", "demo/__init__.py": ""},
    )
    make_venv(r / ".venv", ["ruff"], stubs=["pylint"])
    use_path()
    assert commands(r)["lint"] == f"{PY} -m ruff check . && {PY} -m pylint --recursive=y demo"


def test_lint_is_none_when_nothing_is_configured_or_installed(tmp_path: Path, use_path) -> None:
    r = repo(tmp_path / "r", {"pyproject.toml": PROJECT, "a.py": ""})
    make_venv(r / ".venv", PYTEST)
    use_path("ruff", "pytest")
    assert commands(r)["lint"] is None


def test_a_malformed_pyproject_does_not_break_planning(tmp_path: Path, use_path) -> None:
    r = repo(tmp_path / "r", {"pyproject.toml": "[tool.ruff\n", "a.py": ""})
    use_path()
    assert commands(r) == {"build": "python3 -m compileall -q a.py", "lint": None, "test": None}


# -- test ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "files",
    [
        {"pyproject.toml": PROJECT + "[tool.pytest.ini_options]\naddopts = '-ra'\n"},
        {"pyproject.toml": PROJECT + "[tool.pytest]\nminversion = '9.0'\n"},
        {"pytest.ini": "[pytest]\n"},
        {"pytest.toml": "[pytest]\n"},
        {"conftest.py": ""},
        {"setup.cfg": "[tool:pytest]\ntestpaths = tests\n"},
        {"tox.ini": "[tox]\n[pytest]\naddopts = -q\n"},
    ],
)
def test_configured_pytest_runs_even_before_there_are_tests(
    tmp_path: Path, use_path, files: dict[str, str]
) -> None:
    r = repo(tmp_path / "r", {"setup.py": "", **files})
    make_venv(r / ".venv", PYTEST)
    use_path()
    assert commands(r)["test"] == f"{PY} -m pytest -q"


def test_pytest_installed_in_the_env_runs_the_tests(tmp_path: Path, use_path) -> None:
    r = repo(
        tmp_path / "r", {"pyproject.toml": PROJECT, "demo/core_test.py": "def test_a(): pass\n"}
    )
    make_venv(r / ".venv", PYTEST)
    use_path()
    assert commands(r)["test"] == f"{PY} -m pytest -q"


def test_pytest_from_path_stands_in_only_without_an_own_env(tmp_path: Path, use_path) -> None:
    files = {"pyproject.toml": PROJECT, "tests/test_a.py": "def test_a(): pass\n"}
    without_env = repo(tmp_path / "a", files)
    with_env = repo(tmp_path / "b", files)
    make_venv(with_env / ".venv")
    use_path("pytest")
    assert commands(without_env)["test"] == "pytest -q"
    # From PATH it would import the code with another interpreter than the repo's.
    assert commands(with_env)["test"] == f"{PY} -m pytest -q"


def test_pytest_installed_for_python3_runs_without_an_own_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = repo(tmp_path / "r", {"setup.py": "", "tests/test_a.py": "def test_a(): pass\n"})
    python = make_venv(tmp_path / "python", PYTEST)
    monkeypatch.setenv("PATH", str(python / "bin"))
    assert commands(r)["test"] == "python3 -m pytest -q"


UNITTEST = "import unittest\n\nclass T(unittest.TestCase):\n    def test_a(self):\n        pass\n"


def test_unittest_tests_without_pytest_run_with_unittest_from_their_dir(
    tmp_path: Path, use_path
) -> None:
    r = repo(
        tmp_path / "r", {"setup.py": "", "tests/test_a.py": UNITTEST, "tests/test_b.py": UNITTEST}
    )
    make_venv(r / ".venv")
    use_path("pytest")
    assert commands(r)["test"] == f"{PY} -m unittest discover -q -s tests"


def test_unittest_tests_in_a_package_keep_the_root_as_top_level(tmp_path: Path, use_path) -> None:
    r = repo(tmp_path / "r", {"setup.py": "", "test/__init__.py": "", "test/test_a.py": UNITTEST})
    make_venv(r / ".venv")
    use_path()
    assert commands(r)["test"] == f"{PY} -m unittest discover -q -s test -t ."


def test_unittest_tests_spread_over_the_repo_are_discovered_from_the_root(
    tmp_path: Path, use_path
) -> None:
    r = repo(
        tmp_path / "r",
        {"setup.py": "", "test_a.py": UNITTEST, "pkg/__init__.py": "", "pkg/test_b.py": UNITTEST},
    )
    use_path()
    assert commands(r)["test"] == "python3 -m unittest discover -q"


def test_unittest_tests_use_pytest_when_it_is_installed(tmp_path: Path, use_path) -> None:
    r = repo(tmp_path / "r", {"setup.py": "", "tests/test_a.py": UNITTEST})
    make_venv(r / ".venv", PYTEST)
    use_path()
    assert commands(r)["test"] == f"{PY} -m pytest -q"


def test_plain_test_functions_without_pytest_still_ask_for_pytest(tmp_path: Path, use_path) -> None:
    # unittest would run none of them and pass; pytest fails saying it is missing.
    r = repo(
        tmp_path / "r",
        {"setup.py": "", "tests/test_a.py": UNITTEST, "tests/test_b.py": "def test_b(): pass\n"},
    )
    make_venv(r / ".venv")
    use_path()
    assert commands(r)["test"] == f"{PY} -m pytest -q"


def test_no_tests_means_no_test_command(tmp_path: Path, use_path) -> None:
    r = repo(
        tmp_path / "r", {"pyproject.toml": PROJECT, "demo/__init__.py": "", "demo/testing.py": ""}
    )
    make_venv(r / ".venv", PYTEST)
    use_path("pytest")
    assert commands(r)["test"] is None
