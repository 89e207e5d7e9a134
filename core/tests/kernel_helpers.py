"""Small helpers shared by the kernel's tests."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from codex_core.testing import make_repo


def repo_with_config(tmp_path: Path, toml: str, files: dict[str, str] | None = None) -> Path:
    return make_repo(tmp_path / "repo", {"codex-core.toml": textwrap.dedent(toml), **(files or {})})


def events(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


def manifest(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "manifest.json").read_text())


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (dead, not yet reaped: PID 1 here may never reap) is dead."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")
