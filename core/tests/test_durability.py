"""Crash consistency: SIGKILL the runner at random moments; manifests stay whole and resumable."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from codex_core.serialization import read_manifest
from codex_core.testing import cli_path, make_repo, run_cli, validate_manifest

KILLS = 100
STAGES = "\n".join(
    f'  {{ id = "s{i}", command = "sleep 0.03; echo {i} >> trail.txt" }},' for i in range(8)
)
WORKERS = 3
CONFIG = f"[pipelines.p]\nstages = [\n{STAGES}\n]\n"


def _kill_and_resume(repo: Path, n: int, delay: float, during_start_up: bool) -> str:
    task = f"kill-{n}"
    proc = subprocess.Popen(
        [str(cli_path()), "start", "p", "--repo", str(repo), "--task", task],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    if not during_start_up:
        # Most kills should land in the run itself, however slow start-up is on a busy machine:
        # wait until the run exists, then kill at a random instant of its stages.
        runs = repo / ".runs" / task / "cli"
        deadline = time.monotonic() + 60
        while not runs.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    runs = repo / ".runs" / task / "cli"
    if not runs.exists():
        return "killed before the run dir existed"
    [run_dir] = list(runs.iterdir())
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.exists():
        status = run_cli("status", run_dir.name, "--repo", str(repo), "--format", "json").json()
        assert status["status"] == "not-started"
        return "not-started"
    # Whatever instant the kill hit, the manifest is whole, parses and validates.
    json.loads(manifest_path.read_text())
    read_manifest(manifest_path)
    before = validate_manifest(manifest_path)
    if before["status"] == "succeeded":
        return "finished before the kill"
    token = (run_dir / ".resume-token").read_text().strip()
    resumed = run_cli(
        "resume", run_dir.name, "--token", token, "--repo", str(repo), "--format", "json"
    )
    assert resumed.returncode == 0, resumed
    after = validate_manifest(manifest_path)
    assert after["status"] == "succeeded" and after["attempt"] == 2
    assert [c["status"] for c in after["commands"]] == ["succeeded"] * 8
    return f"resumed from {before['status']}"


@pytest.mark.slow
def test_random_sigkills_never_corrupt_and_always_resume(tmp_path):
    rng = random.Random(20261123)
    repos = [make_repo(tmp_path / f"repo{w}", {"codex-core.toml": CONFIG}) for w in range(WORKERS)]

    # Calibrate: how long does a whole run take under the same load?
    def whole_run(repo: Path) -> float:
        began = time.monotonic()
        assert run_cli("start", "p", "--repo", str(repo), "--task", "calibrate").returncode == 0
        return time.monotonic() - began

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        span = max(pool.map(whole_run, repos))
    # One kill in ten anywhere in start-up (before or during the first writes); the rest at a
    # random instant after the run dir exists, over the span a whole run took.
    jobs = [
        (
            repos[n % WORKERS],
            n,
            rng.uniform(0, span) if n % 10 == 0 else rng.uniform(0, span / 2),
            n % 10 == 0,
        )
        for n in range(KILLS)
    ]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(lambda job: _kill_and_resume(*job), jobs))
    resumed = [o for o in outcomes if o.startswith("resumed")]
    # The kills must actually land mid-run often enough for the test to mean something.
    assert len(resumed) >= 30, (span, sorted(set(outcomes)))
    assert any(o == "resumed from in_progress" for o in outcomes), sorted(set(outcomes))
