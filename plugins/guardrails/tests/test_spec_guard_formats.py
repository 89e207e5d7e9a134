"""The formats the spec guard reads: YAML front matter, .gitignore path patterns, and this
repository's own tasks/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from codex_core.config import load_config
from codex_core_guardrails.spec_guard.globs import compile_globs, glob_problem
from codex_core_guardrails.spec_guard.rules import check
from codex_core_guardrails.spec_guard.settings import DEFAULT_CODE_PATHS, settings_from
from codex_core_guardrails.spec_guard.specs import FrontMatterError, parse_front_matter

ROOT = Path(__file__).resolve().parents[3]


def test_front_matter_is_yaml():
    text = """---
id: 0002-checkout
title: "Checkout: the flow"   # quoted, with a colon
status: planned # trailing comment
last_review: '2026-11-23'
approvals:
  - lead (2026-11-20)
  - "security: ok"

# a comment line
tags: [payments, "api", ]
empty: []
blank:
---
# Body
status: not front matter
"""
    assert parse_front_matter(text) == {
        "id": "0002-checkout",
        "title": "Checkout: the flow",
        "status": "planned",
        "last_review": "2026-11-23",
        "approvals": ["lead (2026-11-20)", "security: ok"],
        "tags": ["payments", "api"],
        "empty": [],
        "blank": None,
    }


def test_front_matter_takes_any_yaml_mapping():
    """Nested mappings, multi-line strings, dates: what the hand-written subset refused."""
    text = """---
id: 0002-checkout
last_review: 2026-11-23
approvals: [{name: lead, date: 2026-11-20}]
reviewers:
  - name: security
    date: 2026-11-21
    notes: |
      Token storage checked.
      Rate limits still open.
summary: >
  One paragraph
  folded into a line.
links: {design: docs/checkout.md}
---
"""
    assert parse_front_matter(text) == {
        "id": "0002-checkout",
        "last_review": dt.date(2026, 11, 23),
        "approvals": [{"name": "lead", "date": dt.date(2026, 11, 20)}],
        "reviewers": [
            {
                "name": "security",
                "date": dt.date(2026, 11, 21),
                "notes": "Token storage checked.\nRate limits still open.\n",
            }
        ],
        "summary": "One paragraph folded into a line.\n",
        "links": {"design": "docs/checkout.md"},
    }
    # What YAML reads as a date but no calendar has stays text, for the last_review rule to judge.
    assert parse_front_matter("---\nlast_review: 2026-11-31\n---\n") == {
        "last_review": "2026-11-31"
    }
    assert parse_front_matter("---\n# only a comment\n---\n") == {}


def test_no_front_matter():
    assert parse_front_matter("# Title\n---\nid: x\n---\n") is None
    assert parse_front_matter("") is None
    assert parse_front_matter("\ufeff---\nid: bom\n---\n") == {"id": "bom"}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("---\nid: a\n", "line 1 opens the front matter with '---' but no line closes it"),
        ("---\nid: a\nid: b\n---\n", "line 3: not valid YAML: 'id' appears twice"),
        (
            "---\n  - orphan item\n---\n",
            "line 2: expected a mapping ('key: value' lines), got a YAML list",
        ),
        (
            "---\nkey:value\n---\n",
            "line 2: expected a mapping ('key: value' lines), got a YAML string",
        ),
        ('---\ntitle: "unterminated\n---\n', "(while scanning a quoted scalar from line 2)"),
        ('---\ntitle: "a" b\n---\n', "line 2: not valid YAML: expected <block end>, but found"),
        ("---\ntags: [a, b\n---\n", "(while parsing a flow sequence from line 2)"),
        ("---\nid: a\n\tstatus: b\n---\n", "line 3: not valid YAML: found character '\\t'"),
        ("---\nid: a\nbell: \x07\n---\n", "line 3: not valid YAML: character #x0007"),
        ("---\nx: !!python/object:os.system ls\n---\n", "line 2: not valid YAML: could not"),
        ("---\nx: !!int abc\n---\n", "not valid YAML: a value its tag does not fit"),
        ("---\nx: *nowhere\n---\n", "line 2: not valid YAML: found undefined alias"),
    ],
)
def test_front_matter_errors_name_the_line(text, needle):
    with pytest.raises(FrontMatterError) as info:
        parse_front_matter(text)
    assert needle in str(info.value)


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        # As in .gitignore, a pattern that names a folder covers everything in it: a folder
        # named a.py matches *.py, and src/ (no other slash) is any folder named src.
        ("*.py", ["a.py", "src/deep/b.py", "a.py/x"], ["a.pyc", "py"]),
        ("src/**", ["src/a.py", "src/x/y/z.txt"], ["src", "lib/src/a.py", "srcx/a.py"]),
        ("src/", ["src/a.py", "lib/src/a.py"], ["src", "srcx/a.py"]),
        ("/src/", ["src/a.py"], ["lib/src/a.py", "src"]),
        ("src/*.py", ["src/a.py"], ["src/x/a.py", "a.py"]),
        ("**/migrations/**", ["migrations/1.sql", "db/migrations/1.sql"], ["db/migration/1.sql"]),
        ("/setup.py", ["setup.py"], ["pkg/setup.py"]),
        ("core/**", ["core/src/codex_core/kernel.py"], ["docs/core/x.md"]),
        ("test_?.py", ["t/test_a.py"], ["t/test_ab.py"]),
        ("[ab].txt", ["a.txt", "x/b.txt"], ["c.txt"]),
        ("[!ab].txt", ["c.txt"], ["a.txt"]),
        ("a/**/z.py", ["a/z.py", "a/b/c/z.py"], ["b/a/z.py"]),
    ],
)
def test_globs(pattern, matching, not_matching):
    assert glob_problem(pattern) is None
    globs = compile_globs([pattern])
    for path in matching:
        assert globs.match_file(path), (pattern, path)
    for path in not_matching:
        assert not globs.match_file(path), (pattern, path)


def test_a_gitignore_style_pattern_set():
    """Several patterns at once, with .gitignore's rules: the last one that matches decides."""
    patterns = [
        "src/**",
        "*.sql",
        "build/",
        "!src/generated/**",
        "!**/fixtures/*.sql",
        "/Makefile",
        "docs/**/*.py",
    ]
    assert all(glob_problem(p) is None for p in patterns)
    globs = compile_globs(patterns)
    matching = [
        "src/app.py",
        "src/deep/x/y.txt",
        "db/001_init.sql",
        "build/out.o",
        "pkg/build/lib/x.so",
        "Makefile",
        "docs/conf.py",
        "docs/api/gen/conf.py",
    ]
    not_matching = [
        "src/generated/schema.py",
        "tests/fixtures/seed.sql",
        "tools/Makefile",
        "docs/index.md",
        "README.md",
        "srcs/app.py",
        "build",
    ]
    assert [p for p in matching if not globs.match_file(p)] == []
    assert [p for p in not_matching if globs.match_file(p)] == []


