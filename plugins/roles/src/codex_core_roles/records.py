"""The roles' own files in the run dir: ``roles/<name>.json``, written atomically.

What one role hands to the next (the plan to the builder, the build and the tests to the
reviewer) and what a resumed attempt picks up again (the plan items already built, the budget
already spent) lives here, beside the manifest, so every stage can run in a new process.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from codex_core.atomic import write_atomic

DIR = "roles"


class RoleRecords:
    def __init__(self, run_dir: Path) -> None:
        self.dir = run_dir / DIR

    def path(self, name: str) -> Path:
        return self.dir / f"{name}.json"

    def read(self, name: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path(name).read_text())
        except FileNotFoundError:
            return None
        except (OSError, json.JSONDecodeError):
            return None  # a torn file cannot happen (atomic writes); an edited one is ignored
        return data if isinstance(data, dict) else None

    def write(self, name: str, data: dict[str, Any]) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        target = self.path(name)
        write_atomic(target, json.dumps(data, indent=2, default=str) + "\n", sync_directory=False)
        return target
