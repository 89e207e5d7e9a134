"""codex_core_patterns.testing: every built-in asset passes its conformance check, bad ones fail.

The bad assets are defined here, as a plugin author would define theirs: a descriptor plus a
``PatternCodemod`` / ``LintRule`` class, given to the runner as ``module:Class``.
"""

from __future__ import annotations

import attrs
import libcst as cst
import libcst.matchers as m
import pytest
from codex_core_patterns import codemods, linters, templates
from codex_core_patterns.assets import CodemodAsset, LinterAsset, TemplateAsset
from codex_core_patterns.codemods.base import PatternCodemod
from codex_core_patterns.linters.base import LintRule
from codex_core_patterns.testing import check_codemod, check_linter, check_template

SUPER_BEFORE = "class A(B):\n    def f(self):\n        return super(A, self).f()\n"
SUPER_AFTER = "class A(B):\n    def f(self):\n        return super().f()\n"

# id: (before, after, a near miss: passes the precheck, must be left as it is)
BUILT_IN_CODEMODS = {
    "event-emit": (
        'bus.emit("user.created", payload)\n',
        'bus.emit({"type": "user.created", "payload": payload})\n',
        'socketio.emit("message", data)\n',
    ),
    "run-summary-fields": (
        'summary = {"run_id": rid, "status": "ok"}\n',
        'summary = {"run_id": rid, "status": "ok", "started_at": None, "completed_at": None, "summary": None}\n',
        'r = {"run_id": i, "status": s, **rest}\n',
    ),
    "super-call": (
        SUPER_BEFORE,
        SUPER_AFTER,
        "class A(B):\n    def f(self):\n        return super(B, self).f()\n",
    ),
    "open-mode": (
        'with open(path, "r") as f:\n    pass\n',
        "with open(path) as f:\n    pass\n",
        'os.open(p, "r")\n',
    ),
    "empty-collection-call": (
        "a = dict()\nb = list()\nc = tuple()\n",
        "a = {}\nb = []\nc = ()\n",
        "def f(list):\n    return list()\n",
    ),
    "percent-format": (
        'msg = "hello %s" % name\n',
        'msg = f"hello {name}"\n',
        'x = "100%% %s" % n\n',
    ),
}


@pytest.mark.parametrize("name", sorted(BUILT_IN_CODEMODS))
def test_every_built_in_codemod_conforms(name):
    before, after, near_miss = BUILT_IN_CODEMODS[name]
    assert getattr(codemods, name.upper().replace("-", "_")).could_match(near_miss.encode())
    report = check_codemod(name, before, after, unrelated=near_miss)
    assert report.assets[0]["id"] == name
    # the near miss was parsed and left alone, not skipped by the precheck
    assert report.counts == {"applied": 1, "unchanged": 1, "skipped": 0, "failed": 0}


def test_a_codemod_object_with_options_at_a_nested_path():
    report = check_codemod(
        codemods.EVENT_EMIT,
        'hub.emit("x", p)\nbus.emit("y", q)\n',
        'hub.emit({"type": "x", "payload": p})\nbus.emit("y", q)\n',
        path="src/app/events.py",
        options={"receivers": ("hub",)},
    )
    [changed] = [f for f in report.files if f.status == "applied"]
    assert changed.path == "src/app/events.py"
    assert '+hub.emit({"type": "x", "payload": p})' in changed.diff


def test_a_codemod_can_be_checked_to_leave_a_near_miss_alone():
    near_miss = BUILT_IN_CODEMODS["super-call"][2]
    report = check_codemod("super-call", near_miss, near_miss)
    assert report.counts["applied"] == 0


def test_the_print_logger_rule_conforms():
    source = "import logging\nprint('start')\ndef work(x):\n    print('working on', x)\n"
    clean = "import logging\nif __name__ == '__main__':\n    print('guarded')\n"
    report = check_linter("print-logger", source, expect_lines=[2, 4], clean=clean)
    assert [(f.line, f.column) for f in report.findings] == [(2, 1), (4, 5)]
    assert report.counts == {"findings": 1, "clean": 1, "skipped": 0, "failed": 0}
    assert check_linter(linters.PRINT_LOGGER, source).findings == report.findings


