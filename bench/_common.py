"""Helpers shared by the benchmark scripts (standard library only; not a benchmark itself).

Every figure is the median of ``--repeat`` runs of a fresh subprocess, measured from just before
it is spawned to the moment it is reaped. Peak memory comes from ``os.wait4``: the rusage of that
one child (``ru_maxrss``, KiB on Linux; the maximum over the child and the processes it reaped),
which is ``getrusage(RUSAGE_CHILDREN)`` narrowed to a single process, so no delta is needed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKSPACE = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLI = str(Path(sys.executable).with_name("codex-core"))


def compile_workspace() -> None:
    """Byte-compile the workspace's own sources once, before anything is timed.

    This machine sets PYTHONDONTWRITEBYTECODE=1, and the workspace packages are installed
    editable (uv's .pth files point at core/src and adapters/*/src), so without this every
    ``codex-core`` start would recompile the kernel from source and the timings would measure
    the compiler. compileall writes .pyc files regardless of that variable. (Installed
    dependencies such as trio already have bytecode: uv sync with UV_COMPILE_BYTECODE=1.)
    That is ``python -m compileall -q core/src adapters/*/src``, plus the sources of the other
    editable workspace members (plugins/*, patterns, evaluation) where they exist.
    """
    patterns = ("core/src", "adapters/*/src", "plugins/*/src", "patterns/src", "evaluation/src")
    sources = [
        str(p.relative_to(WORKSPACE)) for pat in patterns for p in sorted(WORKSPACE.glob(pat))
    ]
    subprocess.run([PYTHON, "-m", "compileall", "-q", *sources], cwd=WORKSPACE, check=True)


def parse_args(
    doc: str, default_repeat: int, extra: list[tuple[str, type, object, str]] = ()
) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument(
        "--repeat",
        type=int,
        default=default_repeat,
        help=f"runs per figure, median taken (default {default_repeat})",
    )
    for flag, kind, default, help_text in extra:
        parser.add_argument(
            flag, type=kind, default=default, help=f"{help_text} (default {default})"
        )
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def run_once(
    argv: list[str], cwd: Path | str | None = None, env: dict[str, str] | None = None
) -> tuple[float, int, str]:
    """Spawn ``argv``, wait for it; returns (wall seconds, peak RSS in KiB, stdout).

    Fails loudly on a non-zero exit: a benchmark of a failing command measures nothing.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - began
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode} in {cwd}:\n{stdout}\n{stderr}")
    return wall, usage.ru_maxrss, stdout


def measure(
    commands: dict[str, list[str]],
    repeat: int,
    cwd: Path | str | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, dict[str, float]]:
    """Median wall seconds and median peak RSS (MiB) of each command over ``repeat`` runs.

    One warm-up run each (page cache, dentries), then the commands run round-robin, so drift in
    the machine's load (other jobs on a small box) hits every command alike and ratios hold.
    """
    for argv in commands.values():
        run_once(argv, cwd, env)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    rss: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, argv in commands.items():
            wall, kib, _ = run_once(argv, cwd, env)
            walls[name].append(wall)
            rss[name].append(kib / 1024)
    return {
        name: {
            "wall": statistics.median(w),
            "rss": statistics.median(rss[name]),
            "min": min(w),
            "max": max(w),
        }
        for name, w in walls.items()
    }


def make_repo(parent: Path, name: str, pipelines: dict[str, int]) -> Path:
    """A ``git init``-ed repo with a codex-core.toml holding ``pipelines`` (name -> stage count).

    Every stage is ``command = "true"``.
    """
    repo = parent / name
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    lines = []
    for pipeline, count in pipelines.items():
        stages = ", ".join(f'{{ id = "t{i}", command = "true" }}' for i in range(1, count + 1))
        lines += [f"[pipelines.{pipeline}]", f"stages = [ {stages} ]", ""]
    (repo / "codex-core.toml").write_text("\n".join(lines))
    return repo


def met(value: float, target: float, *, strict: bool = False) -> str:
    ok = value < target if strict else value <= target
    return "met" if ok else "NOT MET"


def table(headers: list[str], rows: list[list[object]]) -> None:
    """Print a plain, aligned text table."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))


def header(title: str, repeat: int) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{title}: python {sys.version.split()[0]}, {os.cpu_count()} cpus, load average {load},")
    print(f"median of {repeat} round-robin runs after 1 warm-up each")
    print()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
