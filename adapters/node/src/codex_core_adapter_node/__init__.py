"""codex-core's language adapter for Node.js packages (entry point ``codex_core.adapters:node``).

A repository is a Node.js package when it has a ``package.json`` at its top. For it the adapter
proposes the diagnostics pipeline's ``build``, ``lint`` and ``test`` stages, each running the
package's own script of that name with the package manager the repo uses:

- the manager comes from the lockfile (``pnpm-lock.yaml`` pnpm, ``yarn.lock`` Yarn,
  ``bun.lock``/``bun.lockb`` Bun, ``package-lock.json``/``npm-shrinkwrap.json`` npm), else from
  package.json's "packageManager" field (``pnpm@9.1.0``), else npm; rules in
  :mod:`codex_core_adapter_node.managers`;
- a missing script means no command (the stage is skipped, ``no-command``), and npm's placeholder
  test script counts as missing;
- when dependencies are declared but not installed (no ``node_modules/``), the build stage
  installs them first (``npm ci`` with a lockfile, ``npm install`` without); rules in
  :mod:`codex_core_adapter_node.commands`.

``matches`` and ``stages`` only read files: planning a run never installs or runs anything.
"""

from __future__ import annotations

from pathlib import Path

from codex_core import StageSpec

from .commands import STEPS
from .managers import pick
from .package import NodePackage

MARKER = "package.json"
SOURCE = "node"


class NodeAdapter:
    """The ``node`` adapter: stevedore instantiates it with no arguments."""

    def matches(self, repo: Path) -> bool:
        return (repo / MARKER).is_file()

    def stages(self, repo: Path) -> list[StageSpec]:
        package = NodePackage(repo)
        manager = pick(package)
        return [
            StageSpec(id=step, kind="command", command=command(package, manager), source=SOURCE)
            for step, command in STEPS.items()
        ]


__all__ = ["NodeAdapter"]