@pytest.mark.parametrize("name", ["implementation-summary", "run-manifest-checklist"])
def test_both_templates_conform(name):
    text = check_template(name, {"task_id": "T-42", "run_id": "run-7"})
    assert "T-42" in text and "run-7" in text
    assert "${status}" in text, "a field without a value stays visible"


def test_an_unknown_name_fails():
    with pytest.raises(AssertionError, match="no linter named 'no-such-rule' is installed"):
        check_linter("no-such-rule", "print(1)\n")


# -- bad codemods ----------------------------------------------------------------------------


def _codemod(ident: str, cls: str, precheck: tuple[bytes, ...] = ()) -> CodemodAsset:
    return CodemodAsset(
        id=ident, version="1.0.0", description=f"{ident} (a test asset)",
        usage=f"codex-core patterns apply {ident}", implementation=f"{__name__}:{cls}",
        precheck=precheck,
    )  # fmt: skip


TAG_COUNTER = _codemod("tag-counter", "TagCounter", (rb"\bcounter\b",))
RENAME_FETCH = _codemod("rename-fetch", "RenameFetch", (rb"\bfetch\b",))
TRIO_SLEEP = _codemod("trio-sleep", "TrioSleep", (rb"time\.sleep",))


class TagCounter(PatternCodemod):
    """Appends a comment to every module using ``counter``: again on every run."""

    ASSET = TAG_COUNTER

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        comment = cst.EmptyLine(comment=cst.Comment("# counted"))
        return updated_node.with_changes(footer=[*updated_node.footer, comment])


class RenameFetch(PatternCodemod):
    """Meant for the function ``fetch(url)``, but renames every name ``fetch`` (methods too)."""

    ASSET = RENAME_FETCH

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        return (
            updated_node.with_changes(value="fetch_all")
            if updated_node.value == "fetch"
            else updated_node
        )


class TrioSleep(PatternCodemod):
    """``time.sleep(s)`` becomes ``await trio.sleep(s)``, even outside an async function."""

    ASSET = TRIO_SLEEP

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if m.matches(updated_node.func, m.Attribute(value=m.Name("time"), attr=m.Name("sleep"))):
            return cst.Await(updated_node.with_changes(func=cst.parse_expression("trio.sleep")))
        return updated_node


def test_a_codemod_that_is_not_idempotent_fails():
    with pytest.raises(AssertionError, match="tag-counter is not idempotent") as caught:
        check_codemod(TAG_COUNTER, "counter = 0\n", "counter = 0\n# counted\n")
    assert "+# counted" in str(caught.value), "the message shows the second run's diff"


def test_a_codemod_whose_output_differs_from_after_fails():
    wrong = SUPER_AFTER.replace("super().f()", "super().g()")
    with pytest.raises(AssertionError, match=r"super-call: example\.py is not what was expected"):
        check_codemod("super-call", SUPER_BEFORE, wrong)


def test_a_codemod_that_changes_a_near_miss_fails():
    check_codemod(RENAME_FETCH, "data = fetch(url)\n", "data = fetch_all(url)\n")
    with pytest.raises(AssertionError, match="rename-fetch changed unrelated code"):
        check_codemod(
            RENAME_FETCH, "data = fetch(url)\n", "data = fetch_all(url)\n",
            unrelated="page = client.fetch(url)\n",
        )  # fmt: skip


def test_a_codemod_whose_output_does_not_compile_fails():
    with pytest.raises(AssertionError, match=r"invalid-output.*'await' outside async function"):
        check_codemod(
            TRIO_SLEEP, "def f():\n    time.sleep(1)\n", "def f():\n    await trio.sleep(1)\n"
        )


def test_a_precheck_that_rejects_before_fails():
    with pytest.raises(AssertionError, match=r"the precheck .* rejects `before`"):
        check_codemod(TRIO_SLEEP, "from time import sleep\nsleep(1)\n", "anything\n")


