"""The path sandbox: no write lands outside the root or in .git, whatever the path and
whatever is swapped in while the write happens."""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from codex_core.errors import PathEscapeError
from codex_core_guardrails import sandbox as sandbox_module
from codex_core_guardrails.sandbox import Sandbox, is_git_component, names_git_dir


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    """A root with a .git, and beside it an outside dir and a sibling sharing the root's prefix;
    symlinks from the root to each."""
    base = tmp_path / "world"
    root, outside, sibling = base / "repo", base / "outside", base / "repo-evil"
    for d in (root / ".git" / "hooks", root / "src", outside, sibling):
        d.mkdir(parents=True)
    (root / ".git" / "config").write_text("[core]\n")
    (root / "src" / "app.py").write_text("print('hi')\n")
    (outside / "target.txt").write_text("outside\n")
    links = {
        "link_out": outside, "link_in": root / "src", "link_git": root / ".git",
        "link_sibling": sibling, "file_link": outside / "target.txt",
    }  # fmt: skip
    for name, target in links.items():
        (root / name).symlink_to(target)
    (root / "src" / "deep_out").symlink_to("../../outside")
    return {"base": base, "root": root, "outside": outside, "sibling": sibling}


def snapshot(top: Path, skip: Path | None = None) -> dict[str, tuple[str, str]]:
    """Every entry under ``top`` (not following symlinks) with its kind and content."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(top):
        here = Path(dirpath)
        if skip is not None and (here == skip or skip in here.parents):
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            path = here / name
            if skip is not None and path == skip:
                continue
            if path.is_symlink():
                found[str(path)] = ("link", os.readlink(path))
            elif path.is_dir():
                found[str(path)] = ("dir", oct(path.stat().st_mode & 0o777))
            else:
                found[str(path)] = ("file", path.read_bytes().hex())
    return found


def test_writes_land_in_the_root_atomically_with_parents_created(world):
    box = Sandbox(world["root"])
    path = box.write_text("docs/adr/0001.md", "# decision\n")
    assert path == world["root"] / "docs" / "adr" / "0001.md"
    assert path.read_text() == "# decision\n"
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    box.write_bytes("docs/adr/0001.md", b"# replaced\n")
    assert path.read_bytes() == b"# replaced\n"
    assert [p.name for p in path.parent.iterdir()] == ["0001.md"]  # no temp file left behind
    assert box.write_text(str(world["root"] / "abs.txt"), "x") == world["root"] / "abs.txt"
    assert (
        box.mkdir("a/b/c") == world["root"] / "a" / "b" / "c" and (world["root"] / "a/b/c").is_dir()
    )
    assert box.resolve("src/app.py") == world["root"] / "src" / "app.py"


def test_a_rewritten_file_keeps_its_mode_unless_told(world):
    box = Sandbox(world["root"])
    script = box.write_text("run.sh", "#!/bin/sh\n", mode=0o755)
    assert oct(script.stat().st_mode & 0o777) == "0o755"
    box.write_text("run.sh", "#!/bin/sh\necho hi\n")
    assert oct(script.stat().st_mode & 0o777) == "0o755"
    box.write_text("run.sh", "x", mode=0o600)
    assert oct(script.stat().st_mode & 0o777) == "0o600"


def test_the_root_may_be_given_through_a_symlink(world, tmp_path):
    alias = tmp_path / "alias"
    alias.symlink_to(world["root"])
    box = Sandbox(alias)
    assert box.root == world["root"]
    assert box.write_text(str(alias / "via-alias.txt"), "x") == world["root"] / "via-alias.txt"


@pytest.mark.parametrize(
    "rel",
    [
        "../outside/x.txt",
        "src/../../outside/x.txt",
        "src/..",
        "..",
        "",
        ".",
        "a\x00b",
        "link_out/x.txt",
        "link_out",  # the link itself resolves outside: the kernel's check refuses it
        "link_sibling/x.txt",
        "src/deep_out/x.txt",
        "file_link",
        "link_in/x.txt",  # a symlink inside the root is still a symlink: never followed
        "link_git/config",
        ".git/config",
        ".git/hooks/pre-commit",
        ".GIT/config",
        "src/.Git/x",
        ".git./config",
        ".git /config",
        "git~1/config",
        ".g\u200cit/config",
        "\ufeff.git/config",
    ],
)
def test_escapes_and_git_are_refused(world, rel):
    before = snapshot(world["base"])
    box = Sandbox(world["root"])
    for attempt in (
        lambda: box.write_text(rel, "pwned"),
        lambda: box.write_bytes(rel, b"pwned"),
        lambda: box.mkdir(rel),
        lambda: box.remove(rel),
        lambda: box.resolve(rel),
    ):
        with pytest.raises(PathEscapeError):
            attempt()
    assert snapshot(world["base"]) == before


@pytest.mark.parametrize(
    "where", ["outside/x.txt", "repo-evil/x.txt", "repo-evil", "repo/../outside/x.txt"]
)
def test_absolute_paths_outside_the_root_are_refused_prefix_siblings_too(world, where):
    box = Sandbox(world["root"])
    with pytest.raises(PathEscapeError):
        box.write_text(str(world["base"]) + "/" + where, "pwned")
    assert not (world["sibling"] / "x.txt").exists() and not (world["outside"] / "x.txt").exists()


def test_remove_takes_files_symlinks_and_empty_dirs_only(world):
    box = Sandbox(world["root"])
    root = world["root"]
    box.write_text("tmp/a.txt", "x")
    with pytest.raises(OSError):
        box.remove("tmp")  # not empty
    box.remove("tmp/a.txt")
    box.remove("tmp")
    assert not (root / "tmp").exists()
    (root / "inner_link").symlink_to(root / "src" / "app.py")
    box.remove("inner_link")  # the link goes, its target stays
    assert not (root / "inner_link").is_symlink() and (root / "src" / "app.py").exists()
    with pytest.raises(FileNotFoundError):
        box.remove("nope.txt")
    box.remove("nope/nope.txt", missing_ok=True)


def test_git_component_spellings():
    for name in (".git", ".GIT", ".Git", ".git.", ".git ", ".git. .", "git~1", "GIT~1",
                 ".g\u200cit", "\u200d.git", ".gi\ufefft"):  # fmt: skip
        assert is_git_component(name), name
    for name in (".github", ".gitignore", "git", "x.git", ".git2", "a.git"):
        assert not is_git_component(name), name
    assert names_git_dir("./.git/hooks") and names_git_dir("a/.GIT") and names_git_dir(".g*")
    assert not names_git_dir("*") and not names_git_dir(".github/workflows/ci.yml")


def test_randomised_paths_never_escape(world):
    """A property test over generated paths (hypothesis is not installed: a seeded random walk).

    Whatever the path (``..``, absolute, prefix siblings, symlinks to outside, into the root and
    into .git, .git spellings) and whatever the operation: nothing outside the root and nothing
    in .git changes, and every accepted write lands inside the root with no symlink on its way.
    """
    rng = random.Random(20261123)
    root, base = world["root"], world["base"]
    box = Sandbox(root)
    vocabulary = [
        "a", "b", "new", "x.txt", "src", "app.py", "..", ".", "", ".git", ".GIT", ".Git.",
        "git~1", ".g\u200cit", "hooks", "config", "link_out", "link_in", "link_git",
        "link_sibling", "file_link", "deep_out",
    ]  # fmt: skip
    prefixes = ["", "", "", "./", str(root) + "/", str(base) + "/repo-evil/",
                str(base) + "/outside/", str(root) + "/../repo-evil/", "/"]  # fmt: skip
    outside_before = snapshot(base, skip=root)
    git_before = snapshot(root / ".git")
    outcomes: Counter[str] = Counter()
    for i in range(1500):
        parts = [rng.choice(vocabulary) for _ in range(rng.randint(1, 5))]
        rel = rng.choice(prefixes) + "/".join(parts)
        op = rng.choice(["write_text", "write_bytes", "mkdir", "remove", "resolve"])
        try:
            if op == "write_text":
                result = box.write_text(rel, f"text {i}")
            elif op == "write_bytes":
                result = box.write_bytes(rel, b"bytes %d" % i)
            elif op == "mkdir":
                result = box.mkdir(rel)
            elif op == "remove":
                result = box.remove(rel, missing_ok=True)
            else:
                result = box.resolve(rel)
        except PathEscapeError:
            outcomes["refused"] += 1
            continue
        except OSError:  # a file where a directory is wanted, a non-empty directory, ...
            outcomes["other error"] += 1
            continue
        outcomes[op] += 1
        if isinstance(result, Path):
            relative = result.relative_to(root)  # raises if outside
            assert not any(is_git_component(p) for p in relative.parts), rel
            for k in range(1, len(relative.parts) + 1 if op != "resolve" else len(relative.parts)):
                assert not root.joinpath(*relative.parts[:k]).is_symlink(), rel
            if op == "write_text":
                assert result.read_text() == f"text {i}"
        assert snapshot(base, skip=root) == outside_before, f"{op} {rel!r} changed the outside"
        assert snapshot(root / ".git") == git_before, f"{op} {rel!r} changed .git"
    assert outcomes["refused"] > 300, outcomes
    # Plain paths (no links, no .., no .git) always work: the sandbox is not just refusing.
    for i in range(50):
        parts = [rng.choice(["a", "b", "new"]) for _ in range(rng.randint(0, 3))]
        rel = "/".join([f"fresh{i}", *parts, "f.txt"])
        assert box.write_text(rel, "ok").read_text() == "ok"


def test_a_symlink_swapped_in_during_writes_never_lets_one_out(world, monkeypatch):
    """Another thread keeps replacing ``sub`` by a symlink to outside and back while writes
    happen. The up-front ``contained_path`` check is switched off here, so only the descriptor
    walk (``O_NOFOLLOW`` at every component) stands between the writes and the outside."""
    monkeypatch.setattr(sandbox_module, "contained_path", lambda root, rel: Path(root, rel))
    root, outside = world["root"], world["outside"]
    (root / "sub").mkdir()
    outside_before = snapshot(outside)
    box = Sandbox(root)
    stop = threading.Event()
    swaps = Counter()

    def swapper() -> None:
        n = 0
        while not stop.is_set():
            hold = root / f"hold{n}"
            n += 1
            for step in (
                lambda hold=hold: os.rename(root / "sub", hold),
                lambda: os.symlink(outside, root / "sub"),
                lambda: os.unlink(root / "sub") if (root / "sub").is_symlink() else None,
                lambda hold=hold: os.rename(hold, root / "sub"),
            ):
                try:
                    step()
                except OSError:
                    pass  # the writer made a directory there meanwhile: go on swapping
            swaps["cycles"] += 1

    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    thread = threading.Thread(target=swapper)
    thread.start()
    outcomes: Counter[str] = Counter()
    try:
        deadline = time.monotonic() + 1.5
        i = 0
        while time.monotonic() < deadline or not (outcomes["written"] and outcomes["refused"]):
            rel = ("sub/f.txt", f"sub/d{i % 3}/g.txt", "sub/f.txt")[i % 3]
            i += 1
            try:
                box.write_text(rel, f"write {i}")
                outcomes["written"] += 1
            except PathEscapeError:
                outcomes["refused"] += 1
            except OSError:
                outcomes["vanished"] += 1  # a directory renamed away mid-walk
            if time.monotonic() > deadline + 10:
                break
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(old_interval)
    assert snapshot(outside) == outside_before, "a write landed outside the root"
    assert outcomes["written"] and outcomes["refused"] and swaps["cycles"] > 10, (outcomes, swaps)


def test_readers_see_the_old_file_or_the_new_one(world):
    box = Sandbox(world["root"])
    old, new = b"a" * 300_000, b"b" * 200_000
    box.write_bytes("data.bin", old)
    seen: set[bytes] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            data = (world["root"] / "data.bin").read_bytes()
            seen.add(data[:1] + b"%d" % len(data) + (b"" if len(set(data)) == 1 else b" mixed"))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(60):
            box.write_bytes("data.bin", new if i % 2 == 0 else old)
    finally:
        stop.set()
        thread.join()
    assert seen <= {b"a300000", b"b200000"}, seen
