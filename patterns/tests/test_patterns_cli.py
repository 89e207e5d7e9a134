"""``codex-core patterns`` as a user runs it: the real command in a subprocess, real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from codex_core.testing import make_repo, run_cli, validate_manifest
from patterns_helpers import helper_env, temp_files, write_files

OLD = "class A(B):\n    def f(self):\n        return super(A, self).f()\n"
NEW = "class A(B):\n    def f(self):\n        return super().f()\n"


@pytest.fixture
def repo(tmp_path):
    return make_repo(
        tmp_path / "repo", {"src/a.py": OLD, "src/b.py": "x = 1\n", "README.md": "hi\n"}
    )


def test_list_shows_every_asset_with_its_version():
    result = run_cli("patterns", "list", "--format", "json")
    assert result.returncode == 0, result
    rows = {(r["kind"], r["id"]): r for r in result.json()["assets"]}
    index = json.loads((Path(__file__).parents[1] / "index.json").read_text())["assets"]
    for asset in index:
        row = rows[(asset["kind"], asset["id"])]
        assert (row["version"], row["entry"], row["distribution"]) == (
            asset["version"], asset["entry"], "codex-core-patterns",
        )  # fmt: skip
    text = run_cli("patterns", "list", "--kind", "linter")
    assert text.returncode == 0 and text.stdout.startswith(
        "linter    print-logger             1.0.0"
    )


def test_apply_changes_files_and_exits_0(repo):
    result = run_cli("patterns", "apply", "super-call", cwd=repo)
    assert result.returncode == 0, result
    assert "applied    src/a.py" in result.stdout
    assert "super-call 1.0.0: 1 applied, 0 unchanged, 1 skipped, 0 failed" in result.stdout
    assert (repo / "src/a.py").read_text() == NEW
    assert temp_files(repo) == []


def test_apply_dry_run_prints_a_diff_and_writes_nothing(repo):
    result = run_cli("patterns", "apply", "super-call", "src", "--dry-run", cwd=repo)
    assert result.returncode == 0, result
    assert result.stdout == (
        "--- a/src/a.py\n+++ b/src/a.py\n@@ -1,3 +1,3 @@\n class A(B):\n     def f(self):\n"
        "-        return super(A, self).f()\n+        return super().f()\n"
    )
    assert "(dry run): 1 applied" in result.stderr
    assert (repo / "src/a.py").read_text() == OLD


def test_apply_json_has_a_stable_shape(repo):
    result = run_cli("patterns", "apply", "super-call", "--format", "json", "--jobs", "2", cwd=repo)
    data = result.json()
    assert result.returncode == 0
    assert set(data) == {
        "operation", "assets", "root", "dry_run", "jobs", "duration_seconds", "ok", "cancelled",
        "counts", "notes", "files",
    }  # fmt: skip
    assert data["counts"] == {"applied": 1, "unchanged": 0, "skipped": 1, "failed": 0}
    assert [f["path"] for f in data["files"]] == ["src/a.py", "src/b.py"]
    assert set(data["files"][0]) == {
        "path",
        "status",
        "reason",
        "error",
        "traceback",
        "warnings",
        "diff",
    }


def test_a_file_libcst_cannot_parse_fails_with_exit_1_and_the_rest_is_applied(repo):
    write_files(repo, {"src/c.py": "def broken(:\n    super(A, self)\n"})
    result = run_cli("patterns", "apply", "super-call", "--format", "json", cwd=repo)
    assert result.returncode == 1
    files = {f["path"]: f for f in result.json()["files"]}
    assert files["src/c.py"]["status"] == "failed" and files["src/c.py"]["reason"] == "parse-error"
    assert files["src/c.py"]["error"].startswith("ParserSyntaxError:")
    assert files["src/a.py"]["status"] == "applied"


def test_a_raising_codemod_and_a_dying_worker_through_the_cli(repo):
    write_files(
        repo, {"src/r.py": "x = 'RAISE_ME'\n", "src/k.py": "x = 'KILL_ME'\n", "src/b.py": "x = 1\n"}
    )
    result = run_cli(
        "patterns", "apply", "patterns_helpers:RenameX", "--jobs", "2", cwd=repo, env=helper_env()
    )
    assert result.returncode == 1, result
    assert "failed     src/r.py: ValueError: asked to raise" in result.stdout
    assert (
        "failed     src/k.py: worker process died while processing this file (killed by SIGKILL)"
        in result.stdout
    )
    assert "applied    src/b.py" in result.stdout
    assert (repo / "src/b.py").read_text() == "y = 1\n"


@pytest.mark.parametrize(
    "args,message",
    [
        (["apply", "no-such-codemod"], "no codemod named 'no-such-codemod' is installed"),
        (["apply", "super-call", "missing"], "path 'missing' does not exist"),
        (["apply", "super-call", "/"], "outside"),
        (["apply", "super-call", ".git"], "inside .git"),
        (["apply", "super-call", "-o", "colour=red"], "super-call has no option 'colour'"),
        (["apply", "super-call", "-o", "nonsense"], "is not KEY=VALUE"),
        (["apply", "nomodule:Nothing"], "cannot import"),
        (["lint", "--rule", "no-such-rule"], "no linter named 'no-such-rule'"),
        (["render", "no-such-template"], "no template named"),
    ],
)
def test_bad_input_exits_2_with_one_line(repo, args, message):
    result = run_cli("patterns", *args, cwd=repo)
    assert result.returncode == 2, result
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (repo / "src/a.py").read_text() == OLD
    as_json = run_cli("patterns", *args, "--format", "json", cwd=repo)
    assert as_json.returncode == 2 and as_json.json()["error"]["message"]


def test_jobs_must_be_positive(repo):
    result = run_cli("patterns", "apply", "super-call", "--jobs", "0", cwd=repo)
    assert result.returncode == 2


def test_lint_text_json_and_sarif(repo):
    write_files(repo, {"src/log.py": "import logging\n\ndef f():\n    print('x')\n"})
    text = run_cli("patterns", "lint", cwd=repo)
    assert text.returncode == 1
    assert text.stdout.startswith("src/log.py:4:5: print-logger print() in a module that logs")
    data = run_cli("patterns", "lint", "src", "--format", "json", cwd=repo).json()
    assert data["findings"][0]["path"] == "src/log.py" and data["counts"]["findings"] == 1
    sarif = run_cli("patterns", "lint", "--format", "sarif", cwd=repo)
    assert sarif.returncode == 1
    log = sarif.json()
    assert log["version"] == "2.1.0"
    result = log["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/log.py"
    clean = run_cli("patterns", "lint", "src/a.py", cwd=repo)
    assert clean.returncode == 0 and "0 finding(s)" in clean.stdout


def test_render_fills_a_checklist_from_a_real_manifest(repo):
    write_files(
        repo,
        {"codex-core.toml": '[pipelines.one]\nstages = [{ id = "hello", command = "true" }]\n'},
    )
    start = run_cli("start", "one", "--repo", str(repo), "--format", "json", "--task", "T-9")
    manifest = Path(start.json()["manifest"])
    validate_manifest(manifest)
    result = run_cli(
        "patterns", "render", "run-manifest-checklist", "--manifest", str(manifest),
        "--set", "reviewer=Rita",
    )  # fmt: skip
    assert result.returncode == 0, result
    assert result.stdout.startswith(
        f"# Run-manifest review: task T-9, run {start.json()['run_id']}"
    )
    assert "- `hello` (command): succeeded" in result.stdout
    assert "Reviewer: Rita" in result.stdout and "Decision: ${decision}" in result.stdout
    data = run_cli("patterns", "render", "implementation-summary", "--format", "json").json()
    assert data["version"] == "1.0.0" and "summary" in data["missing"]
    bad = run_cli("patterns", "render", "implementation-summary", "--set", "nope=1")
    assert bad.returncode == 2


def test_status_and_version_do_not_import_libcst(repo, tmp_path):
    """The plugin is loaded for every command: it must stay light."""
    import os
    import subprocess

    from codex_core.testing import cli_path

    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    for args in (["--help"], ["plugins"], ["patterns", "--help"]):
        done = subprocess.run(
            [str(cli_path()), *args], cwd=repo, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        imported = {
            line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if "|" in line
        }
        assert "libcst" not in imported and "trio" not in imported, args


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
                found.append(int(entry.name))
    return found


def test_killing_the_command_kills_its_workers_and_tears_no_file(tmp_path):
    import os
    import signal
    import subprocess
    import time

    from codex_core.testing import cli_path

    repo = write_files(tmp_path / "repo", {f"f{i:02}.py": "x = 'SLOW_ME'\n" for i in range(40)})
    proc = subprocess.Popen(
        [str(cli_path()), "patterns", "apply", "patterns_helpers:RenameX", "--jobs", "2"],
        cwd=repo, env={**os.environ, **helper_env()},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not (workers := _children(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers, "no worker process started"
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{w}").exists() and _state(w) not in ("Z", "X") for w in workers):
        assert time.monotonic() < deadline, "a worker outlived the killed command"
        time.sleep(0.1)
    texts = {p.read_text() for p in repo.glob("*.py")}
    assert texts <= {"x = 'SLOW_ME'\n", "y = 'SLOW_ME'\n"}
    assert temp_files(repo) == []


def _state(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "X"
