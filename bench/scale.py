"""Does a run's cost grow with the number of runs already stored? (It must not.)

Builds, in-process, a repo whose task ``bench`` holds 10,000 finished runs, and a fresh repo
holding 1 (each made by ``RunStore.create`` plus a minimal finished manifest). Then measures in
each, round-robin:

(a) ``codex-core status <id> --format json`` (target: the 10,000-run time within 1.2x the 1-run
    time; the index makes the lookup O(1));
(b) ``codex-core start one --task bench`` (a 1-stage pipeline; target: the same cost after 10,000
    runs as after 1, the ratio is printed);
and, for information only, ``codex-core runs --format json`` (listing may be O(n)).

    uv run --all-packages python bench/scale.py [--repeat N] [--runs N]
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from _common import CLI, compile_workspace, header, make_repo, measure, met, ms, parse_args, table

TASK = "bench"
STATUS_RATIO_TARGET = 1.2


def populate(repo: Path, count: int) -> list[str]:
    """Store ``count`` finished 1-stage runs in task ``bench``; returns their ids, oldest first."""
    from codex_core import clock
    from codex_core.model import CommandRecord, Manifest
    from codex_core.serialization import manifest_to_json
    from codex_core.store import RunStore

    # A fixture, not a measurement: skip the fsyncs RunStore.create makes (six per run), which
    # would turn 10,000 runs into minutes of waiting on the disk. Only this process is patched.
    real_fsync, os.fsync = os.fsync, lambda fd: None
    try:
        store, ids, metrics = RunStore(repo), [], []
        for _ in range(count):
            paths = store.create(TASK)
            now = clock.now()
            log = paths.rel(paths.commands_dir / "01-t1.log")
            manifest = Manifest(
                task_id=TASK, run_id=paths.run_id, pipeline_id="one", status="succeeded",
                started_at=now, updated_at=now, completed_at=now, heartbeat_at=now,
                artifact_root=paths.rel(paths.dir), log_path=paths.rel(paths.runner_log),
                commands=[CommandRecord(
                    index=1, id="t1", title="t1", command="true", status="succeeded", started_at=now,
                    completed_at=now, exit_code=0, summary="exit 0", log_path=log, duration_seconds=0.003, attempts=1,
                )],
                summary="Succeeded: 1 succeeded", metrics_recorded=True,
            )  # fmt: skip
            paths.manifest.write_text(manifest_to_json(manifest))
            (paths.dir / ".runner.lock").write_text("0\n")
            metrics.append(json.dumps({
                "run_id": paths.run_id, "task_id": TASK, "pipeline_id": "one", "attempt": 1, "status": "succeeded",
                "duration_seconds": 0.01, "commands_passed": 1, "commands_failed": 0, "guardrails_present": False,
                "recorded_at": now,
            }))  # fmt: skip
            ids.append(paths.run_id)
        store.metrics_path(TASK).write_text("".join(line + "\n" for line in metrics))
    finally:
        os.fsync = real_fsync
    return ids


def main() -> None:
    args = parse_args(
        __doc__, default_repeat=9, extra=[("--runs", int, 10_000, "runs in the big repo")]
    )
    compile_workspace()
    with tempfile.TemporaryDirectory(prefix="codex-bench-") as tmp:
        small = make_repo(Path(tmp), "one-run", {"one": 1})
        big = make_repo(Path(tmp), "many-runs", {"one": 1})
        began = time.perf_counter()
        small_ids, big_ids = populate(small, 1), populate(big, args.runs)
        fixture_seconds = time.perf_counter() - began
        n = f"{args.runs:,}"

        status = measure({
            "1": [CLI, "status", small_ids[0], "--format", "json", "--repo", str(small)],
            n: [CLI, "status", big_ids[len(big_ids) // 2], "--format", "json", "--repo", str(big)],
        }, args.repeat)  # fmt: skip
        start = measure({
            "1": [CLI, "start", "one", "--task", TASK, "--format", "json", "--repo", str(small)],
            n: [CLI, "start", "one", "--task", TASK, "--format", "json", "--repo", str(big)],
        }, args.repeat)  # fmt: skip
        listing_repeat = max(1, min(args.repeat, 3))
        listing = measure({
            "1": [CLI, "runs", "--format", "json", "--repo", str(small)],
            n: [CLI, "runs", "--format", "json", "--repo", str(big)],
        }, listing_repeat)  # fmt: skip

    header("scale", args.repeat)
    print(
        f"(fixture: {args.runs:,} runs stored in-process in {fixture_seconds:.1f} s, not measured)"
    )
    print()
    rows = []
    for label, r, target in (
        ("(a) status RUN --format json", status, STATUS_RATIO_TARGET),
        ("(b) start one (1 stage)", start, 1.0),
        (f"runs --format json (info, median of {listing_repeat})", listing, None),
    ):
        ratio = r[n]["wall"] / r["1"]["wall"]
        if target is None:
            verdict = "O(n) allowed"
        elif target == 1.0:  # "the same cost": judged with the status benchmark's tolerance
            verdict = f"~1.00x (<= {STATUS_RATIO_TARGET}x): {met(ratio, STATUS_RATIO_TARGET)}"
        else:
            verdict = f"<= {target}x: {met(ratio, target)}"
        rows.append([label, ms(r["1"]["wall"]), ms(r[n]["wall"]), f"{ratio:.2f}x", verdict])
    table(["command", "after 1 run", f"after {n} runs", "ratio", "target"], rows)


if __name__ == "__main__":
    main()
