"""The diff budget: what counts as the change, the stage in real runs, its options and the
``diagnostics`` stage it contributes only when configured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from codex_core import StageSpec, run_pipeline
from codex_core.config import load_config
from codex_core.errors import ConfigError
from codex_core.testing import check_stage_kind, make_repo, run_cli, validate_manifest
from codex_core_guardrails.diff_budget import Budget, DiffBudget, DiffBudgetStage, measure
from guardrails_helpers import commit_all, git, only_run_dir, python_repo, repo_with

LINES_10 = "".join(f"line {i}\n" for i in range(10))


def by_path(change) -> dict[str, tuple[int, int, bool, bool]]:
    return {f.path: (f.added, f.deleted, f.binary, f.untracked) for f in change.files}


async def test_the_change_counts_staged_unstaged_untracked_renamed_and_deleted(tmp_path):
    repo = make_repo(
        tmp_path / "repo",
        {"a.txt": LINES_10, "b.txt": LINES_10, "gone.txt": LINES_10, "old_name.txt": LINES_10 * 3},
    )
    (repo / "a.txt").write_text(LINES_10.replace("line 3\n", "line three\n"))  # unstaged: +1 -1
    (repo / "b.txt").write_text(LINES_10 + "more\n")
    git(repo, "add", "b.txt")  # staged: +1
    (repo / "gone.txt").unlink()  # deleted: -10
    git(repo, "mv", "old_name.txt", "new_name.txt")  # renamed, unchanged: one file, no lines
    (repo / "new.txt").write_text("x\ny\nno newline at end")  # untracked: 3 lines
    (repo / "staged_new.txt").write_text("s\n")
    git(repo, "add", "staged_new.txt")  # new in the index: +1
    (repo / "blob.bin").write_bytes(b"\x00\x01binary" * 10)  # untracked binary
    (repo / ".runs" / "t" / "cli").mkdir(parents=True)
    (repo / ".runs" / "t" / "cli" / "noise.log").write_text(LINES_10)  # never counts
    (repo / ".gitignore").write_text("ignored.log\n")
    (repo / "ignored.log").write_text(LINES_10)  # ignored: does not count
    change = await measure(repo, Budget())
    assert by_path(change) == {
        "a.txt": (1, 1, False, False),
        "b.txt": (1, 0, False, False),
        "gone.txt": (0, 10, False, False),
        "new_name.txt": (0, 0, False, False),
        "staged_new.txt": (1, 0, False, False),
        "new.txt": (3, 0, False, True),
        "blob.bin": (0, 0, True, True),
        ".gitignore": (1, 0, False, True),
    }
    assert (len(change.files), change.lines, change.added, change.deleted) == (8, 18, 7, 11)
    assert change.base.startswith("HEAD (")


async def test_excluded_globs_do_not_count(tmp_path):
    repo = make_repo(tmp_path / "repo", {"uv.lock": LINES_10, "src/app.py": LINES_10})
    (repo / "uv.lock").write_text(LINES_10 * 50)
    (repo / "src" / "app.py").write_text(LINES_10 + "x\n")
    (repo / "src" / "snap").mkdir()
    (repo / "src" / "snap" / "t.snap").write_text(LINES_10)
    change = await measure(repo, Budget(exclude=("uv.lock", "**/*.snap")))
    assert by_path(change) == {"src/app.py": (1, 0, False, False)}


async def test_a_base_commit_counts_what_was_committed_since(tmp_path):
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "b.txt").write_text("b\nb\n")
    commit_all(repo)
    (repo / "c.txt").write_text("c\n")
    assert set(by_path(await measure(repo, Budget()))) == {"c.txt"}
    change = await measure(repo, Budget(base=first))
    assert set(by_path(change)) == {"b.txt", "c.txt"} and change.lines == 3


async def test_a_repo_without_commits_compares_with_the_empty_tree(tmp_path):
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\nb\n"}, commit=False)
    change = await measure(repo, Budget())
    assert change.base == "the empty tree (no commit yet)"
    assert by_path(change) == {"a.txt": (2, 0, False, True)}


async def test_within_budget_the_stage_succeeds_and_says_how_much(tmp_path):
    repo = repo_with(
        tmp_path,
        """
        [pipelines.p]
        stages = [{ id = "budget", kind = "diff-budget", max_files = 5, max_lines = 200, guardrail = true }]
        """,
    )
    (repo / "new.txt").write_text("one\ntwo\n")
    result = await run_pipeline(repo, "p")
    [record] = result.manifest.commands
    assert (result.status, record.status) == ("succeeded", "succeeded")
    assert record.summary.startswith("1 file(s), 2 line(s) changed against HEAD (")
    assert record.summary.endswith("(within the budget of 5 file(s), 200 line(s))")
    log = (result.artifact_root / "commands" / "01-budget.log").read_text()
    assert "+2 -0  new.txt  (untracked)" in log
    validate_manifest(result.manifest_path)


async def test_over_budget_the_stage_fails_with_the_counts_in_the_error_artifact(tmp_path):
    repo = repo_with(
        tmp_path,
        """
        [pipelines.p]
        stages = [
          { id = "budget", kind = "diff-budget", max_files = 2, max_lines = 1000, guardrail = true },
          { id = "after", command = "true" },
        ]
        """,
    )
    for name in ("a", "b", "c"):
        (repo / f"{name}.txt").write_text(LINES_10)
    result = await run_pipeline(repo, "p")
    budget, after = result.manifest.commands
    assert (result.status, budget.status, after.status) == ("failed", "failed", "pending")
    assert budget.summary.endswith(": over the budget of 2 file(s), 1000 line(s)")
    error = json.loads((repo / budget.error_file).read_text())
    assert error["reason"] == "diff-budget-exceeded"
    details = error["details"]
    assert (details["files"], details["lines"], details["exceeded"]) == (3, 30, ["files"])
    assert (details["max_files"], details["max_lines"]) == (2, 1000)
    assert [f["path"] for f in details["largest"]] == ["a.txt", "b.txt", "c.txt"]
    status = result.manifest.guardrail_status
    assert (status.present, status.failed) == (True, 1)


async def test_stage_options_win_over_the_table_which_wins_over_the_defaults(tmp_path):
    repo = repo_with(
        tmp_path,
        """
        [guardrails.diff_budget]
        max_files = 1
        max_lines = 1

        [pipelines.p]
        stages = [{ id = "budget", kind = "diff-budget", max_lines = 50 }]
        """,
    )
    (repo / "a.txt").write_text(LINES_10)
    result = await run_pipeline(repo, "p")
    assert result.status == "succeeded", result.summary
    assert "budget of 1 file(s), 50 line(s)" in result.manifest.commands[0].summary


def test_override_passes_and_is_recorded_as_an_approval(tmp_path):
    repo = repo_with(
        tmp_path,
        '[pipelines.p]\nstages = [{ id = "budget", kind = "diff-budget", max_lines = 1, guardrail = true }]\n',
    )
    (repo / "big.txt").write_text(LINES_10)
    result = run_cli(
        "start", "p", "--repo", str(repo), "--override", "budget",
        "--reason", "generated fixtures", "--approver", "lead",
    )  # fmt: skip
    assert result.returncode == 0, result
    manifest = validate_manifest(only_run_dir(repo) / "manifest.json")
    [approval] = manifest["approvals"]
    assert (approval["guardrail"], approval["approver"]) == ("budget", "lead")
    assert approval["findings"][0]["rule"] == "diff-budget-exceeded"
    assert "overridden by lead" in manifest["commands"][0]["summary"]


@pytest.mark.parametrize(
    ("stage", "message"),
    [
        ('max_file = 5', "stage 'budget' (kind diff-budget): unknown option(s) max_file"),
        ('max_lines = -1', "stage 'budget' (kind diff-budget).max_lines: expected a whole number >= 0"),
        ('max_files = "5"', "stage 'budget' (kind diff-budget).max_files: expected a whole number >= 0"),
        ('base = "--output=/tmp/x"', "stage 'budget' (kind diff-budget).base: expected a git revision"),
        ('exclude = "uv.lock"', "stage 'budget' (kind diff-budget).exclude: expected a list of path globs"),
        ('command = "git diff"', "stage 'budget' (kind diff-budget): takes no command"),
    ],
)  # fmt: skip
def test_bad_options_are_refused_before_the_run(tmp_path, stage, message):
    repo = repo_with(
        tmp_path, f'[pipelines.p]\nstages = [{{ id = "budget", kind = "diff-budget", {stage} }}]\n'
    )
    result = run_cli("start", "p", "--repo", str(repo))
    assert result.returncode == 2, result
    assert message in result.stderr
    assert not (repo / ".runs").exists() or not any((repo / ".runs").glob("*/cli/*"))


async def test_a_base_that_names_no_commit_fails_the_stage(tmp_path):
    repo = repo_with(
        tmp_path,
        '[pipelines.p]\nstages = [{ id = "budget", kind = "diff-budget", base = "nope" }]\n',
    )
    result = await run_pipeline(repo, "p")
    record = result.manifest.commands[0]
    assert record.extra["reason"] == "diff-budget-error"
    assert record.summary == "base 'nope' names no commit"


def test_diagnostics_gets_the_stage_only_when_configured(tmp_path):
    plain = python_repo(tmp_path / "plain", '[adapters.python]\nbuild = "true"\n')
    stages = run_cli("plan", "--repo", str(plain), "--format", "json").json()["stages"]
    assert "diff-budget" not in [s["id"] for s in stages]

    configured = python_repo(
        tmp_path / "configured",
        '[adapters.python]\nbuild = "true"\n\n[guardrails.diff_budget]\nmax_lines = 400\n',
    )
    stages = run_cli("plan", "--repo", str(configured), "--format", "json").json()["stages"]
    [budget] = [s for s in stages if s["id"] == "diff-budget"]
    assert (budget["kind"], budget["guardrail"]) == ("diff-budget", True)
    [spec] = DiffBudget().codex_diagnostics_stages(configured, load_config(configured))
    assert spec.options == {"max_files": 25, "max_lines": 400, "base": "HEAD", "exclude": []}


def test_a_malformed_table_is_a_config_error(tmp_path):
    repo = python_repo(
        tmp_path, '[adapters.python]\nbuild = "true"\n\n[guardrails.diff_budget]\nmax_line = 4\n'
    )
    with pytest.raises(ConfigError, match=r"guardrails.diff_budget: unknown key\(s\) max_line"):
        DiffBudget().codex_diagnostics_stages(repo, load_config(repo))
    result = run_cli("plan", "--repo", str(repo))
    assert (
        result.returncode == 2
        and "guardrails.diff_budget: unknown key(s) max_line" in result.stderr
    )


def test_validate_accepts_what_the_guardrail_contributes():
    DiffBudgetStage().validate(StageSpec(id="b", kind="diff-budget", options=Budget().as_options()))


def test_stage_kind_conformance(git_repo: Path):
    data = check_stage_kind("diff-budget", git_repo)
    assert data["commands"][0]["status"] == "succeeded"
