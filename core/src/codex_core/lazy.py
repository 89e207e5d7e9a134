"""Lazy re-exports for a package's ``__init__``: each name is imported from its module on first use.

``import codex_core`` and a plugin's package must stay cheap: ``codex-core --version``,
``status`` and plan-time checks may not pay for trio or the MCP SDK. A package lists its public
names and where they live::

    from codex_core.lazy import lazy_exports

    _EXPORTS = {"open_client": "codex_core_mcp.client", ...}
    __all__ = sorted(_EXPORTS)
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

A name, once resolved, is stored on the package, so later lookups are ordinary attribute reads.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` for ``package``'s ``exports``
    (public name -> the module that defines it)."""

    def __getattr__(name: str) -> Any:
        module_name = exports.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module_name), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__
