"""The spec rules, through the real ``codex-core spec-guard`` on real git repositories.

Today is pinned to 2026-11-23 (``CODEX_CORE_TODAY``); the default limit is 30 days.
"""

from __future__ import annotations

import datetime as dt

import pytest
from codex_core_guardrails.spec_guard.rules import check
from codex_core_guardrails.spec_guard.settings import Settings
from spec_guard_helpers import (
    TODAY,
    entry,
    guard_json,
    index,
    rules,
    spec,
    spec_repo,
    write,
)


def test_fresh_specs_and_no_code_change_are_clean(tmp_path):
    repo = spec_repo(
        tmp_path / "repo", {"0001-core": spec("0001-core"), "0002-cli": spec("0002-cli")}
    )
    data = guard_json(repo, code=0)
    assert (data["status"], data["outcome"], data["findings"]) == ("succeeded", "clean", [])
    assert data["summary"] == "2 spec(s) checked: no findings"
    assert data["approval"] is None


def test_exactly_max_age_days_passes_and_one_more_fails(tmp_path):
    repo = spec_repo(tmp_path / "repo", {
        "thirty": spec("thirty", last_review="2026-10-24"),       # 30 days before TODAY
        "thirty-one": spec("thirty-one", last_review="2026-10-23"),
    })  # fmt: skip
    data = guard_json(repo, code=1)
    assert rules(data) == [("stale-spec", "thirty-one")]
    [finding] = data["findings"]
    assert finding["path"] == "tasks/specs/thirty-one.md"
    assert "31 days old (limit 30)" in finding["message"]


@pytest.mark.parametrize(
    ("last_review", "stale"),
    [(TODAY, False), ("2026-10-24", False), ("2026-10-23", True), ("2025-01-01", True),
     ("2026-11-24", False)],  # tomorrow: another time zone's today
)  # fmt: skip
def test_freshness_boundaries(tmp_path, last_review, stale):
    repo = spec_repo(tmp_path / "repo", {"s": spec("s", last_review=last_review)})
    report = check(repo, Settings(), base=None, today=dt.date.fromisoformat(TODAY))
    assert [f.rule for f in report.findings] == (["stale-spec"] if stale else [])


def test_missing_and_unparsable_last_review(tmp_path):
    repo = spec_repo(tmp_path / "repo", {
        "no-date": spec("no-date", last_review=None),
        "empty-date": spec("empty-date", last_review=""),
        "no-front-matter": "# just a heading\n\nno front matter here\n",
        "slashes": spec("slashes", last_review="23/11/2026"),
        "no-such-day": spec("no-such-day", last_review="2026-11-31"),
        "with-time": spec("with-time", last_review="2026-11-23T10:00:00"),
        "words": spec("words", last_review="last week"),
        "future": spec("future", last_review="2027-01-01"),
    })  # fmt: skip
    data = guard_json(repo, code=1)
    assert rules(data) == [
        ("future-last-review", "future"),
        ("missing-last-review", "empty-date"),
        ("missing-last-review", "no-date"),
        ("missing-last-review", "no-front-matter"),
        ("unparsable-last-review", "no-such-day"),
        ("unparsable-last-review", "slashes"),
        ("unparsable-last-review", "with-time"),
        ("unparsable-last-review", "words"),
    ]
    messages = {f["spec"]: f["message"] for f in data["findings"]}
    assert "expected a date as YYYY-MM-DD" in messages["slashes"]
    assert "no front matter" in messages["no-front-matter"]


def test_a_spec_listed_but_missing_on_disk(tmp_path):
    repo = spec_repo(tmp_path / "repo", {"here": spec("here")})
    write(
        repo,
        {
            "tasks/index.json": index(
                entry("here"), entry("gone"), entry("archived-gone", status="archived")
            )
        },
    )
    data = guard_json(repo, code=1)
    # A terminal status does not excuse a dangling entry: the index must not point at nothing.
    assert rules(data) == [("missing-spec", "archived-gone"), ("missing-spec", "gone")]
    messages = {f["spec"]: f["message"] for f in data["findings"]}
    assert messages["gone"] == "listed in tasks/index.json but tasks/specs/gone.md does not exist"


