"""Real repositories and real virtualenvs for the Python adapter's tests.

A repo's "own environment" is a real venv (``python -m venv --without-pip``) into whose
site-packages we symlink packages already installed in the workspace's environment: the adapter
sees them exactly as it would after ``pip install``, and they run for real. Packages the workspace
does not install (flake8, pylint, build) can be given as an importable stub package instead, for
tests that only check which command is chosen and never run it.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path

from codex_core.testing import make_repo
from codex_core_adapter_python import PythonAdapter

WORKSPACE_SITE = Path(sysconfig.get_paths()["purelib"])
WORKSPACE_BIN = Path(sys.executable).parent
# What ``python -m pytest`` needs at run time.
PYTEST = ("pytest", "_pytest", "pluggy", "iniconfig", "packaging", "pygments", "py")


def repo(path: Path, files: Mapping[str, str]) -> Path:
    """A committed git repo holding ``files`` (text is dedented)."""
    return make_repo(path, {name: textwrap.dedent(text) for name, text in files.items()})


def make_venv(path: Path, packages: Iterable[str] | None = (), stubs: Iterable[str] = ()) -> Path:
    """A real venv at ``path`` with workspace ``packages`` linked in (None: all of them)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    site = next((path / "lib").glob("python3*/site-packages"))
    wanted = None if packages is None else set(packages)
    for entry in WORKSPACE_SITE.iterdir():
        if (
            entry.suffix == ".pth"
            or entry.name == "__pycache__"
            or entry.name.startswith("_virtualenv")
        ):
            continue  # .pth files would point the venv back at the workspace's editable installs
        if wanted is None or _distribution_of(entry) in wanted:
            (site / entry.name).symlink_to(entry)
    if (wanted is None or "ruff" in wanted) and (WORKSPACE_BIN / "ruff").exists():
        # ``python -m ruff`` execs the ruff binary from the env's bin/.
        (path / "bin" / "ruff").symlink_to(WORKSPACE_BIN / "ruff")
    for name in stubs:
        (site / name).mkdir()
        (site / name / "__init__.py").write_text("")
        (site / name / "__main__.py").write_text("raise SystemExit('a stub, not the real tool')\n")
    return path


def _distribution_of(entry: Path) -> str:
    return (
        entry.name.split("-", 1)[0]
        if entry.name.endswith(".dist-info")
        else entry.name.removesuffix(".py")
    )


def tools_bin(path: Path, *names: str) -> Path:
    """A directory of symlinks to the real executables ``names`` (from the workspace env or PATH)."""
    import shutil

    path.mkdir(parents=True, exist_ok=True)
    for name in names:
        found = WORKSPACE_BIN / name if (WORKSPACE_BIN / name).exists() else shutil.which(name)
        assert found, f"{name} is needed on PATH for this test"
        (path / name).symlink_to(found)
    return path


def commands(repo: Path) -> dict[str, str | None]:
    """The adapter's command per stage id."""
    return {stage.id: stage.command for stage in PythonAdapter().stages(repo)}
