"""Conformance checks for learning-library assets: codemods, lint rules and templates.

What :mod:`codex_core.testing` is for stage kinds, adapters and guardrails, this is for the
assets a plugin registers under ``codex_core.codemods``, ``codex_core.linters`` and
``codex_core.templates``. Use it from the plugin's test suite::

    from codex_core_patterns.testing import check_codemod, check_linter, check_template

    def test_my_fix():
        check_codemod(MY_FIX, "old_name(x)\\n", "new_name(x)\\n")

    def test_my_rule():
        check_linter(MY_RULE, "import logging\\nprint('x')\\n", expect_lines=[2])

    def test_my_template():
        check_template(MY_TEMPLATE, {"author": "me"})

Each check takes the asset object its entry point names, or the name of an installed asset,
checks the descriptor, and runs the asset the way ``codex-core patterns`` does: codemods and
lint rules through the real runner (:func:`~codex_core_patterns.runner.apply_codemod`,
:func:`~codex_core_patterns.runner.lint`, worker processes included) on files in a temporary git
repository. Checks raise ``AssertionError`` with a message saying what is wrong, and return what
they produced so a test can look further.
"""

from __future__ import annotations

import difflib
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from string import Template
from typing import Any

from codex_core.testing import make_repo

from .assets import (
    _ID,
    CodemodAsset,
    LinterAsset,
    TemplateAsset,
    UnknownAssetError,
    find_asset,
    is_semver,
)
from .results import FileResult, Report

__all__ = ["UNRELATED", "check_codemod", "check_linter", "check_template"]

#: Code no asset should change (odd spacing, comments, tabs, quotes, non-ASCII text): the
#: default ``unrelated`` file of :func:`check_codemod`.
UNRELATED = (
    "# -*- coding: utf-8 -*-\n"
    '"""Code no asset should touch: Ünïcödé, tabs, odd spacing."""\n'
    "import os ,sys   # spaced oddly on purpose\n"
    "\n"
    "VALUE = { 'a' :1,'b':[ 1,2 ,3 ] }   # a dict with odd spacing\n"
    "class Thing(object):\n"
    "\tdef method(self, other):  # tab-indented\n"
    "\t\treturn super().method(other) + len ( other )\n"
)

_UNRELATED_PATH = "conformance_unrelated.py"
_CLEAN_PATH = "conformance_clean.py"


def check_codemod(
    asset: CodemodAsset | str,
    before: str,
    after: str,
    *,
    path: str = "example.py",
    options: Mapping[str, Any] | None = None,
    unrelated: str = UNRELATED,
) -> Report:
    """Check a codemod turns ``before`` into exactly ``after``, once, and touches nothing else.

    ``asset`` is a :class:`~codex_core_patterns.assets.CodemodAsset` or an installed codemod's
    name. Checks the descriptor (id, semantic version, description, usage, an implementation
    that imports as a libcst codemod and agrees on name and version) and that the precheck
    admits ``before``; then applies the codemod with the real runner to a temporary git repo
    holding ``path`` (``before``) and another file (``unrelated``), with ``options``, and checks:
    ``path`` is exactly ``after`` and compiles; a second application changes nothing; the other
    file is byte for byte as it was. ``before == after`` checks the codemod leaves it alone.
    For ``unrelated`` to count, give a near miss: code the precheck admits but that must stay.
    Returns the first run's report (with each change's diff).
    """
    asset = _resolve("codemod", asset)
    _check_descriptor(asset, CodemodAsset)
    from libcst.codemod import Codemod

    from .runner import apply_codemod

    _check_implementation(asset, Codemod)
    rel = _relative(path)
    assert rel != _UNRELATED_PATH, f"path must not be {_UNRELATED_PATH!r} (the check uses it)"
    if before != after:
        assert asset.could_match(before.encode()), (
            f"{asset.id}: the precheck {asset.precheck!r} rejects `before`: the runner would skip "
            "a file the codemod changes"
        )
    with tempfile.TemporaryDirectory(prefix="codex-core-conformance-") as tmp:
        repo = make_repo(Path(tmp) / "repo", {rel: before, _UNRELATED_PATH: unrelated})

        def apply() -> Report:
            return apply_codemod(
                repo, asset, [rel, _UNRELATED_PATH], jobs=1, diff=True, options=options
            )

        report = apply()
        _assert_not_failed(asset, _result(report, rel))
        text = _read(repo / rel)
        assert text == after, f"{asset.id}: {rel} is not what was expected:\n" + "".join(
            difflib.unified_diff(
                after.splitlines(keepends=True), text.splitlines(keepends=True), "expected", "got"
            )
        )
        _assert_compiles(asset, text, rel)
        again = _result(apply(), rel)
        _assert_not_failed(asset, again)
        assert again.status in ("unchanged", "skipped") and _read(repo / rel) == after, (
            f"{asset.id} is not idempotent: a second run changed {rel}:\n{again.diff}"
        )
        _assert_not_failed(asset, _result(report, _UNRELATED_PATH))
        assert _read(repo / _UNRELATED_PATH) == unrelated, (
            f"{asset.id} changed unrelated code:\n{_result(report, _UNRELATED_PATH).diff}"
        )
    return report