def test_terminal_statuses_are_exempt_from_freshness(tmp_path):
    repo = spec_repo(tmp_path / "repo", {
        "done-old": spec("done-old", status="done", last_review="2020-01-01"),
        "archived-undated": spec("archived-undated", status="archived", last_review=None),
        "done-garbled": spec("done-garbled", status="Done", last_review="someday"),
        "planned-old": spec("planned-old", status="planned", last_review="2020-01-01"),
    })  # fmt: skip
    data = guard_json(repo, code=1)
    assert rules(data) == [("stale-spec", "planned-old")]


def test_the_index_status_counts_when_the_front_matter_has_none(tmp_path):
    repo = spec_repo(tmp_path / "repo", {"s": spec("s", status=None, last_review="2020-01-01")})
    write(repo, {"tasks/index.json": index(entry("s", status="done"))})
    assert guard_json(repo, code=0)["findings"] == []
    write(repo, {"tasks/index.json": index(entry("s", status="in-progress"))})
    assert rules(guard_json(repo, code=1)) == [("stale-spec", "s")]


def test_index_and_front_matter_must_agree(tmp_path):
    repo = spec_repo(tmp_path / "repo", {
        "a": spec("a", status="done"),
        "b": spec("not-b"),
        "c": spec("c", status="in-progress"),
    })  # fmt: skip
    write(
        repo,
        {
            "tasks/index.json": index(
                entry("a", status="in-progress"), entry("b"), entry("c", status="In-Progress")
            )
        },
    )
    data = guard_json(repo, code=1)
    assert rules(data) == [("id-mismatch", "b"), ("status-mismatch", "a")]


def test_unparsable_front_matter_names_the_file_and_the_line(tmp_path):
    repo = spec_repo(tmp_path / "repo", {
        "unclosed": "---\nid: unclosed\nlast_review: 2026-11-23\n\n# never closed\n",
        "bad-indent": "---\nid: bad-indent\napprovals:\n  - lead\n - security\n---\n",
        "no-colon": "---\nid: no-colon\njust words\n---\n",
        "twice": "---\nid: twice\nlast_review: 2026-11-23\nlast_review: 2020-01-01\n---\n",
        "a-list": "---\n- id: a-list\n---\n",
    })  # fmt: skip
    data = guard_json(repo, code=1)
    assert rules(data) == [
        ("unparsable-front-matter", "a-list"),
        ("unparsable-front-matter", "bad-indent"),
        ("unparsable-front-matter", "no-colon"),
        ("unparsable-front-matter", "twice"),
        ("unparsable-front-matter", "unclosed"),
    ]
    messages = {f["spec"]: f["message"] for f in data["findings"]}
    assert messages["bad-indent"].startswith(
        "tasks/specs/bad-indent.md: front matter line 5: not valid YAML: expected <block end>"
    )
    assert messages["no-colon"] == (
        "tasks/specs/no-colon.md: front matter line 4: not valid YAML: could not find expected "
        "':' (while scanning a simple key from line 3)"
    )
    assert messages["twice"].startswith(
        "tasks/specs/twice.md: front matter line 4: not valid YAML: 'last_review' appears twice"
    )
    assert messages["a-list"] == (
        "tasks/specs/a-list.md: front matter line 2: expected a mapping ('key: value' lines), "
        "got a YAML list"
    )
    assert messages["unclosed"] == (
        "tasks/specs/unclosed.md: front matter line 1 opens the front matter with '---' but no "
        "line closes it"
    )


def test_any_yaml_front_matter_passes(tmp_path):
    """Nested mappings and multi-line strings are fine: the guard reads its keys, not the rest."""
    repo = spec_repo(tmp_path / "repo", {
        "nested": spec("nested", extra=(
            "approvals: [{name: lead, date: 2026-11-20}]\n"
            "reviewers:\n  - name: security\n    date: 2026-11-21\n"
            "    notes: |\n      Token storage checked.\n      Rate limits still open.\n"
            "owner: {team: core, chat: '#core'}\n"
        )),
        "quoted": '---\n"id": "quoted"\nstatus: \'in-progress\'\nlast_review: "2026-11-23"\n---\n',
    })  # fmt: skip
    data = guard_json(repo, code=0)
    assert (data["outcome"], data["findings"]) == ("clean", [])


