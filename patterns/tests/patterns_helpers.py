"""Helpers for the patterns tests: misbehaving codemods and small builders (not a test module).

The codemod classes here are real libcst codemods given to the runner as ``module:Class``
(``patterns_helpers:RaisingCodemod``); the CLI's subprocesses find this module through
``PYTHONPATH`` (see :func:`helper_env`).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import libcst as cst
from libcst.codemod import VisitorBasedCodemodCommand

HERE = Path(__file__).resolve().parent
PATTERNS = HERE.parent
INDEX = PATTERNS / "index.json"


def helper_env() -> dict[str, str]:
    """Environment for a CLI subprocess that must import this module."""
    existing = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": os.pathsep.join(p for p in (str(HERE), existing) if p)}


class RenameX(VisitorBasedCodemodCommand):
    """Renames the name ``x`` to ``y``; raises, dies or sleeps on marker strings.

    ``RAISE_ME`` in a file raises ValueError; ``KILL_ME`` SIGKILLs the worker process;
    ``EXIT_ME`` calls ``os._exit(3)``; ``SLOW_ME`` sleeps 0.5 s first.
    """

    NAME = "rename-x"
    VERSION = "0.1.0"
    PRECHECK = (rb"\bx\b",)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        code = tree.code
        if "SLOW_ME" in code:
            time.sleep(0.5)
        if "KILL_ME" in code:
            os.kill(os.getpid(), signal.SIGKILL)
        if "EXIT_ME" in code:
            os._exit(3)
        if "RAISE_ME" in code:
            raise ValueError("asked to raise")
        return super().transform_module_impl(tree)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        return updated_node.with_changes(value="y") if updated_node.value == "x" else updated_node


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def temp_files(root: Path) -> list[Path]:
    """Leftover ``write_atomic`` temp files under ``root``."""
    return [p for p in root.rglob(".*.tmp") if ".git" not in p.parts]
