"""The interpreter a Python repository's commands run under, and what is installed for it.

The repo's own environment wins (``.venv/bin/python``, then ``venv/bin/python``); without one,
``python3`` from PATH stands in. Whether a tool is installed is answered by looking for its
package in the interpreter's site-packages, never by importing it or running the interpreter:
the adapter must not execute anything while a pipeline is being planned.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

ENV_DIRS = (".venv", "venv")


@dataclass(frozen=True)
class PythonEnv:
    """``python`` is the command as the manifest will show it (relative to the repo when own)."""

    python: str
    own: bool
    site_dirs: tuple[Path, ...]

    def has_module(self, module: str) -> bool:
        # ``python -m X`` needs a package X with a __main__.py: exactly what we look for.
        return any((d / module / "__main__.py").is_file() for d in self.site_dirs)

    def tool(self, name: str, *, from_path: bool = True) -> str | None:
        """How to invoke tool ``name``: through this interpreter if installed here, else from PATH."""
        if self.has_module(name):
            return f"{shlex.quote(self.python)} -m {name}"
        if from_path and shutil.which(name):
            return name
        return None


def find_env(repo: Path) -> PythonEnv:
    for name in ENV_DIRS:
        python = repo / name / "bin" / "python"
        # is_file() follows symlinks: a venv whose base interpreter is gone does not count.
        if python.is_file() and os.access(python, os.X_OK):
            return PythonEnv(f"{name}/bin/python", own=True, site_dirs=site_dirs(python))
    found = shutil.which("python3")
    return PythonEnv("python3", own=False, site_dirs=site_dirs(Path(found)) if found else ())


def site_dirs(python: Path) -> tuple[Path, ...]:
    """Where ``python`` imports installed packages from, found the way CPython finds its prefix.

    A ``pyvenv.cfg`` beside the interpreter's bin/ makes that directory the prefix. Without one,
    CPython resolves the symlink chain to the real executable and uses that installation's prefix,
    so we do the same (an interpreter that is a symlink into another venv therefore sees the base
    installation's packages, not that venv's).
    """
    env = python.parent.parent
    cfg = env / "pyvenv.cfg"
    if cfg.is_file():
        settings = _read_cfg(cfg)
        version = _major_minor(settings.get("version_info") or settings.get("version") or "")
        dirs = _site_packages(env, version)
        home = settings.get("home")
        if home and settings.get("include-system-site-packages", "").lower() == "true":
            dirs += _site_packages(Path(home).parent, version)
        return dirs
    real = Path(os.path.realpath(python))
    return _site_packages(real.parent.parent, _major_minor(real.name))


def _site_packages(prefix: Path, version: str) -> tuple[Path, ...]:
    # lib64 on some distributions; dist-packages for Debian's system interpreter.
    pattern = f"python{version or '3*'}"
    patterns = [
        f"lib*/{pattern}/site-packages",
        f"lib/{pattern}/dist-packages",
        "lib/python3/dist-packages",
    ]
    return tuple(sorted({d for pattern in patterns for d in prefix.glob(pattern) if d.is_dir()}))


def _read_cfg(cfg: Path) -> dict[str, str]:
    settings: dict[str, str] = {}
    try:
        text = cfg.read_text(errors="replace")
    except OSError:
        return settings
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            settings[key.strip().lower()] = value.strip()
    return settings


def _major_minor(text: str) -> str:
    match = re.search(r"3\.\d+", text)
    return match.group(0) if match else ""