def test_last_review_as_a_yaml_date_or_a_string(tmp_path):
    """Unquoted, YAML reads a date; quoted, a string: both count. A date and time does not."""
    repo = spec_repo(tmp_path / "repo", {
        "date": spec("date", last_review="2026-10-01"),
        "text": spec("text", last_review="'2026-10-01'"),
        "fresh": spec("fresh", last_review="2026-11-20"),
        "datetime": spec("datetime", last_review="2026-11-20 10:00:00"),
        "number": spec("number", last_review="20261120"),
    })  # fmt: skip
    report = check(repo, Settings(), base=None, today=dt.date.fromisoformat(TODAY))
    found = {f.spec: f for f in report.findings}
    assert sorted((f.rule, s) for s, f in found.items()) == [
        ("stale-spec", "date"),
        ("stale-spec", "text"),
        ("unparsable-last-review", "datetime"),
        ("unparsable-last-review", "number"),
    ]
    assert (
        found["date"].message
        == found["text"].message
        == (
            "last_review 2026-10-01 is 53 days old (limit 30): review the spec and update last_review"
        )
    )
    assert found["datetime"].message == (
        "last_review 2026-11-20T10:00:00: expected a date as YYYY-MM-DD"
    )
    assert found["number"].message == "last_review 20261120: expected a date as YYYY-MM-DD"
    # The report (JSON) holds the date as text, whichever way it was written.
    reviewed = {s["id"]: s["last_review"] for s in report.specs}
    assert reviewed["date"] == reviewed["text"] == "2026-10-01"
    assert reviewed["datetime"] == "2026-11-20T10:00:00"


def test_an_id_or_status_that_yaml_reads_as_no_string(tmp_path):
    repo = spec_repo(tmp_path / "repo", {
        "0001": "---\nid: 0001\nlast_review: 2026-11-23\n---\n",
        "s": "---\nid: s\nstatus: yes\nlast_review: 2026-11-23\n---\n",
    })  # fmt: skip
    data = guard_json(repo, code=1)
    assert rules(data) == [("id-mismatch", "0001"), ("status-mismatch", "s")]
    messages = {f["spec"]: f["message"] for f in data["findings"]}
    assert messages["0001"] == (
        "front matter id 1 is a YAML int, not a string (index id '0001'): quote it"
    )
    assert messages["s"] == "front matter status True is a YAML bool, not a string: quote it"


def test_max_age_days_is_configurable(tmp_path):
    specs = {
        "week": spec("week", last_review="2026-11-16"),
        "eight": spec("eight", last_review="2026-11-15"),
    }
    config = {"codex-core.toml": "[guardrails.spec_guard]\nmax_age_days = 7\n"}
    repo = spec_repo(tmp_path / "repo", specs, config)
    assert rules(guard_json(repo, code=1)) == [("stale-spec", "eight")]
    in_pyproject = {
        "pyproject.toml": "[project]\nname='x'\nversion='0'\n[tool.codex-core.guardrails.spec_guard]\nmax_age_days = 0\n"
    }
    other = spec_repo(
        tmp_path / "other",
        {"today": spec("today"), "yesterday": spec("yesterday", last_review="2026-11-22")},
        in_pyproject,
    )
    assert rules(guard_json(other, code=1)) == [("stale-spec", "yesterday")]


def test_the_index_location_is_configurable(tmp_path):
    repo = spec_repo(tmp_path / "repo", {}, {
        "codex-core.toml": '[guardrails.spec_guard]\nindex = "docs/specs.json"\n',
        "docs/specs.json": index(entry("x", path="docs/x.md")),
        "docs/x.md": spec("x", last_review="2020-02-02"),
    })  # fmt: skip
    (repo / "tasks" / "index.json").unlink()
    data = guard_json(repo, code=1)
    assert rules(data) == [("stale-spec", "x")]