# -- bad descriptors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "asset,check",
    [
        (codemods.SUPER_CALL, lambda a: check_codemod(a, SUPER_BEFORE, SUPER_AFTER)),
        (linters.PRINT_LOGGER, lambda a: check_linter(a, "import logging\nprint(1)\n")),
        (templates.IMPLEMENTATION_SUMMARY, check_template),
    ],
    ids=["codemod", "linter", "template"],
)
def test_a_descriptor_with_a_bad_version_fails(asset, check):
    check(asset)
    with attrs.validators.disabled():  # what a descriptor built some other way could hold
        bad = attrs.evolve(asset, version="1.0")
    with pytest.raises(AssertionError, match=r"version '1\.0' is not a semantic version"):
        check(bad)


# -- bad lint rules --------------------------------------------------------------------------


def _linter(ident: str, cls: str) -> LinterAsset:
    return LinterAsset(
        id=ident, version="1.0.0", description=f"{ident} (a test asset)",
        usage=f"codex-core patterns lint --rule {ident}", implementation=f"{__name__}:{cls}",
        precheck=(rb"\bprint\b",),
    )  # fmt: skip


ANY_PRINT = _linter("any-print", "AnyPrint")
SILENT = _linter("silent", "Silent")


class AnyPrint(LintRule):
    """Flags every call of ``print``."""

    ASSET = ANY_PRINT

    def visit_Call(self, node: cst.Call) -> None:
        if m.matches(node.func, m.Name("print")):
            self.report(node, "a print() call")


class Silent(LintRule):
    """Never reports anything."""

    ASSET = SILENT


def test_a_third_party_rule_conforms():
    report = check_linter(ANY_PRINT, "x = 1\nprint(x)\n", expect_lines=[2], path="pkg/m.py")
    [finding] = report.findings
    assert (finding.rule, finding.path, finding.message) == (
        "any-print",
        "pkg/m.py",
        "a print() call",
    )


def test_a_rule_that_reports_nothing_fails():
    with pytest.raises(AssertionError, match="silent reported no finding"):
        check_linter(SILENT, "print(1)\n")


def test_a_rule_that_flags_the_clean_code_fails():
    with pytest.raises(AssertionError, match="any-print flagged clean code"):
        check_linter(ANY_PRINT, "print(1)\n", clean="def main():\n    print('usage')\n")


def test_findings_on_other_lines_than_expected_fail():
    with pytest.raises(AssertionError, match=r"findings on lines \[2\], expected \[1, 2\]"):
        check_linter(ANY_PRINT, "x = 1\nprint(x)\n", expect_lines=[1, 2])


def test_a_descriptor_whose_version_differs_from_its_implementation_fails():
    bumped = attrs.evolve(ANY_PRINT, version="1.1.0")  # the class still carries 1.0.0
    with pytest.raises(
        AssertionError, match=r"AnyPrint\.VERSION is '1\.0\.0' but the descriptor says '1\.1\.0'"
    ):
        check_linter(bumped, "print(1)\n")


# -- bad templates ---------------------------------------------------------------------------


def test_a_template_with_a_placeholder_missing_from_its_fields_fails():
    short = TemplateAsset(
        id="short-summary", version="1.0.0", description="d", usage="u",
        package=templates.__name__, resource="implementation-summary.md",
        fields=("task_id", "run_id"),
    )  # fmt: skip
    with pytest.raises(
        AssertionError, match=r"short-summary: placeholders not in fields: \['pipeline_id'"
    ):
        check_template(short)


def test_a_template_whose_resource_is_missing_fails():
    gone = attrs.evolve(templates.IMPLEMENTATION_SUMMARY, resource="no-such-file.md")
    with pytest.raises(
        AssertionError, match=r"cannot read codex_core_patterns\.templates/no-such-file\.md"
    ):
        check_template(gone)


def test_values_for_a_field_the_template_lacks_fail():
    with pytest.raises(AssertionError, match=r"has no field\(s\) \['nope'\]"):
        check_template("implementation-summary", {"nope": 1})
