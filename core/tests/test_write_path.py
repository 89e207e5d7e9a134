"""The run's write path: the cattrs-free serialiser and the background manifest writer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from codex_core import atomic
from codex_core.engine.writer import ManifestWriter
from codex_core.model import (
    Approval,
    ChildRun,
    CommandRecord,
    GuardrailStatus,
    Manifest,
    OverrideRequest,
    ResumeEvent,
)
from codex_core.pipeline import Pipeline, StageSpec
from codex_core.serialization import _converter, manifest_from_dict, unstructure
from codex_core.testing import make_repo


def _rich_manifest() -> Manifest:
    record = CommandRecord(index=1, id="lint", title="Lint", command="ruff check .", exit_code=0)
    record.extra = {"reason": "command-failed", "vetoes": [{"reason": "no", "guardrail": "g"}]}
    m = Manifest(
        task_id="t",
        run_id="r",
        pipeline_id="p",
        resume_events=[ResumeEvent(timestamp="now", actor="me", attempt=2, extra={"x": [1]})],
        approvals=[
            Approval(
                actor="a",
                approver="b",
                reason="c",
                timestamp="now",
                findings=[{"path": "x.py"}, "plain", 3, GuardrailStatus(total=1)],
            )
        ],
        overrides=[
            OverrideRequest(guardrail="g", reason="r", approver="b", actor="a", timestamp="t")
        ],
        guardrail_status=GuardrailStatus(present=True, total=2, recommendation="ok"),
        child_runs=[ChildRun(run_id="c", pipeline_id="q", status="succeeded")],
        commands=[record, CommandRecord(index=2, id="test", duration_seconds=0.25)],
    )
    m.extra = {"pipeline_source": "config", "runner_pid": 12, "nested": {"a": [1, 2.5, None]}}
    return m


def test_unstructure_matches_the_cattrs_converter():
    manifest = _rich_manifest()
    assert unstructure(manifest) == _converter().unstructure(manifest)
    pipeline = Pipeline(
        id="p",
        stages=(
            StageSpec(id="a", command="true", env={"K": "v"}, timeout=3.0),
            StageSpec(id="b", kind="role", options={"role": "builder", "n": [1, {"k": 2}]}),
        ),
        title="P",
    )
    assert json.dumps(unstructure(pipeline)) == json.dumps(_converter().unstructure(pipeline))
    # Unknown fields survive a round trip, and a field wins over an extra of the same name.
    manifest.extra["status"] = "shadowed"
    data = unstructure(manifest)
    assert data["status"] == "queued"
    again = manifest_from_dict(json.loads(json.dumps(data)), source="test")
    assert unstructure(again) == data


def test_start_imports_no_cattrs(tmp_path):
    repo = make_repo(
        tmp_path / "repo", {"codex-core.toml": '[pipelines.p]\nstages = [{ id = "a", command = "true" }]\n'}
    )  # fmt: skip
    code = (
        "import sys\n"
        "from codex_core.cli import cli\n"
        "code = cli.main(args=['start', 'p', '--repo', sys.argv[1]], standalone_mode=False)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'cattrs'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(repo)], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_writer_writes_in_order_and_the_newest_wins(tmp_path, monkeypatch):
    target = tmp_path / "manifest.json"
    seen: list[str] = []
    gate = threading.Event()
    real_write = atomic.write_atomic

    def gated_write(path, text, **kwargs):
        gate.wait(5)  # hold the first write so that later ones queue up behind it
        seen.append(text)
        real_write(path, text, **kwargs)

    monkeypatch.setattr(atomic, "write_atomic", gated_write)
    writer = ManifestWriter(target)
    writer.submit("one")
    for text in ("two", "three", "four"):
        writer.submit(text)
    gate.set()
    writer.flush()
    assert target.read_text() == "four"
    assert seen[-1] == "four" and len(seen) <= 4
    assert seen == sorted(seen, key=["one", "two", "three", "four"].index)
    writer.close()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_writer_reports_a_failed_write_on_the_next_call(tmp_path):
    writer = ManifestWriter(tmp_path / "missing-dir" / "manifest.json")
    writer.submit("x")
    with pytest.raises(FileNotFoundError):
        writer.flush()
    writer.flush()  # reported once
    writer.close()


def test_supersede_drops_the_pending_write_and_waits_for_the_one_in_flight(tmp_path, monkeypatch):
    target = tmp_path / "m.json"
    started, gate = threading.Event(), threading.Event()
    real_write = atomic.write_atomic

    def slow_write(path, text, **kwargs):
        started.set()
        gate.wait(5)
        real_write(path, text, **kwargs)

    monkeypatch.setattr(atomic, "write_atomic", slow_write)
    writer = ManifestWriter(target)
    writer.submit("in flight")
    assert started.wait(5)
    writer.submit("pending")
    threading.Timer(0.05, gate.set).start()
    writer.supersede()
    assert target.read_text() == "in flight"  # landed before supersede returned; "pending" never
    writer.close()
    assert target.read_text() == "in flight"


def test_close_drains_pending_writes(tmp_path):
    target = Path(tmp_path / "m.json")
    writer = ManifestWriter(target)
    writer.submit("a")
    writer.submit("b")
    writer.close()
    assert target.read_text() == "b"
    with pytest.raises(RuntimeError):
        writer.submit("c")


def test_atomic_batch_replaces_every_file_only_after_all_are_synced(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a").write_text("old a")
    batch = atomic.AtomicBatch()
    batch.add(tmp_path / "a", "new a")
    batch.add(tmp_path / "sub" / "b", "new b", mode=0o600, sync_directory=False)
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    assert (tmp_path / "a").read_text() == "old a"  # nothing replaced before commit
    batch.commit(sync_first=[tmp_path])
    assert (tmp_path / "a").read_text() == "new a"
    assert (tmp_path / "sub" / "b").read_text() == "new b"
    assert (tmp_path / "sub" / "b").stat().st_mode & 0o777 == 0o600
    assert len(synced) == 2 + 1 + 1  # two temp files and sync_first, then a's directory
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_atomic_batch_that_fails_to_sync_replaces_nothing(tmp_path, monkeypatch):
    (tmp_path / "a").write_text("old a")
    batch = atomic.AtomicBatch()
    batch.add(tmp_path / "a", "new a")
    batch.add(tmp_path / "b", "new b")

    def failing_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        batch.commit()
    assert (tmp_path / "a").read_text() == "old a"
    assert not (tmp_path / "b").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


def _recorder(tmp_path):
    from codex_core.engine.recorder import RunRecorder
    from codex_core.store import RunPaths

    run_dir = tmp_path / ".runs" / "t" / "cli" / "r"
    run_dir.mkdir(parents=True)
    manifest = Manifest(task_id="t", run_id="r", pipeline_id="p", status="succeeded")
    return RunRecorder(RunPaths(tmp_path, "t", "r", run_dir), manifest), run_dir


def test_final_manifest_and_metrics_line_are_synced_together(tmp_path, monkeypatch):
    recorder, run_dir = _recorder(tmp_path)
    recorder.save()  # an intermediate write, in the background
    recorder.record_metrics(1.5)
    batches: list[int] = []
    real = atomic.fsync_together
    monkeypatch.setattr(atomic, "fsync_together", lambda fds: (batches.append(len(fds)), real(fds)))
    recorder.save(final=True)
    recorder.close()
    saved = json.loads((run_dir / "manifest.json").read_text())
    assert saved["metrics_recorded"] is True
    assert batches[0] == 2  # the manifest's temp copy and the metrics file, at once
    [line] = (tmp_path / ".runs" / "t" / "metrics.jsonl").read_text().splitlines()
    assert json.loads(line)["run_id"] == "r"


def test_a_metrics_line_that_cannot_be_synced_is_not_claimed(tmp_path, monkeypatch):
    recorder, run_dir = _recorder(tmp_path)
    recorder.record_metrics(1.5)

    def failing(fds):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(atomic, "fsync_together", failing)
    recorder.save(final=True)
    recorder.close()
    assert json.loads((run_dir / "manifest.json").read_text())["metrics_recorded"] is False
    assert "could not record metrics" in (run_dir / "runner.log").read_text()
