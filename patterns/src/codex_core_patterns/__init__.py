"""codex-core's learning library: libcst codemods, lint rules and templates, and a parallel runner.

Assets are found by entry point (``codex_core.codemods``, ``codex_core.linters``,
``codex_core.templates``); each is a light descriptor with a semantic ``version``, catalogued in
the repository's ``patterns/index.json``. The runner API (also what ``codex-core patterns`` and
the ``codemod`` / ``lint`` stage kinds use)::

    from codex_core_patterns import apply_codemod, lint

    report = apply_codemod("repo", "super-call", ["src"], jobs=4, dry_run=True)
    report.counts, report.ok, report.to_json()

This module stays cheap to import: names are resolved on first use. See ``docs/patterns.md``.
"""

from __future__ import annotations

from codex_core.lazy import lazy_exports

_EXPORTS = {
    "apply_codemod": "codex_core_patterns.runner",
    "lint": "codex_core_patterns.runner",
    "coerce_options": "codex_core_patterns.runner",
    "AssetLoadError": "codex_core_patterns.runner",
    "CodemodAsset": "codex_core_patterns.assets",
    "LinterAsset": "codex_core_patterns.assets",
    "TemplateAsset": "codex_core_patterns.assets",
    "UnknownAssetError": "codex_core_patterns.assets",
    "find_asset": "codex_core_patterns.assets",
    "FileResult": "codex_core_patterns.results",
    "Finding": "codex_core_patterns.results",
    "Report": "codex_core_patterns.results",
    "to_sarif": "codex_core_patterns.sarif",
    "select_files": "codex_core_patterns.files",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
