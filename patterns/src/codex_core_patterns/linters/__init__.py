"""The built-in lint rules, as light descriptors (the entry points of ``codex_core.linters``).

A rule's implementation is a :class:`~codex_core_patterns.linters.base.LintRule` (a libcst
visitor) in a sibling module, imported only when a file passes the rule's precheck.
"""

from __future__ import annotations

from ..assets import LinterAsset

__all__ = ["PRINT_LOGGER"]

PRINT_LOGGER = LinterAsset(
    id="print-logger",
    version="1.0.0",
    description="print() in a module that logs (imports logging, structlog or loguru, or defines a logger): use the logger.",
    usage="codex-core patterns lint src/ --rule print-logger --format sarif",
    implementation="codex_core_patterns.linters.print_logger:PrintInsteadOfLogger",
    # Every way a module "logs" (logging, structlog, loguru, a logger/log/LOG name) spells "log".
    precheck=(rb"\bprint\b", rb"(?i)log"),
)
