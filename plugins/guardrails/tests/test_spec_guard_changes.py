"""The code-change rule and the base it compares against, on real git histories."""

from __future__ import annotations

from spec_guard_helpers import (
    commit,
    git,
    guard,
    guard_json,
    guard_text,
    no_runs,
    rules,
    spec,
    spec_repo,
    write,
)

CHANGED_SPEC = {"tasks/specs/0001-core.md": spec("0001-core", extra="note: revised\n")}


def test_code_change_without_a_spec_change_is_a_finding(tmp_path):
    repo = spec_repo(tmp_path / "repo")
    commit(repo, {"src/app.py": "VALUE = 2\n", "src/new.py": "NEW = 1\n"})
    data = guard_json(repo, code=1)
    assert rules(data) == [("code-without-spec", None)]
    [finding] = data["findings"]
    assert finding["paths"] == ["src/app.py", "src/new.py"]
    assert "2 code file(s) changed since HEAD~1" in finding["message"]
    assert data["base"]["how"] == "previous-commit" and data["base"]["ref"] == "HEAD~1"
    assert data["base"]["commit"] == git(repo, "rev-parse", "HEAD~1")


def test_code_change_with_a_spec_or_index_change_is_clean(tmp_path):
    repo = spec_repo(tmp_path / "repo")
    commit(repo, {"src/app.py": "VALUE = 2\n", **CHANGED_SPEC})
    assert guard_json(repo, code=0)["outcome"] == "clean"
    commit(
        repo,
        {
            "src/app.py": "VALUE = 3\n",
            "tasks/index.json": (repo / "tasks/index.json").read_text() + "\n",
        },
    )
    assert guard_json(repo, code=0)["outcome"] == "clean"
    commit(
        repo, {"src/app.py": "VALUE = 4\n", "tasks/specs/0009-draft.md": "a new, unlisted spec\n"}
    )
    assert guard_json(repo, code=0)["outcome"] == "clean"  # under spec_paths (tasks/specs/**)


def test_changes_that_are_not_code_need_no_spec(tmp_path):
    repo = spec_repo(tmp_path / "repo")
    commit(repo, {"README.md": "# more docs\n", "docs/guide.md": "guide\n", "data.csv": "a,b\n"})
    data = guard_json(repo, code=0)
    assert data["findings"] == []


def test_default_code_paths_cover_common_source_files(tmp_path):
    repo = spec_repo(tmp_path / "repo")
    commit(repo, {"tools/deep/gen.py": "X = 1\n", "web/index.ts": "export {}\n"})
    assert guard_json(repo, code=1)["findings"][0]["paths"] == ["tools/deep/gen.py", "web/index.ts"]


def test_custom_code_paths(tmp_path):
    repo = spec_repo(tmp_path / "repo", files={
        "codex-core.toml": '[guardrails.spec_guard]\ncode_paths = ["scripts/**", "/setup.py"]\n',
    })  # fmt: skip
    commit(repo, {"src/app.py": "VALUE = 2\n", "pkg/setup.py": "nested, not the top one\n"})
    assert guard_json(repo, code=0)["findings"] == []  # src/ is no longer code
    commit(repo, {"scripts/deploy.sh": "echo hi\n"})
    assert guard_json(repo, code=1)["findings"][0]["paths"] == ["scripts/deploy.sh"]
    commit(repo, {"setup.py": "print()\n"})
    assert guard_json(repo, code=1)["findings"][0]["paths"] == ["setup.py"]


def test_code_paths_are_gitignore_patterns(tmp_path):
    repo = spec_repo(tmp_path / "repo", files={
        "codex-core.toml": """
            [guardrails.spec_guard]
            code_paths = ["src/", "!src/generated/**", "*.sql", "!**/fixtures/*.sql"]
        """,
    })  # fmt: skip
    commit(repo, {"src/generated/api.py": "X = 1\n", "tests/fixtures/seed.sql": "select 1;\n"})
    assert guard_json(repo, code=0)["findings"] == []  # taken back by the ! patterns
    commit(repo, {"lib/src/x.py": "X = 1\n", "db/001.sql": "select 1;\n", "docs/a.md": "a\n"})
    assert guard_json(repo, code=1)["findings"][0]["paths"] == ["db/001.sql", "lib/src/x.py"]


def test_custom_spec_paths(tmp_path):
    repo = spec_repo(tmp_path / "repo", files={
        "codex-core.toml": '[guardrails.spec_guard]\nspec_paths = ["docs/adr/**"]\n',
    })  # fmt: skip
    commit(repo, {"src/app.py": "VALUE = 2\n", "docs/adr/0007.md": "decision\n"})
    assert guard_json(repo, code=0)["findings"] == []
    commit(repo, {"src/app.py": "VALUE = 3\n", "tasks/specs/notes.md": "no longer a spec path\n"})
    assert rules(guard_json(repo, code=1)) == [("code-without-spec", None)]


