import json
import os
import subprocess
import sys

from codex_core.atomic import append_line, write_atomic
from codex_core.errors import PathEscapeError
from codex_core.paths import contained_path, is_contained


def test_write_atomic_replaces_whole_and_keeps_mode(tmp_path):
    target = tmp_path / "token"
    write_atomic(target, "old")
    write_atomic(target, "secret", mode=0o600)
    assert target.read_text() == "secret"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir()] == ["token"]  # no temp file left behind


def test_concurrent_appends_from_processes_never_tear(tmp_path):
    target = tmp_path / "metrics.jsonl"
    script = (
        "import sys, json\n"
        "from codex_core.atomic import append_line\n"
        "for i in range(200):\n"
        "    append_line(sys.argv[1], json.dumps({'w': sys.argv[2], 'i': i, 'pad': 'x' * 3000}))\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(target), str(w)]) for w in range(6)
    ]
    assert [p.wait() for p in procs] == [0] * 6
    lines = target.read_text().splitlines()
    assert len(lines) == 1200
    seen = {(d["w"], d["i"]) for d in map(json.loads, lines)}
    assert len(seen) == 1200


def test_append_line_adds_exactly_one_newline(tmp_path):
    target = tmp_path / "log"
    append_line(target, "a\n")
    append_line(target, "b")
    assert target.read_text() == "a\nb\n"


def test_containment(tmp_path):
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (tmp_path / "repo-evil").mkdir()
    os.symlink(tmp_path, root / "link-out")
    assert contained_path(root, "src/new.py") == (root / "src/new.py").resolve()
    for escape in [
        "../outside",
        "../repo-evil/x",
        "link-out/x",
        str(tmp_path / "repo-evil/x"),
        ".git/config",
        "src/../../x",
    ]:
        assert not is_contained(root, escape), escape
    try:
        contained_path(root, "../repo-evil/x")
    except PathEscapeError as exc:
        assert "outside" in str(exc)
    else:
        raise AssertionError("escape allowed")
