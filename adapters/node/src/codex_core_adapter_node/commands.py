"""The build, lint and test commands for a Node.js package: one function per step.

Each step runs the package's own script of that name from package.json's "scripts", with the
package manager the repo uses (:mod:`codex_core_adapter_node.managers`): ``<pm> run <script>``,
so ``npm run build``, ``pnpm run lint``, ``yarn run test``, ``bun run test``. A step whose script
is missing or blank returns None, and the kernel records the stage ``skipped`` with
``skip_reason: no-command``. Nothing else stands in for a missing script: a linter the package
does not script is not run.

build
    The ``build`` script. When the dependencies are not installed (no ``node_modules/`` and no
    Yarn Plug'n'Play loader ``.pnp.cjs``/``.pnp.js``) and there is something to install
    ("dependencies", "devDependencies", "optionalDependencies" or "workspaces" is non-empty),
    the install comes first: ``<install> && <pm> run build``, or ``<install>`` alone when there
    is no build script, since lint and test need the dependencies too. The install keeps the
    lockfile as it is when there is one: ``npm ci``, ``pnpm install --frozen-lockfile``,
    ``yarn install --frozen-lockfile`` (Yarn 1) or ``--immutable`` (Yarn 2+),
    ``bun install --frozen-lockfile``; without a lockfile it is ``<pm> install``.

lint
    The ``lint`` script.

test
    The ``test`` script, except npm's placeholder ``echo "Error: no test specified" && exit 1``,
    which says the package has no tests rather than that they fail.

Each function takes the package's files (:class:`NodePackage`) and its manager
(:class:`PackageManager`) and returns the command, so that a repo's config can later replace any
one step on its own.
"""

from __future__ import annotations

from collections.abc import Callable

from .managers import PackageManager
from .package import NodePackage, is_placeholder_test

Step = Callable[[NodePackage, PackageManager], str | None]


def _script(package: NodePackage, manager: PackageManager, name: str) -> str | None:
    return manager.run(name) if package.script(name) is not None else None


def command_for_build(package: NodePackage, manager: PackageManager) -> str | None:
    build = _script(package, manager, "build")
    if package.needs_install:
        install = manager.install(package)
        return f"{install} && {build}" if build else install
    return build


def command_for_lint(package: NodePackage, manager: PackageManager) -> str | None:
    return _script(package, manager, "lint")


def command_for_test(package: NodePackage, manager: PackageManager) -> str | None:
    script = package.script("test")
    if script is None or is_placeholder_test(script):
        return None
    return manager.run("test")


STEPS: dict[str, Step] = {
    "build": command_for_build,
    "lint": command_for_lint,
    "test": command_for_test,
}