def test_uncommitted_and_untracked_code_counts(tmp_path):
    repo = spec_repo(tmp_path / "repo")
    commit(repo, {"README.md": "# v2\n"})
    write(repo, {"src/app.py": "VALUE = 'edited, not committed'\n"})
    assert guard_json(repo, code=1)["findings"][0]["paths"] == ["src/app.py"]
    git(repo, "checkout", "--", "src/app.py")
    write(repo, {"src/brand_new.py": "X = 1\n"})
    assert guard_json(repo, code=1)["findings"][0]["paths"] == ["src/brand_new.py"]
    write(repo, {".gitignore": "src/brand_new.py\n"})  # ignored files are not changes
    assert guard_json(repo, code=0)["findings"] == []


def test_base_option_compares_against_the_merge_base(tmp_path):
    repo = spec_repo(tmp_path / "repo")
    start = git(repo, "rev-parse", "HEAD")
    commit(repo, {"src/app.py": "VALUE = 2\n", **CHANGED_SPEC})
    commit(repo, {"src/app.py": "VALUE = 3\n"})
    assert rules(guard_json(repo, code=1)) == [("code-without-spec", None)]  # HEAD~1 alone
    data = guard_json(repo, "--base", start, code=0)  # the whole branch changed a spec too
    assert (data["base"]["how"], data["base"]["commit"], data["base"]["ref"]) == (
        "option",
        start,
        start,
    )
    git(repo, "tag", "v1", start)
    assert guard_json(repo, "--base", "v1", code=0)["base"]["commit"] == start
    # A base on another line of history: the merge-base is what counts.
    git(repo, "checkout", "-q", "-b", "other", start)
    commit(repo, {"unrelated.txt": "x\n"})
    git(repo, "checkout", "-q", "main")
    data = guard_json(repo, "--base", "other", code=0)
    assert (
        data["base"]["commit"] == start
        and "merge-base of other and HEAD" in data["base"]["description"]
    )


def test_upstream_merge_base_is_the_default_base(tmp_path):
    repo = spec_repo(tmp_path / "repo")
    fork = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "feature")
    git(repo, "branch", "-q", "--set-upstream-to=main")
    commit(repo, {"src/app.py": "VALUE = 2\n", **CHANGED_SPEC})
    commit(repo, {"src/app.py": "VALUE = 3\n"})  # alone, HEAD~1 would flag this
    git(repo, "checkout", "-q", "main")
    commit(repo, {"src/upstream_only.py": "X = 1\n"})  # landed upstream after the fork
    git(repo, "checkout", "-q", "feature")
    data = guard_json(repo, code=0)
    assert (data["base"]["how"], data["base"]["ref"], data["base"]["commit"]) == (
        "upstream",
        "main",
        fork,
    )
    assert "upstream main" in data["base"]["description"]
    git(repo, "checkout", "-q", "-b", "solo", "HEAD")  # no upstream: back to HEAD~1
    assert guard_json(repo, code=1)["base"]["how"] == "previous-commit"
    # Already pushed (HEAD is in its upstream, as in CI's checkout of a branch): the upstream
    # would compare nothing, so the previous commit is the question.
    git(repo, "branch", "-q", "--set-upstream-to=feature")
    data = guard_json(repo, code=1)
    assert data["base"]["how"] == "previous-commit"
    assert "HEAD is already in its upstream feature" in data["base"]["description"]


def test_first_commit_compares_against_the_empty_tree(tmp_path):
    repo = spec_repo(tmp_path / "repo")
    data = guard_json(repo, code=0)  # the one commit added code and specs together
    assert (data["base"]["how"], data["base"]["commit"]) == ("first-commit", None)
    assert (
        "empty tree" in data["base"]["description"]
        and "first commit" in data["base"]["description"]
    )
    assert any("empty tree" in note for note in data["notes"])
    plain = guard_text(repo)
    assert plain.returncode == 0 and "compared against the empty tree" in plain.stdout


def test_a_bad_base_is_refused_before_any_run(tmp_path):
    repo = spec_repo(tmp_path / "repo")
    for ref, needle in [("no-such-branch", "no such commit"), ("--all", "not a git revision")]:
        result = guard(repo, f"--base={ref}")
        assert result.returncode == 2 and needle in result.stdout, result
        assert result.json()["error"]["code"] == "bad-base"
    text = guard_text(repo, "--base", "nope")
    assert text.returncode == 2 and text.stderr.strip() == (
        f"error: --base nope: no such commit in {repo}"
    )
    assert no_runs(repo)


def test_shallow_clone_without_parent_is_refused(tmp_path):
    origin = spec_repo(tmp_path / "origin")
    commit(origin, {"src/app.py": "VALUE = 2\n"})
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(clone))
    git(clone, "branch", "-q", "--unset-upstream")
    result = guard(clone)
    assert result.returncode == 2 and "shallow clone" in result.json()["error"]["message"]
    assert guard_json(clone, "--base", "HEAD", code=0)["findings"] == []


def test_not_a_git_repository_skips_only_the_change_rule(tmp_path):
    repo = tmp_path / "plain"
    write(
        repo,
        {
            "tasks/index.json": '{"specs": [{"id": "a", "path": "a.md"}]}',
            "a.md": spec("a", last_review="2000-01-01"),
        },
    )
    data = guard_json(repo, code=1)
    assert rules(data) == [("stale-spec", "a")]
    assert data["base"] is None and "not a git work tree" in data["notes"][0]
