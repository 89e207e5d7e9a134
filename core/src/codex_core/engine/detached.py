"""The entry point of a detached runner: ``python -m codex_core.engine.detached REPO RUN LOCKFD``.

``start --detach`` and ``resume --detach`` prepare the run (queued manifest, token, lock) in the
foreground process, then hand the locked descriptor to this process, which keeps the lock for the
run's life and executes it. Its stdout and stderr go to the run's ``runner.log``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import trio

from ..kernel import Kernel
from ..launch import PreparedRun, load_pipeline_snapshot
from ..runlock import RunnerLock
from ..serialization import read_manifest
from ..store import RunStore
from .runner import execute


def main(argv: list[str]) -> int:
    repo, run_id, fd = Path(argv[0]), argv[1], int(argv[2])
    lock = RunnerLock.adopt(fd)
    kernel = Kernel.for_repo(repo)
    paths = RunStore(repo).locate(run_id)
    prepared = PreparedRun(
        kernel, paths, read_manifest(paths.manifest), load_pipeline_snapshot(paths), lock
    )
    manifest = trio.run(lambda: execute(prepared, handle_signals=True))
    return 0 if manifest.status == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
