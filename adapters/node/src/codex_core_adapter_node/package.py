"""What a Node.js package holds, read from its files: package.json, lockfiles, installed modules.

Nothing here runs node or a package manager. A package.json that cannot be read or parsed, or a
field of the wrong type, counts as absent: planning must not crash on it, and the package
manager says what is wrong with the file when a stage runs it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

# What ``npm init`` writes as the test script of a package that has no tests.
NPM_PLACEHOLDER_TEST = re.compile(
    r"""^\s*echo\s+(["']?)Error:\s*no test specified\1\s*&&\s*exit\s+1\s*;?\s*$"""
)
DEPENDENCY_FIELDS = ("dependencies", "devDependencies", "optionalDependencies")
# Yarn Plug'n'Play installs without a node_modules/: its loader file says it installed.
PNP_LOADERS = (".pnp.cjs", ".pnp.js")


@dataclass(frozen=True)
class NodePackage:
    root: Path

    def has(self, *names: str) -> bool:
        """Whether any of these files exists at the top of the package."""
        return any((self.root / name).is_file() for name in names)

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """package.json as a dict; empty when missing, unreadable or not a JSON object."""
        try:
            # utf-8-sig: npm accepts a package.json that starts with a byte-order mark.
            data = json.loads((self.root / "package.json").read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def script(self, name: str) -> str | None:
        """The text of script ``name`` in package.json's "scripts", or None when it has none."""
        scripts = self.manifest.get("scripts")
        text = scripts.get(name) if isinstance(scripts, dict) else None
        return text if isinstance(text, str) and text.strip() else None

    @property
    def declared_manager(self) -> str | None:
        """The package manager named by "packageManager" (corepack's ``pnpm@9.1.0+sha...``)."""
        field = self.manifest.get("packageManager")
        if not isinstance(field, str):
            return None
        return field.strip().split("@", 1)[0] or None

    @property
    def declared_manager_major(self) -> int | None:
        """The major version in "packageManager" (``4`` for ``yarn@4.1.0``), when it has one."""
        field = self.manifest.get("packageManager")
        match = re.match(r"^\s*[^@\s]+@v?(\d+)", field) if isinstance(field, str) else None
        return int(match.group(1)) if match else None

    @property
    def has_dependencies(self) -> bool:
        """Whether installing would bring anything: dependencies of any kind, or workspaces."""
        if any(_non_empty(self.manifest.get(field)) for field in DEPENDENCY_FIELDS):
            return True
        workspaces = self.manifest.get("workspaces")
        if isinstance(workspaces, dict):  # Yarn 1's {"packages": [...], "nohoist": [...]}
            workspaces = workspaces.get("packages")
        return _non_empty(workspaces)

    @property
    def is_installed(self) -> bool:
        """Whether dependencies were installed: a node_modules dir, or a Plug'n'Play loader."""
        return (self.root / "node_modules").is_dir() or self.has(*PNP_LOADERS)

    @property
    def needs_install(self) -> bool:
        return self.has_dependencies and not self.is_installed


def is_placeholder_test(script: str) -> bool:
    """Whether ``script`` is npm's ``echo "Error: no test specified" && exit 1``."""
    return NPM_PLACEHOLDER_TEST.match(script) is not None


def _non_empty(value: object) -> bool:
    return isinstance(value, dict | list) and len(value) > 0
