"""Cost of running a pipeline: ``codex-core start`` on 20 and on 1 trivial stages.

Measures wall time and peak RSS of ``codex-core start twenty`` (20 stages of ``true``; targets
<= 0.45 s wall and < 60 MiB peak) and of a 1-stage pipeline, with baselines taken in the same
run: a shell loop spawning ``sh -c true`` 20 times (and once), and ``python -c "import trio"``.
Derives the kernel's per-stage overhead beyond spawning the stage's shell:

    ((t_start20 - t_start1) / 19) - per-spawn cost of ``sh -c true``      (target < 5 ms)

where the per-spawn cost is (t_loop20 - t_loop1) / 19. For information it also measures the
per-spawn cost from a Python parent (Popen with a new session and piped output, as the kernel
spawns a stage) and the overhead beyond that. Prints the 20-stage run's ratio to the
``import trio`` floor (every ``start`` pays for importing trio).

    uv run --all-packages python bench/pipeline.py [--repeat N]
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _common import (
    CLI,
    PYTHON,
    compile_workspace,
    header,
    make_repo,
    measure,
    met,
    ms,
    parse_args,
    table,
)

WALL_TARGET = 0.45
RSS_TARGET_MIB = 60.0
PER_STAGE_TARGET = 0.005


def shell_loop(times: int) -> list[str]:
    return ["sh", "-c", f"i=0; while [ $i -lt {times} ]; do sh -c true; i=$((i+1)); done"]


def python_loop(times: int) -> list[str]:
    """Spawn ``sh -c true`` from Python as the kernel does: new session, output piped."""
    code = (
        "import subprocess as s\n"
        f"for _ in range({times}):\n"
        "    s.Popen('true', shell=True, start_new_session=True, stdin=s.DEVNULL, stdout=s.PIPE, stderr=s.PIPE).communicate()"
    )
    return [PYTHON, "-c", code]


def main() -> None:
    args = parse_args(__doc__, default_repeat=7)
    compile_workspace()
    with tempfile.TemporaryDirectory(prefix="codex-bench-") as tmp:
        repo = make_repo(Path(tmp), "repo", {"one": 1, "twenty": 20})
        commands = {
            "sh loop: sh -c true x1": shell_loop(1),
            "sh loop: sh -c true x20": shell_loop(20),
            "python: Popen sh -c true x1": python_loop(1),
            "python: Popen sh -c true x20": python_loop(20),
            "python -c 'import trio'": [PYTHON, "-c", "import trio"],
            "codex-core start one (1 stage)": [CLI, "start", "one", "--format", "json"],
            "codex-core start twenty (20 stages)": [CLI, "start", "twenty", "--format", "json"],
        }
        r = measure(commands, args.repeat, cwd=repo)

    loop1, loop20 = r["sh loop: sh -c true x1"]["wall"], r["sh loop: sh -c true x20"]["wall"]
    trio = r["python -c 'import trio'"]
    t1, t20 = r["codex-core start one (1 stage)"], r["codex-core start twenty (20 stages)"]
    spawn = (loop20 - loop1) / 19
    py_spawn = (
        r["python: Popen sh -c true x20"]["wall"] - r["python: Popen sh -c true x1"]["wall"]
    ) / 19
    per_stage = (t20["wall"] - t1["wall"]) / 19
    overhead = per_stage - spawn

    header("pipeline", args.repeat)
    rows = [
        [name, ms(v["wall"]), ms(v["min"]), ms(v["max"]), f"{v['rss']:.1f}"]
        for name, v in r.items()
    ]
    table(["command", "median", "min", "max", "peak RSS MiB"], rows)
    print(
        "(peak RSS cannot read below the bench process's own RSS at spawn time: Linux carries the"
    )
    print(
        " pre-exec high-water mark across exec, so the small rows show that floor, not the child)"
    )
    print()
    table(
        ["figure", "measured", "target", "verdict"],
        [
            [
                "start twenty: wall",
                ms(t20["wall"]),
                f"<= {ms(WALL_TARGET)}",
                met(t20["wall"], WALL_TARGET),
            ],
            [
                "start twenty: peak RSS",
                f"{t20['rss']:.1f} MiB",
                f"< {RSS_TARGET_MIB:.0f} MiB",
                met(t20["rss"], RSS_TARGET_MIB, strict=True),
            ],
            ["per-spawn cost of sh -c true", ms(spawn), "", "baseline"],
            ["per-spawn cost from Python (info)", ms(py_spawn), "", "info"],
            ["per-stage cost, (t20 - t1) / 19", ms(per_stage), "", "info"],
            [
                "per-stage overhead beyond spawning",
                ms(overhead),
                f"< {ms(PER_STAGE_TARGET)}",
                met(overhead, PER_STAGE_TARGET, strict=True),
            ],
            ["overhead beyond a Python spawn (info)", ms(per_stage - py_spawn), "", "info"],
            ["start twenty / import trio (wall)", f"{t20['wall'] / trio['wall']:.2f}x", "", "info"],
            ["start one / import trio (wall)", f"{t1['wall'] / trio['wall']:.2f}x", "", "info"],
            ["start twenty - import trio (wall)", ms(t20["wall"] - trio["wall"]), "", "info"],
            ["start twenty / import trio (RSS)", f"{t20['rss'] / trio['rss']:.2f}x", "", "info"],
        ],
    )


if __name__ == "__main__":
    main()
