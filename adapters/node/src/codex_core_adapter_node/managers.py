"""Which package manager runs a Node.js package's scripts, and how it installs dependencies.

The lockfile decides, since it records what the package was actually installed with:
``pnpm-lock.yaml`` is pnpm, ``yarn.lock`` is Yarn, ``bun.lock``/``bun.lockb`` is Bun,
``package-lock.json``/``npm-shrinkwrap.json`` is npm. When several lockfiles are present, the one
whose manager package.json's "packageManager" field names wins, else the first in that order.
Without a lockfile the "packageManager" field (corepack style, ``pnpm@9.1.0``) decides, and
without either it is npm.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from .package import NodePackage


@dataclass(frozen=True)
class PackageManager:
    name: str
    lockfiles: tuple[str, ...]

    def run(self, script: str) -> str:
        """The command that runs ``script`` from package.json (every manager has ``run``)."""
        return f"{self.name} run {shlex.quote(script)}"

    def install(self, package: NodePackage) -> str:
        """Install the dependencies, keeping the lockfile as it is when there is one."""
        locked = package.has(*self.lockfiles)
        if self.name == "npm":
            return "npm ci" if locked else "npm install"
        if self.name == "yarn":
            if not locked:
                return "yarn install"
            # Yarn 1 and Yarn 2+ spell "do not touch the lockfile" differently.
            frozen = "--immutable" if is_yarn_berry(package) else "--frozen-lockfile"
            return f"yarn install {frozen}"
        return f"{self.name} install --frozen-lockfile" if locked else f"{self.name} install"


MANAGERS = (
    PackageManager("pnpm", ("pnpm-lock.yaml",)),
    PackageManager("yarn", ("yarn.lock",)),
    PackageManager("bun", ("bun.lock", "bun.lockb")),
    PackageManager("npm", ("package-lock.json", "npm-shrinkwrap.json")),
)
NPM = MANAGERS[-1]


def pick(package: NodePackage) -> PackageManager:
    declared = package.declared_manager
    locked = [manager for manager in MANAGERS if package.has(*manager.lockfiles)]
    for manager in locked or MANAGERS:
        if manager.name == declared:
            return manager
    return locked[0] if locked else NPM


def is_yarn_berry(package: NodePackage) -> bool:
    """Yarn 2 or later: "packageManager" says so, or the repo has Yarn 2's ``.yarnrc.yml``."""
    major = package.declared_manager_major if package.declared_manager == "yarn" else None
    if major is not None:
        return major >= 2
    return package.has(".yarnrc.yml")