def test_bad_globs():
    assert glob_problem("src/**") is None
    assert glob_problem("!src/generated/**") is None
    assert glob_problem("") == "expected a non-empty string"
    assert glob_problem("   ") == "expected a non-empty string"
    assert glob_problem(3) == "expected a non-empty string"
    assert "leave the repository" in glob_problem("../x")
    assert "leave the repository" in glob_problem("!src/../../x")
    assert "separator" in glob_problem("src\\x")
    assert "not a valid gitignore pattern" in glob_problem("!")
    for nothing in ("# a comment", "[abc", "/"):
        assert glob_problem(nothing).startswith("matches no path"), nothing


def test_default_code_paths_are_valid_and_skip_docs():
    globs = compile_globs(DEFAULT_CODE_PATHS)
    assert all(glob_problem(p) is None for p in DEFAULT_CODE_PATHS)
    assert globs.match_file("src/anything.txt") and globs.match_file("pkg/mod.py")
    assert not any(
        globs.match_file(p)
        for p in ("README.md", "docs/x.md", "pyproject.toml", "tasks/index.json")
    )


def test_this_repositorys_own_specs_are_well_formed():
    """tasks/ of codex-core itself: every listed document exists and parses (freshness aside).

    "Today" is the newest last_review here, so this test does not start failing with the
    calendar; CI's real `codex-core spec-guard` run is the one that enforces the 30 days.
    """
    settings = settings_from(load_config(ROOT))
    assert settings.code_paths == (
        "core/**",
        "adapters/**",
        "plugins/**",
        "patterns/**",
        "evaluation/**",
    )
    first = check(ROOT, settings, base="HEAD", today=dt.date(2000, 1, 1))
    assert first is not None and len(first.specs) >= 6
    newest = max(dt.date.fromisoformat(s["last_review"]) for s in first.specs)
    report = check(ROOT, settings, base="HEAD", today=newest)
    spec_findings = [f.line() for f in report.findings if f.rule != "code-without-spec"]
    assert spec_findings == []
    assert {s["status"] for s in report.specs} <= {"planned", "in-progress", "done", "archived"}
