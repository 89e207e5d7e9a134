"""``codex_core.gitdiff`` on a real git repository's ``git diff --numstat -z``."""

from __future__ import annotations

import subprocess

from codex_core.gitdiff import DiffStat, parse_numstat
from codex_core.testing import make_repo


def git(repo, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True).stdout


def test_renames_binaries_and_odd_names_are_read_exactly(tmp_path):
    repo = make_repo(tmp_path / "repo", {"old name.py": "a\nb\nc\n", "keep.py": "x\n"})
    git(repo, "mv", "old name.py", "new\tname.py")
    (repo / "keep.py").write_text("x\ny\n")
    (repo / "blob.bin").write_bytes(b"\0\1\2")
    git(repo, "add", "-A")
    out = git(repo, "diff", "--cached", "--numstat", "-z", "-M")

    entries = {e.path: e for e in parse_numstat(out)}
    assert set(entries) == {"new\tname.py", "keep.py", "blob.bin"}
    assert (entries["keep.py"].added, entries["keep.py"].deleted) == (1, 0)
    assert entries["blob.bin"].binary and entries["blob.bin"].added == 0
    stat = DiffStat.from_numstat(out)
    assert (stat.files, stat.insertions, stat.deletions) == (3, 1, 0)
    assert stat.line == "3 file(s) changed, +1 -0"
    assert DiffStat.from_numstat(b"").as_json() == {
        "files": 0,
        "insertions": 0,
        "deletions": 0,
        "paths": [],
    }
