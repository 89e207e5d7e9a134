"""The floor under ``codex-core start``: what any trio implementation of it must pay.

Measures, round-robin in one run, fresh interpreters doing less and less of what ``start`` does:
``python -c pass``; ``import trio``; ``import trio, click``; every third-party module that
``start`` imports (trio, click, attrs, pluggy, stevedore, tomllib); all that ``start`` imports
and loads before it makes a run (kernel, engine, every hook and guardrail plugin registered); a
minimal ``trio.run`` that spawns ``true`` through ``/bin/sh -c`` 20 times (and once) with
``trio.run_process``, each in a new session with piped output, as a stage is spawned; and
``codex-core start`` on the same 1 and 20 stages. The minimal spawner is the floor of a trio
implementation that spawns through trio (the kernel spawns on the trio thread instead, see
``codex_core.engine.process``, so its per-stage cost can go below it); the libraries and the
loaded plugins are the floor of this design.

    uv run --all-packages python bench/floor.py [--repeat N]
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
    ms,
    parse_args,
    table,
)

LIBS = "import trio, click, attrs, pluggy, stevedore, tomllib"
# Everything ``start`` imports and loads before it creates a run: the kernel, the engine and
# every hook and guardrail plugin, registered (Kernel.for_repo), in the benchmark's repo; and it
# leaves as the console script does (gc.freeze, see codex_core.cli.main), so that "start one -
# loaded" is the cost of making and finishing a run, not of the exit's last collection.
LOADED = (
    "import gc\n"
    "from pathlib import Path\n"
    "import codex_core.cli.run_cmds, codex_core.engine.runner, codex_core.launch\n"
    "from codex_core.kernel import Kernel\n"
    "Kernel.for_repo(Path.cwd())\n"
    "gc.freeze()\n"
)
SPAWN = (
    "import subprocess, trio\n"
    "async def main():\n"
    "    for _ in range({n}):\n"
    "        await trio.run_process('true', shell=True, stdin=subprocess.DEVNULL,"
    " capture_stdout=True, capture_stderr=True, start_new_session=True)\n"
    "trio.run(main)\n"
)


def main() -> None:
    args = parse_args(__doc__, default_repeat=9)
    compile_workspace()
    with tempfile.TemporaryDirectory(prefix="codex-bench-") as tmp:
        repo = make_repo(Path(tmp), "repo", {"one": 1, "twenty": 20})
        commands = {
            "python -c pass": [PYTHON, "-c", "pass"],
            "import trio": [PYTHON, "-c", "import trio"],
            "import trio, click": [PYTHON, "-c", "import trio, click"],
            "import trio, click, attrs, pluggy, stevedore, tomllib": [PYTHON, "-c", LIBS],
            "kernel, engine and plugins loaded, no run": [PYTHON, "-c", LOADED],
            "trio.run: run_process sh -c true x1": [PYTHON, "-c", SPAWN.format(n=1)],
            "trio.run: run_process sh -c true x20": [PYTHON, "-c", SPAWN.format(n=20)],
            "codex-core start one (1 stage)": [CLI, "start", "one", "--format", "json"],
            "codex-core start twenty (20 stages)": [CLI, "start", "twenty", "--format", "json"],
        }
        r = measure(commands, args.repeat, cwd=repo)

    header("floor", args.repeat)
    table(
        ["command", "median", "min", "max"],
        [[name, ms(v["wall"]), ms(v["min"]), ms(v["max"])] for name, v in r.items()],
    )
    loaded = r["kernel, engine and plugins loaded, no run"]["wall"]
    f1 = r["trio.run: run_process sh -c true x1"]["wall"]
    f20 = r["trio.run: run_process sh -c true x20"]["wall"]
    s1 = r["codex-core start one (1 stage)"]["wall"]
    s20 = r["codex-core start twenty (20 stages)"]["wall"]
    print()
    table(
        ["figure", "measured"],
        [
            ["floor: per spawn from trio, (f20 - f1) / 19", ms((f20 - f1) / 19)],
            ["start: per stage, (s20 - s1) / 19", ms((s20 - s1) / 19)],
            ["start: per stage beyond the trio floor", ms((s20 - s1 - f20 + f1) / 19)],
            ["start twenty - floor twenty (fixed kernel cost)", ms(s20 - f20)],
            ["start one - loaded (making and finishing a run)", ms(s1 - loaded)],
            ["start twenty / floor twenty", f"{s20 / f20:.2f}x"],
        ],
    )


if __name__ == "__main__":
    main()
