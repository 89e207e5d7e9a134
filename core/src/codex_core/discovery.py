"""Finding plugins: stevedore, one entry-point namespace per capability kind.

Listing reads distribution metadata only (no plugin is imported); loading imports just the names
asked for. A plugin that fails to import is returned as a :class:`LoadFailure`, never raised, so
one broken plugin cannot break unrelated commands.

``CODEX_CORE_LOAD_PLUGINS`` restricts loading to the comma-separated distribution names it lists
(as llm's ``LLM_LOAD_PLUGINS`` does); an empty value loads no third-party plugin. The kernel's own
distribution (``codex-core``) always loads: its built-in stage kinds are plugins like any other,
but a run cannot do without them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any

import attrs

NAMESPACES = (
    "codex_core.stages",
    "codex_core.adapters",
    "codex_core.guardrails",
    "codex_core.roles",
    "codex_core.backends",
    "codex_core.transports",
    "codex_core.codemods",
    "codex_core.linters",
    "codex_core.templates",
    "codex_core.executors",
    "codex_core.plugins",
)
ALLOW_ENV = "CODEX_CORE_LOAD_PLUGINS"
KERNEL_DISTRIBUTION = "codex-core"


@attrs.frozen
class PluginInfo:
    """An installed entry point, from metadata alone."""

    namespace: str
    name: str
    value: str
    distribution: str | None
    version: str | None

    @property
    def allowed(self) -> bool:
        return distribution_allowed(self.distribution)


@attrs.frozen
class LoadFailure:
    namespace: str
    name: str
    error: str


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution_allowed(distribution: str | None) -> bool:
    """Whether ``CODEX_CORE_LOAD_PLUGINS`` lets this distribution's plugins load."""
    allow = os.environ.get(ALLOW_ENV)
    if allow is None or (distribution and _normalise(distribution) == KERNEL_DISTRIBUTION):
        return True
    allowed = {_normalise(part) for part in allow.split(",") if part.strip()}
    return distribution is not None and _normalise(distribution) in allowed


def installed(namespaces: Iterable[str] = NAMESPACES) -> list[PluginInfo]:
    """Every installed plugin entry point in ``namespaces``, sorted, without importing any."""
    from importlib.metadata import entry_points

    everything = entry_points()
    found: dict[tuple[str, str, str], PluginInfo] = {}
    for ep in (ep for namespace in namespaces for ep in everything.select(group=namespace)):
        dist = getattr(ep, "dist", None)
        info = PluginInfo(
            namespace=ep.group,
            name=ep.name,
            value=ep.value,
            distribution=dist.metadata["Name"] if dist is not None else None,
            version=dist.version if dist is not None else None,
        )
        found.setdefault((ep.group, ep.name, ep.value), info)
    return sorted(found.values(), key=lambda i: (i.namespace, i.name, i.distribution or ""))


def load(
    namespace: str, names: Iterable[str] | None = None
) -> tuple[dict[str, Any], list[LoadFailure]]:
    """Import the plugins of ``namespace`` (only ``names`` when given).

    Returns the plugin objects by name (an entry point naming a class is instantiated with no
    arguments) and the failures. Names that no installed plugin provides are simply absent.
    """
    from stevedore import ExtensionManager, NamedExtensionManager

    failures: list[LoadFailure] = []

    def failed(_manager: Any, ep: Any, err: BaseException) -> None:
        failures.append(LoadFailure(namespace, ep.name, f"{type(err).__name__}: {err}"))

    wanted = None if names is None else list(names)
    if os.environ.get(ALLOW_ENV) is not None:
        permitted = {i.name for i in installed([namespace]) if i.allowed}
        wanted = sorted(permitted if wanted is None else permitted.intersection(wanted))
    if wanted is None:
        manager = ExtensionManager(namespace, on_load_failure_callback=failed)
    else:
        manager = NamedExtensionManager(
            namespace, wanted, on_load_failure_callback=failed, on_missing_entrypoints_callback=None
        )
    objects: dict[str, Any] = {}
    for ext in manager:
        target = ext.plugin
        try:
            objects[ext.name] = target() if isinstance(target, type) else target
        except Exception as err:
            failures.append(LoadFailure(namespace, ext.name, f"{type(err).__name__}: {err}"))
    return objects, failures
