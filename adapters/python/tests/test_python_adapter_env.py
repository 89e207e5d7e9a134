"""The adapter finds an interpreter's site-packages from files; check it against the interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from codex_core_adapter_python.environment import find_env, site_dirs
from python_adapter_helpers import PYTEST, make_venv


def _reported_site_packages(python: Path) -> set[Path]:
    out = subprocess.run(
        [str(python), "-c", "import json, site; print(json.dumps(site.getsitepackages()))"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return {Path(p).resolve() for p in json.loads(out)}


def test_site_dirs_of_a_venv_are_the_ones_it_imports_from(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / ".venv", PYTEST)
    python = venv / "bin" / "python"
    found = {d.resolve() for d in site_dirs(python)}
    assert found
    assert found <= _reported_site_packages(python)


def test_site_dirs_of_a_symlinked_interpreter_are_its_real_installation(tmp_path: Path) -> None:
    # No pyvenv.cfg beside it: CPython resolves the link and uses the real installation's prefix,
    # not the workspace venv's, even though sys.executable lives in that venv.
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.symlink_to(sys.executable)
    found = {d.resolve() for d in site_dirs(python)}
    assert found
    assert found <= _reported_site_packages(python)


def test_the_repo_env_is_relative_and_own(tmp_path: Path) -> None:
    make_venv(tmp_path / ".venv", PYTEST)
    env = find_env(tmp_path)
    assert (env.python, env.own) == (".venv/bin/python", True)
    assert env.has_module("pytest")
    assert not env.has_module("_pytest")  # a package without __main__ cannot be run with -m
