"""The build, lint and test commands for a Python repository: one function per step.

``<python>`` below is the repo's own interpreter (``.venv/bin/python``, else ``venv/bin/python``)
or, without one, ``python3`` from PATH. "Installed" means the tool's package is in that
interpreter's site-packages (looked up as files, never imported). A step with no command returns
None, and the kernel records the stage ``skipped`` with ``skip_reason: no-command``. Paths are
relative to the repo, which is the stages' working directory.

build
    1. ``uv build`` when the repo has ``uv.lock``, ``uv`` is on PATH and there is something to
       build (``[project]``/``[build-system]`` in pyproject.toml, or setup.py);
       ``uv build --all-packages`` for a uv workspace (``[tool.uv.workspace]``).
    2. ``<python> -m build`` when the repo is a package and ``build`` is installed.
    3. Otherwise "build" means "every Python file compiles": ``<python> -m compileall -q <roots>``,
       where roots are the top-level files and directories holding .py files (hidden directories,
       virtualenvs, ``__pycache__``, ``node_modules`` and top-level build/ and dist/ are left out).
    4. No Python files at all: None.

lint
    Every linter the repo configures, in this order, joined with ``&&``:
    ruff (``[tool.ruff]``, ruff.toml, .ruff.toml) runs ``ruff check .``; flake8 (.flake8,
    ``[flake8]`` in setup.cfg or tox.ini) runs ``flake8 <roots>``; pylint (.pylintrc, pylintrc,
    (.)pylintrc.toml, ``[tool.pylint...]``, ``[pylint.*]`` in setup.cfg or tox.ini) runs
    ``pylint --recursive=y <roots>``. Each runs as ``<python> -m <tool>`` when installed, else
    as ``<tool>`` from PATH. A configured linter found in neither place is dropped when another
    configured one can run (a stale config must not fail the run); when none can run, they are
    all kept, so the stage fails saying what is missing. With nothing configured, ruff runs when
    the repo's own environment installs it; otherwise None.

test
    1. pytest when configured (pytest.ini, .pytest.ini, pytest.toml, .pytest.toml,
       ``[tool.pytest...]``, a conftest.py, ``[tool:pytest]`` in setup.cfg, ``[pytest]`` in
       tox.ini), even when we see no test file (its config may name other files).
    2. No test files (``test_*.py``, ``*_test.py``): None.
    3. pytest when it is installed.
    4. ``<python> -m unittest discover -q`` when every test file is a ``test*.py`` importing
       unittest (started in tests/ or test/ when all of them live there, with ``-t .`` when that
       directory is a package).
    5. Otherwise pytest: plain test functions are pytest's; the stage then fails saying pytest is
       missing, which is the truth.
    pytest runs as ``<python> -m pytest -q``; without an own environment a ``pytest`` from PATH
    may stand in (``pytest -q``). With an own environment it may not: it would import the code
    with another interpreter than the repo's.

Each function takes the repo's files (:class:`PythonProject`) and interpreter (:class:`PythonEnv`)
and returns the command, so that a repo's config can later replace any one step on its own.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass

from .environment import PythonEnv
from .project import TEST_DIRS, PythonProject

Step = Callable[[PythonProject, PythonEnv], str | None]


def _join(paths: tuple[str, ...]) -> str:
    return " ".join(shlex.quote(p) for p in paths)


def command_for_build(project: PythonProject, env: PythonEnv) -> str | None:
    if project.has("uv.lock") and shutil.which("uv"):
        if project.is_uv_workspace:
            return "uv build --all-packages"
        if project.is_package:
            return "uv build"
    if project.is_package and env.has_module("build"):
        return f"{shlex.quote(env.python)} -m build"
    if project.roots:
        return f"{shlex.quote(env.python)} -m compileall -q {_join(project.roots)}"
    return None


@dataclass(frozen=True)
class Linter:
    name: str  # both the module (``python -m name``) and the executable on PATH
    configured: Callable[[PythonProject], bool]
    arguments: Callable[[PythonProject], str | None]  # None: nothing for it to lint


LINTERS = (
    Linter(
        "ruff",
        configured=lambda p: p.tool("ruff") or p.has("ruff.toml", ".ruff.toml"),
        # ruff skips virtualenvs, build output and .gitignore'd paths by itself.
        arguments=lambda p: "check .",
    ),
    Linter(
        "flake8",
        configured=lambda p: (
            p.has(".flake8")
            or p.has_section("setup.cfg", "flake8")
            or p.has_section("tox.ini", "flake8")
        ),
        # flake8 does not skip virtualenvs: hand it the repo's own Python roots.
        arguments=lambda p: _join(p.roots) or None,
    ),
    Linter(
        "pylint",
        configured=lambda p: (
            p.has(".pylintrc", "pylintrc", ".pylintrc.toml", "pylintrc.toml")
            or p.tool("pylint")
            or p.has_section("setup.cfg", r"pylint\.[^]]*")
            or p.has_section("tox.ini", r"pylint\.[^]]*")
        ),
        arguments=lambda p: f"--recursive=y {_join(p.roots)}" if p.roots else None,
    ),
)
RUFF = LINTERS[0]


def command_for_lint(project: PythonProject, env: PythonEnv) -> str | None:
    linters = [linter for linter in LINTERS if linter.configured(project)]
    if not linters and env.own and env.has_module("ruff"):
        # Unconfigured, ruff counts only when the repo's own env installs it: a ruff that merely
        # happens to be on PATH says nothing about this repo.
        linters = [RUFF]
    runnable = [linter for linter in linters if env.tool(linter.name)]
    commands = []
    for linter in runnable or linters:
        arguments = linter.arguments(project)
        if arguments is not None:
            commands.append(f"{env.tool(linter.name) or linter.name} {arguments}")
    return " && ".join(commands) or None


def pytest_configured(project: PythonProject) -> bool:
    return (
        project.has("pytest.ini", ".pytest.ini", "pytest.toml", ".pytest.toml")
        or project.tool("pytest")
        or any(path.rsplit("/", 1)[-1] == "conftest.py" for path in project.python_files)
        or project.has_section("setup.cfg", "tool:pytest")
        or project.has_section("tox.ini", "pytest")
    )


def command_for_test(project: PythonProject, env: PythonEnv) -> str | None:
    pytest = env.tool("pytest", from_path=not env.own)
    if pytest_configured(project):
        return _pytest(env, pytest)
    tests = project.test_files
    if not tests:
        return None
    if pytest:
        return _pytest(env, pytest)
    if all(t.rsplit("/", 1)[-1].startswith("test") and project.imports_unittest(t) for t in tests):
        return _unittest(project, env, tests)
    return _pytest(env, pytest)


def _pytest(env: PythonEnv, pytest: str | None) -> str:
    # Found nowhere, pytest is still asked of the repo's interpreter: the stage then fails with
    # "No module named pytest", which says what is missing.
    runner = pytest or f"{shlex.quote(env.python)} -m pytest"
    return f"{runner} -q"


def _unittest(project: PythonProject, env: PythonEnv, tests: tuple[str, ...]) -> str:
    command = f"{shlex.quote(env.python)} -m unittest discover -q"
    for directory in TEST_DIRS:
        if all(t.startswith(f"{directory}/") for t in tests):
            # Discovery from the root only descends into packages, so start in the tests dir. A
            # tests dir that is a package must be imported from the root (``-t .``); a plain one
            # is its own top level, and ``python -m`` keeps the root importable anyway.
            top = " -t ." if (project.root / directory / "__init__.py").is_file() else ""
            return f"{command} -s {directory}{top}"
    return command


STEPS: dict[str, Step] = {
    "build": command_for_build,
    "lint": command_for_lint,
    "test": command_for_test,
}