def check_linter(
    asset: LinterAsset | str,
    source: str,
    *,
    expect_lines: Sequence[int] | None = None,
    clean: str = "x = 1\n",
    path: str = "example.py",
) -> Report:
    """Check a lint rule flags ``source``, not ``clean``, and never modifies a file.

    ``asset`` is a :class:`~codex_core_patterns.assets.LinterAsset` or an installed rule's name.
    Checks the descriptor (as :func:`check_codemod` does, with a ``LintRule`` implementation) and
    that the precheck admits ``source``; then runs the rule with the real runner on a temporary
    git repo holding ``path`` (``source``) and another file (``clean``), and checks: ``source``
    has findings (on exactly ``expect_lines``, one entry per finding, if given), each naming this
    rule and version, the file's repo-relative path, a position inside the file and a message;
    ``clean`` has none; neither file changed. For ``clean`` to count, give a near miss: code the
    precheck admits but that is fine. Returns the report (``.findings`` are those on ``source``).
    """
    asset = _resolve("linter", asset)
    _check_descriptor(asset, LinterAsset)
    from .linters.base import LintRule
    from .runner import lint

    _check_implementation(asset, LintRule)
    rel = _relative(path)
    assert rel != _CLEAN_PATH, f"path must not be {_CLEAN_PATH!r} (the check uses it)"
    assert asset.could_match(source.encode()), (
        f"{asset.id}: the precheck {asset.precheck!r} rejects `source`: the runner would skip a "
        "file the rule flags"
    )
    with tempfile.TemporaryDirectory(prefix="codex-core-conformance-") as tmp:
        repo = make_repo(Path(tmp) / "repo", {rel: source, _CLEAN_PATH: clean})
        files = [repo / rel, repo / _CLEAN_PATH]
        before = [(p.read_bytes(), p.stat().st_mtime_ns) for p in files]
        report = lint(repo, [asset], [rel, _CLEAN_PATH], jobs=1)
        assert [(p.read_bytes(), p.stat().st_mtime_ns) for p in files] == before, (
            f"{asset.id}: linting modified a file (a lint rule must only read)"
        )
    flagged, spared = _result(report, rel), _result(report, _CLEAN_PATH)
    _assert_not_failed(asset, flagged)
    _assert_not_failed(asset, spared)
    assert flagged.findings, f"{asset.id} reported no finding on `source` ({flagged.status})"
    last_line = source.count("\n") + 1
    for f in flagged.findings:
        assert (f.rule, f.rule_version) == (asset.id, asset.version), (
            f"{asset.id}: a finding names rule {f.rule} {f.rule_version}, not {asset.id} "
            f"{asset.version}"
        )
        assert f.path == rel, f"{asset.id}: a finding's path is {f.path!r}, not {rel!r}"
        assert 1 <= f.line <= f.end_line <= last_line and f.column >= 1, (
            f"{asset.id}: a finding's position is outside the file: {f}"
        )
        assert (f.end_line, f.end_column) >= (f.line, f.column), f"{asset.id}: ends early: {f}"
        assert isinstance(f.message, str) and f.message.strip(), f"{asset.id}: no message: {f}"
    if expect_lines is not None:
        lines = sorted(f.line for f in flagged.findings)
        assert lines == sorted(expect_lines), (
            f"{asset.id}: findings on lines {lines}, expected {sorted(expect_lines)}"
        )
    assert not spared.findings, f"{asset.id} flagged clean code: {list(spared.findings)}"
    return report


