"""The base class of lint rules: a libcst visitor that reports findings with positions.

A rule subclasses :class:`LintRule`, sets ``ASSET`` (its
:class:`~codex_core_patterns.assets.LinterAsset`), and calls :meth:`LintRule.report` from its
``visit_*`` methods. The runner parses each file once, resolves the metadata the rules ask for
(``METADATA_DEPENDENCIES``; positions are always available), and runs every selected rule on the
same tree.
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ..assets import LinterAsset
from ..results import Finding

__all__ = ["LintRule", "lint_source"]


class LintRule(cst.BatchableCSTVisitor):
    ASSET: ClassVar[LinterAsset]
    NAME: ClassVar[str]
    VERSION: ClassVar[str]
    PRECHECK: ClassVar[tuple[bytes, ...]]
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        asset = cls.__dict__.get("ASSET")
        if asset is not None:
            cls.NAME, cls.VERSION, cls.PRECHECK = asset.id, asset.version, asset.precheck

    def __init__(self, path: str = "<string>") -> None:
        super().__init__()
        self.path = path
        self.findings: list[Finding] = []

    def report(self, node: cst.CSTNode, message: str) -> None:
        where = self.get_metadata(PositionProvider, node)
        self.findings.append(
            Finding(
                rule=self.NAME,
                rule_version=self.VERSION,
                path=self.path,
                line=where.start.line,
                column=where.start.column + 1,
                end_line=where.end.line,
                end_column=where.end.column + 1,
                message=message,
            )
        )


def lint_source(
    source: bytes | str, rules: list[type[LintRule]], path: str = "<string>"
) -> list[Finding]:
    """Parse ``source`` once and run ``rules`` on it; findings sorted by position."""
    wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    instances = [rule(path) for rule in rules]
    wrapper.visit_batched(instances)
    findings = [f for rule in instances for f in rule.findings]
    return sorted(findings, key=lambda f: (f.line, f.column, f.rule))
