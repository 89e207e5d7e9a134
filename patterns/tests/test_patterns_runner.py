"""The runner on real files in real worker processes: statuses, crashes, atomic writes, cancel."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
import time

import pytest
from codex_core.errors import PathEscapeError, UsageError
from codex_core_patterns.assets import UnknownAssetError
from codex_core_patterns.files import select_files
from codex_core_patterns.runner import apply_codemod, lint
from codex_core_patterns.sarif import to_sarif
from patterns_helpers import temp_files, write_files

OLD = "class A(B):\n    def f(self):\n        return super(A, self).f()\n"
NEW = "class A(B):\n    def f(self):\n        return super().f()\n"
RENAME = "patterns_helpers:RenameX"


@pytest.fixture
def repo(tmp_path):
    return tmp_path / "repo"


def by_path(report):
    return {f.path: f for f in report.files}


def test_each_file_is_applied_unchanged_skipped_or_failed(repo):
    write_files(repo, {
        "pkg/old.py": OLD,
        "pkg/near.py": "class A(B):\n    def f(self):\n        return super(B, self).f()\n",
        "pkg/plain.py": "x = 1\n",
        "pkg/broken.py": "def f(:\n    super(A, self)\n",
        "pkg/broken_but_irrelevant.py": "def f(:\n    pass\n",
    })  # fmt: skip
    report = apply_codemod(repo, "super-call", jobs=2)
    files = by_path(report)
    assert files["pkg/old.py"].status == "applied" and (repo / "pkg/old.py").read_text() == NEW
    assert files["pkg/near.py"].status == "unchanged"
    assert (files["pkg/plain.py"].status, files["pkg/plain.py"].reason) == ("skipped", "no-match")
    # Never parsed: the precheck ruled it out, so its syntax error is not seen.
    assert files["pkg/broken_but_irrelevant.py"].reason == "no-match"
    broken = files["pkg/broken.py"]
    assert (broken.status, broken.reason) == ("failed", "parse-error")
    assert broken.error.startswith("ParserSyntaxError: ") and "\n" not in broken.error
    assert report.counts == {"applied": 1, "unchanged": 1, "skipped": 2, "failed": 1}
    assert (report.ok, report.exit_code) == (False, 1)
    assert report.assets[0]["id"] == "super-call" and report.assets[0]["version"] == "1.0.0"
    data = report.to_json()
    assert data["counts"] == report.counts and len(data["files"]) == 5


def test_a_codemod_raising_on_one_file_fails_that_file_only(repo):
    write_files(repo, {f"f{i}.py": f"x = {i}\n" for i in range(12)})
    write_files(repo, {"f5.py": "x = 'RAISE_ME'\n"})
    report = apply_codemod(repo, RENAME, jobs=2)
    failed = report.failed
    assert [(f.path, f.reason, f.error) for f in failed] == [
        ("f5.py", "codemod-error", "ValueError: asked to raise")
    ]
    assert "Traceback" in failed[0].traceback and "transform_module_impl" in failed[0].traceback
    assert report.counts["applied"] == 11
    assert (repo / "f5.py").read_text() == "x = 'RAISE_ME'\n"
    assert (repo / "f6.py").read_text() == "y = 6\n"


def test_a_worker_process_dying_fails_its_file_and_the_run_goes_on(repo):
    write_files(repo, {f"f{i:02}.py": f"x = {i}\n" for i in range(30)})
    write_files(
        repo,
        {"f07.py": "x = 'KILL_ME'\n", "f18.py": "x = 'EXIT_ME'\n", "f11.py": "x = 'RAISE_ME'\n"},
    )
    began = time.monotonic()
    report = apply_codemod(repo, RENAME, jobs=2)
    assert time.monotonic() - began < 60
    files = by_path(report)
    assert (files["f07.py"].status, files["f07.py"].reason) == ("failed", "worker-died")
    assert "killed by SIGKILL" in files["f07.py"].error
    assert "exit code 3" in files["f18.py"].error
    assert files["f11.py"].error == "ValueError: asked to raise"
    assert report.counts == {"applied": 27, "unchanged": 0, "skipped": 0, "failed": 3}
    for i in set(range(30)) - {7, 11, 18}:
        assert (repo / f"f{i:02}.py").read_text() == f"y = {i}\n"
    assert temp_files(repo) == []


def test_jobs_1_still_uses_a_worker_process(repo):
    write_files(repo, {"a.py": "x = 'KILL_ME'\n", "b.py": "x = 1\n"})
    report = apply_codemod(repo, RENAME, jobs=1)
    assert [f.status for f in report.files] == ["failed", "applied"]


def test_in_process_contains_python_exceptions(repo):
    write_files(repo, {"a.py": "x = 'RAISE_ME'\n", "b.py": "x = 1\n"})
    report = apply_codemod(repo, RENAME, in_process=True)
    assert [(f.status, f.error) for f in report.files] == [
        ("failed", "ValueError: asked to raise"), ("applied", None)
    ]  # fmt: skip


def test_writes_are_atomic_and_only_touch_changed_files(repo):
    write_files(repo, {"old.py": OLD, "same.py": "class A:\n    pass\n# super(\n", "tool.py": OLD})
    (repo / "tool.py").chmod(0o755)
    os.utime(repo / "same.py", (1_000_000, 1_000_000))
    os.utime(repo / "old.py", (1_000_000, 1_000_000))
    report = apply_codemod(repo, "super-call", jobs=2)
    assert by_path(report)["same.py"].status == "unchanged"
    assert (repo / "same.py").stat().st_mtime == 1_000_000  # not rewritten
    assert (repo / "old.py").stat().st_mtime != 1_000_000
    assert stat.S_IMODE((repo / "tool.py").stat().st_mode) == 0o755
    assert (repo / "tool.py").read_text() == NEW
    assert temp_files(repo) == []


def test_bytes_in_bytes_out_keeps_encoding_and_line_endings(repo):
    latin = "# -*- coding: latin-1 -*-\nname = 'café'\n" + OLD
    write_files(
        repo, {"latin.py": latin.encode("latin-1"), "crlf.py": OLD.replace("\n", "\r\n").encode()}
    )
    apply_codemod(repo, "super-call", jobs=2)
    assert (repo / "latin.py").read_bytes() == latin.replace(OLD, NEW).encode("latin-1")
    assert (repo / "crlf.py").read_bytes() == NEW.replace("\n", "\r\n").encode()


def test_dry_run_writes_nothing_and_its_diff_applies_with_git(repo):
    write_files(repo, {"src/a.py": OLD, "src/b.py": "x = 1\n"})
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    report = apply_codemod(repo, "super-call", ["src"], jobs=2, dry_run=True)
    assert report.dry_run and (repo / "src/a.py").read_text() == OLD
    diff = by_path(report)["src/a.py"].diff
    assert diff.startswith("--- a/src/a.py\n+++ b/src/a.py\n")
    subprocess.run(["git", "apply", "-"], cwd=repo, input=diff, text=True, check=True)
    assert (repo / "src/a.py").read_text() == NEW


def test_cancel_stops_between_files_and_leaves_no_half_written_file(repo):
    write_files(repo, {f"f{i:02}.py": "x = 'SLOW_ME'\n" for i in range(12)})
    cancel = threading.Event()
    seen = []

    def on_result(result):
        seen.append(result)
        cancel.set()

    report = apply_codemod(repo, RENAME, jobs=2, cancel=cancel, on_result=on_result)
    assert report.cancelled and not report.ok
    statuses = {f.path: f.status for f in report.files}
    assert "skipped" in statuses.values() and "applied" in statuses.values()
    for f in report.files:
        text = (repo / f.path).read_text()
        assert text == ("y = 'SLOW_ME'\n" if f.status == "applied" else "x = 'SLOW_ME'\n")
        if f.status == "skipped":
            assert f.reason == "cancelled"
    assert temp_files(repo) == []


def test_runs_from_a_worker_thread_on_a_fork_server(repo):
    """The stage kinds call the runner from a thread: workers then come from a fork server."""
    write_files(repo, {"a.py": OLD, "b.py": "x = 'RAISE_ME'\n", "c.py": "x = 1\n"})
    reports = []
    thread = threading.Thread(target=lambda: reports.append(apply_codemod(repo, RENAME, jobs=2)))
    thread.start()
    thread.join(120)
    files = by_path(reports[0])
    assert files["b.py"].error == "ValueError: asked to raise" and files["c.py"].status == "applied"


def test_file_selection_skips_what_it_should(repo, tmp_path):
    write_files(repo, {
        "a.py": "", "pkg/b.py": "", "notes.txt": "", ".git/hooks/h.py": "", ".venv/lib/x.py": "",
        ".runs/t/x.py": "", "node_modules/m/x.py": "", "build/x.py": "", "dist/x.py": "",
        "env/pyvenv.cfg": "", "env/lib/x.py": "", "pkg/__pycache__/c.py": "", ".hidden/x.py": "",
    })  # fmt: skip
    (tmp_path / "outside.py").write_text("")
    (repo / "pkg/link_out.py").symlink_to(tmp_path / "outside.py")
    (repo / "pkg/link_in.py").symlink_to(repo / "a.py")
    selection = select_files(repo)
    assert [rel for _, rel in selection.files] == ["a.py", "pkg/b.py"]
    assert selection.outside == ("pkg/link_out.py",)
    assert [rel for _, rel in select_files(repo, ["build"]).files] == ["build/x.py"]
    assert [rel for _, rel in select_files(repo, ["notes.txt"]).files] == ["notes.txt"]


def test_bad_paths_and_names_are_bad_input(repo, tmp_path):
    write_files(repo, {"a.py": OLD})
    with pytest.raises(UsageError, match="does not exist"):
        apply_codemod(repo, "super-call", ["missing"])
    with pytest.raises(PathEscapeError):
        apply_codemod(repo, "super-call", [str(tmp_path)])
    with pytest.raises(PathEscapeError):
        apply_codemod(repo, "super-call", ["../"], base=repo)
    with pytest.raises(UnknownAssetError):
        apply_codemod(repo, "no-such-codemod")
    with pytest.raises(UsageError, match="has no option"):
        apply_codemod(repo, "super-call", options={"colour": "red"})
    assert (repo / "a.py").read_text() == OLD


def test_options_take_the_defaults_type(repo):
    write_files(repo, {"a.py": 'hub.emit("x", p)\nbus.emit("y", q)\n'})
    apply_codemod(repo, "event-emit", options={"receivers": "hub, other"}, jobs=1)
    assert (
        repo / "a.py"
    ).read_text() == 'hub.emit({"type": "x", "payload": p})\nbus.emit("y", q)\n'


def test_lint_reports_findings_and_a_valid_sarif_shape(repo):
    write_files(repo, {
        "a.py": "import logging\nprint('x')\n", "b.py": "print('fine')\n", "c.py": "import logging\ndef f(:\n print(1)\n",
    })  # fmt: skip
    report = lint(repo, jobs=2)
    files = by_path(report)
    assert [(f.path, f.line, f.column) for f in report.findings] == [("a.py", 2, 1)]
    assert files["b.py"].reason == "no-match" and files["c.py"].reason == "parse-error"
    assert report.counts == {"findings": 1, "clean": 0, "skipped": 1, "failed": 1}
    assert report.exit_code == 1
    sarif = to_sarif(report, tool_version="0.1.0")
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    [run] = sarif["runs"]
    assert run["tool"]["driver"]["rules"][0]["id"] == "print-logger"
    [result] = run["results"]
    assert result["ruleId"] == "print-logger" and result["ruleIndex"] == 0
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (2, 1)
    assert run["invocations"][0]["executionSuccessful"] is False


PERCENT_TO_FSTRING = (
    "libcst.codemod.commands.convert_percent_format_to_fstring:ConvertPercentFormatStringCommand"
)


def test_output_that_does_not_compile_fails_the_file_and_is_never_written(repo):
    """libcst's own percent-to-f-string codemod, as it behaved on webob 1.8.9: on this line it
    emits an f-string reusing its quote inside the braces (Python 3.12 syntax), which this
    interpreter (3.11) cannot compile. That file fails; the others are still converted."""
    quoting = "def quote(value):\n    return '\"%s\"' % value.replace('\"', '\\\\\"')\n"
    plain = "def greet(name):\n    return 'hello %s' % name\n"
    write_files(repo, {"etag.py": quoting, "greet.py": plain})
    report = apply_codemod(repo, PERCENT_TO_FSTRING, jobs=1)
    files = by_path(report)
    assert (files["etag.py"].status, files["etag.py"].reason) == ("failed", "invalid-output")
    assert files["etag.py"].error.startswith("SyntaxError: ")
    assert (repo / "etag.py").read_text() == quoting
    assert files["greet.py"].status == "applied"
    assert (repo / "greet.py").read_text() == "def greet(name):\n    return f'hello {name}'\n"
    assert temp_files(repo) == []


def test_a_warning_in_the_output_is_not_invalid_output(repo, monkeypatch):
    """``x is 1`` compiles with a SyntaxWarning; under ``-W error`` that must not fail the file."""
    monkeypatch.setenv("PYTHONWARNINGS", "error")
    write_files(repo, {"w.py": "def f(x):\n    y = dict()\n    return x is 1\n"})
    report = apply_codemod(repo, "empty-collection-call", jobs=1)
    assert [(f.path, f.status) for f in report.files] == [("w.py", "applied")]
    assert (repo / "w.py").read_text() == "def f(x):\n    y = {}\n    return x is 1\n"
