"""Startup cost of the commands that must stay light: ``--version`` and ``status``.

Measures the wall time of ``codex-core --version`` (target <= 0.15 s) and of
``codex-core status RUN --format json`` on a finished run (target <= 0.25 s), against baselines
taken in the same run with the same interpreter: ``python -c pass``, ``python -c "import click"``
and ``python -c "import trio"``. Then checks, with ``-X importtime``, that ``--version``,
``status``, ``runs`` and ``plugins`` import none of trio, libcst, mcp, agents (``start`` is shown
as a control: it must import trio).

    uv run --all-packages python bench/startup.py [--repeat N]
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
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
    run_once,
    table,
)

HEAVY = ("trio", "libcst", "mcp", "agents")
TARGETS = {"--version": 0.15, "status": 0.25}


def imported_modules(argv: list[str], cwd: Path) -> set[str]:
    """Top-level names of every module ``argv`` imports (PYTHONPROFILEIMPORTTIME = -X importtime)."""
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            if "self [us]" not in line:  # skip the header line
                names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def main() -> None:
    args = parse_args(__doc__, default_repeat=15)
    compile_workspace()
    with tempfile.TemporaryDirectory(prefix="codex-bench-") as tmp:
        repo = make_repo(Path(tmp), "repo", {"one": 1})
        _, _, out = run_once([CLI, "start", "one", "--format", "json"], cwd=repo)
        run_id = json.loads(out)["run_id"]

        commands = {
            "python -c pass": [PYTHON, "-c", "pass"],
            "python -c 'import click'": [PYTHON, "-c", "import click"],
            "python -c 'import trio'": [PYTHON, "-c", "import trio"],
            "codex-core --version": [CLI, "--version"],
            "codex-core status RUN --format json": [CLI, "status", run_id, "--format", "json"],
        }
        results = measure(commands, args.repeat, cwd=repo)

        header("startup", args.repeat)
        floor, trio = results["python -c pass"]["wall"], results["python -c 'import trio'"]["wall"]
        rows = []
        for name, r in results.items():
            target = next((t for key, t in TARGETS.items() if key in name), None)
            verdict = f"<= {target:.2f} s: {met(r['wall'], target)}" if target else "baseline"
            rows.append(
                [
                    name,
                    ms(r["wall"]),
                    ms(r["min"]),
                    ms(r["max"]),
                    f"{r['wall'] / floor:.2f}x",
                    f"{r['wall'] / trio:.2f}x",
                    verdict,
                ]
            )
        table(["command", "median", "min", "max", "/ -c pass", "/ import trio", "target"], rows)

        print()
        print("heavy imports (-X importtime), must all be 'no' except in the control row:")
        probes = {
            "--version": [CLI, "--version"],
            "status": [CLI, "status", run_id, "--format", "json"],
            "runs": [CLI, "runs", "--format", "json"],
            "plugins": [CLI, "plugins", "--format", "json"],
            "start (control)": [CLI, "start", "one", "--format", "json"],
        }
        rows = []
        for name, argv in probes.items():
            seen = imported_modules(argv, repo)
            rows.append([name, *("yes" if m in seen else "no" for m in HEAVY)])
        table(["command", *HEAVY], rows)
        absent = [m for m in HEAVY if importlib.util.find_spec(m) is None]
        if absent:
            print(f"(not installed in this environment, so 'no' is vacuous: {', '.join(absent)})")


if __name__ == "__main__":
    main()