def check_template(asset: TemplateAsset | str, values: Mapping[str, object] | None = None) -> str:
    """Check a template's descriptor, its text against its ``fields``, and how it renders.

    ``asset`` is a :class:`~codex_core_patterns.assets.TemplateAsset` or an installed template's
    name. Checks the descriptor (id, semantic version, description, usage); that the text can be
    read and is not empty; that ``fields`` are unique identifiers listing every placeholder in
    the text (``codex-core patterns render --set`` refuses a field not listed; a listed field
    the text does not use is allowed: the built-in templates share the manifest's fields); that
    ``values`` name only fields; that rendering fills every placeholder given a value and
    leaves the others visible as ``${field}``. Returns the text rendered with ``values`` (what
    ``patterns render --set field=value`` prints).
    """
    asset = _resolve("template", asset)
    _check_descriptor(asset, TemplateAsset)
    where = f"{asset.package}/{asset.resource}"
    try:
        text = asset.text()
    except Exception as exc:
        raise AssertionError(
            f"{asset.id}: cannot read {where}: {type(exc).__name__}: {exc}"
        ) from None
    assert text.strip(), f"{asset.id}: {where} is empty"
    fields = asset.fields
    assert all(isinstance(f, str) and f.isidentifier() for f in fields), (
        f"{asset.id}: fields must be identifiers, got {fields!r}"
    )
    assert len(set(fields)) == len(fields), f"{asset.id}: a field is listed twice: {fields!r}"
    placeholders = Template(text).get_identifiers()
    unlisted = [p for p in placeholders if p not in fields]
    assert not unlisted, (
        f"{asset.id}: placeholders not in fields: {unlisted} (list them, or write $$ for a $)"
    )
    values = dict(values or {})
    unknown = sorted(set(values) - set(fields))
    assert not unknown, f"{asset.id} has no field(s) {unknown} (fields: {list(fields)})"
    filled = {f: values.get(f, f"<{f}>") for f in placeholders}
    full = asset.render(filled)
    for field, value in filled.items():
        assert str(value) in full, f"{asset.id}: rendering did not fill {field!r}"
    rendered = asset.render(values)
    missing = set(placeholders) - set(values)
    hidden = sorted(missing - set(Template(rendered).get_identifiers()))
    assert not hidden, f"{asset.id}: fields without a value are not left visible: {hidden}"
    return rendered


def _resolve(kind: str, asset: Any) -> Any:
    if not isinstance(asset, str):
        return asset
    try:
        return find_asset(kind, asset)
    except UnknownAssetError as exc:
        raise AssertionError(str(exc)) from None


def _check_descriptor(asset: Any, cls: type) -> None:
    kind = cls.kind
    assert getattr(asset, "kind", None) == kind, f"{asset!r} is not a {kind} asset"
    ident = getattr(asset, "id", None)
    assert isinstance(ident, str) and _ID.match(ident), (
        f"{kind} id {ident!r} must be lower-case words joined by '-'"
    )
    version = getattr(asset, "version", None)
    assert is_semver(version), (
        f"{ident}: version {version!r} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.2.3)"
    )
    for name in ("description", "usage"):
        value = getattr(asset, name, None)
        assert isinstance(value, str) and value.strip(), f"{ident}: {name} must not be empty"
    assert isinstance(asset, cls), (
        f"{ident}: the runner takes a {cls.__name__}, not a {type(asset).__name__}"
    )


def _check_implementation(asset: CodemodAsset | LinterAsset, base: type) -> type:
    from .runner import AssetLoadError, _load

    assert isinstance(asset.precheck, tuple) and all(
        isinstance(p, bytes) for p in asset.precheck
    ), f"{asset.id}: precheck must be a tuple of bytes regexes, got {asset.precheck!r}"
    try:
        implementation = _load(asset, base)
    except AssetLoadError as exc:
        raise AssertionError(str(exc)) from None
    for attr, expected in (("NAME", asset.id), ("VERSION", asset.version)):
        actual = getattr(implementation, attr, expected)
        assert actual == expected, (
            f"{asset.id}: {asset.implementation}.{attr} is {actual!r} but the descriptor says "
            f"{expected!r} (set ASSET on the class, or keep them in step)"
        )
    return implementation


def _relative(path: str) -> str:
    rel = Path(path)
    assert not rel.is_absolute() and ".." not in rel.parts, f"path {path!r} must be relative"
    return rel.as_posix()


def _result(report: Report, rel: str) -> FileResult:
    found = [f for f in report.files if f.path == rel]
    assert found, f"the runner did not report {rel}: {[f.path for f in report.files]}"
    return found[0]


def _assert_not_failed(asset: Any, result: FileResult) -> None:
    assert result.status != "failed", (
        f"{asset.id} failed on {result.path} ({result.reason}): {result.error}"
        + ("  [its output does not compile]" if result.reason == "invalid-output" else "")
    )


def _assert_compiles(asset: Any, text: str, rel: str) -> None:
    try:
        with warnings.catch_warnings():  # a SyntaxWarning is not a failure, whatever -W says
            warnings.simplefilter("ignore")
            compile(text, rel, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise AssertionError(f"{asset.id}: the output does not compile: {exc}") from None


def _read(path: Path) -> str:
    # the same encoding make_repo wrote with; newline="" keeps line endings as they are
    with open(path, newline="") as handle:
        return handle.read()
