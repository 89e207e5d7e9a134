"""The engine, driven in-process through the public API (real subprocesses, real repos)."""

from __future__ import annotations

import json
import time

import trio
from codex_core import StageOutcome, Veto, hookimpl, run_pipeline
from codex_core.kernel import Kernel
from codex_core.testing import validate_manifest
from kernel_helpers import events, process_alive, repo_with_config


async def test_fail_fast_leaves_later_stages_pending(tmp_path):
    repo = repo_with_config(tmp_path, """
        [pipelines.p]
        stages = [
          { id = "one", command = "echo one" },
          { id = "two", command = "echo broken >&2; exit 4" },
          { id = "three", command = "echo never" },
        ]
    """)  # fmt: skip
    result = await run_pipeline(repo, "p")
    data = validate_manifest(result.manifest_path)
    assert result.status == "failed"
    assert data["status_detail"] == "stage two failed (command-failed)"
    assert [c["status"] for c in data["commands"]] == ["succeeded", "failed", "pending"]
    two = data["commands"][1]
    assert two["exit_code"] == 4
    error = json.loads((repo / two["error_file"]).read_text())
    assert error["reason"] == "command-failed"
    assert (
        error["command_index"] == 2
        and error["command_id"] == "two"
        and error["command"].startswith("echo broken")
    )
    assert error["details"]["exit_code"] == 4
    assert "broken" in error["details"]["stderr_tail"]
    assert set(error) == {
        "run_id",
        "task_id",
        "command_index",
        "command_id",
        "command",
        "reason",
        "details",
        "created_at",
    }
    assert not (
        repo / data["commands"][2]["log_path"]
        if data["commands"][2]["log_path"]
        else repo / "missing"
    ).exists()


async def test_allowed_failure_is_skipped_with_artifact_and_run_goes_on(tmp_path):
    repo = repo_with_config(tmp_path, """
        [pipelines.p]
        stages = [
          { id = "flaky", command = "exit 3", allow_failure = true },
          { id = "after", command = "true" },
        ]
    """)  # fmt: skip
    result = await run_pipeline(repo, "p")
    data = validate_manifest(result.manifest_path)
    assert result.status == "succeeded"
    flaky = data["commands"][0]
    assert (flaky["status"], flaky["skip_reason"], flaky["exit_code"]) == (
        "skipped",
        "allowed-failure",
        3,
    )
    assert json.loads((repo / flaky["error_file"]).read_text())["reason"] == "command-failed"
    assert data["commands"][1]["status"] == "succeeded"


async def test_stderr_tail_is_truncated_at_8_kib(tmp_path):
    repo = repo_with_config(tmp_path, """
        [pipelines.p]
        stages = [{ id = "loud", command = "python3 -c \\"import sys; sys.stderr.write('x' * 20000 + 'END')\\"; exit 1" }]
    """)  # fmt: skip
    result = await run_pipeline(repo, "p")
    error = json.loads((repo / result.manifest.commands[0].error_file).read_text())
    assert error["details"]["stderr_truncated"] is True
    assert len(error["details"]["stderr_tail"]) == 8192
    assert error["details"]["stderr_tail"].endswith("END")


async def test_timeout_kills_the_whole_process_group(tmp_path):
    pidfile = tmp_path / "grandchild.pid"
    repo = repo_with_config(tmp_path, f"""
        [pipelines.p]
        stages = [{{ id = "hang", command = "sleep 300 & echo $! > {pidfile}; wait", timeout = 1 }}]
    """)  # fmt: skip
    started = time.monotonic()
    result = await run_pipeline(repo, "p")
    assert time.monotonic() - started < 10
    record = result.manifest.commands[0]
    assert (result.status, record.status) == ("failed", "failed")
    assert json.loads((repo / record.error_file).read_text())["reason"] == "timed-out"
    await trio.sleep(0.2)
    assert not process_alive(int(pidfile.read_text()))


async def test_a_finished_command_leaves_no_background_process(tmp_path):
    pidfile = tmp_path / "bg.pid"
    repo = repo_with_config(tmp_path, f"""
        [pipelines.p]
        stages = [{{ id = "bg", command = "sleep 300 > /dev/null 2>&1 & echo $! > {pidfile}" }}]
    """)  # fmt: skip
    result = await run_pipeline(repo, "p")
    assert result.status == "succeeded"
    await trio.sleep(0.2)
    assert not process_alive(int(pidfile.read_text()))


async def test_subpipeline_starts_a_child_run(tmp_path):
    repo = repo_with_config(tmp_path, """
        [pipelines.parent]
        stages = [{ id = "child", kind = "subpipeline", pipeline = "inner" }]
        [pipelines.inner]
        stages = [{ id = "a", command = "true" }, { id = "b", command = "exit 2" }]
    """)  # fmt: skip
    result = await run_pipeline(repo, "parent")
    parent = validate_manifest(result.manifest_path)
    assert parent["status"] == "failed"
    [child_entry] = parent["child_runs"]
    assert parent["commands"][0]["sub_run_id"] == child_entry["run_id"]
    child = validate_manifest(repo / child_entry["manifest"])
    assert child["parent_run_id"] == parent["run_id"]
    assert child["status"] == "failed" and child_entry["status"] == "failed"
    assert child["task_id"] == parent["task_id"]


async def test_heartbeat_refreshes_during_a_long_stage(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEX_CORE_HEARTBEAT_INTERVAL", "0.1")
    repo = repo_with_config(tmp_path, """
        [pipelines.p]
        stages = [{ id = "slow", command = "sleep 1.2" }]
    """)  # fmt: skip
    kernel = Kernel.for_repo(repo)
    beats: list[str] = []

    async def watch(run_dir_holder):
        while not run_dir_holder:
            await trio.sleep(0.01)
        heartbeat = run_dir_holder[0] / ".heartbeat"
        for _ in range(10):
            await trio.sleep(0.1)
            if heartbeat.exists():
                beats.append(heartbeat.read_text())

    holder: list = []

    class Spy:
        @hookimpl
        def codex_run_started(self, manifest, run_dir):
            holder.append(run_dir)

    kernel.register(Spy())
    async with trio.open_nursery() as nursery:
        nursery.start_soon(watch, holder)
        result = await run_pipeline(repo, "p", kernel=kernel)
    assert result.status == "succeeded"
    assert len(set(beats)) >= 5, beats


async def test_every_veto_is_recorded_and_blocks(tmp_path):
    repo = repo_with_config(tmp_path, """
        [pipelines.p]
        stages = [{ id = "push", command = "./deploy.sh --prod" }, { id = "after", command = "true" }]
    """)  # fmt: skip

    class NoForce:
        @hookimpl
        def codex_guardrail_vote(self, action):
            if "--prod" in (action.command or ""):
                return Veto(reason="no production deploys from here", rule="no-prod")

    class Quiet:
        @hookimpl
        def codex_guardrail_vote(self, action):
            return None

    class Broken:
        @hookimpl
        def codex_guardrail_vote(self, action):
            raise RuntimeError("policy file unreadable")

    kernel = Kernel.for_repo(repo)
    for plugin in (NoForce(), Quiet(), Broken()):
        kernel.register(plugin)
    result = await run_pipeline(repo, "p", kernel=kernel)
    record = result.manifest.commands[0]
    assert (result.status, record.status) == ("failed", "failed")
    error = json.loads((repo / record.error_file).read_text())
    assert error["reason"] == "policy-denied"
    reasons = sorted(v["reason"] for v in error["details"]["vetoes"])
    assert reasons == [
        "guardrail raised RuntimeError: policy file unreadable",
        "no production deploys from here",
    ]
    veto_events = [e for e in events(result.artifact_root) if e["event"] == "guardrail-veto"]
    assert len(veto_events) == 1 and len(veto_events[0]["vetoes"]) == 2


async def test_redaction_masks_secrets_in_logs_and_artifacts(tmp_path):
    repo = repo_with_config(tmp_path, """
        [pipelines.p]
        stages = [{ id = "leak", command = "echo token=sk-abcdefghijklmnop1234; echo key=sk-zyxwvutsrqponmlk9876 >&2; exit 1" }]
    """)  # fmt: skip

    class Secrets:
        @hookimpl
        def codex_redaction_patterns(self, config):
            return [r"sk-[A-Za-z0-9]{16,}"]

    kernel = Kernel.for_repo(repo)
    kernel.register(Secrets())
    result = await run_pipeline(repo, "p", kernel=kernel)
    run_dir = result.artifact_root
    everything = "".join(
        p.read_text() for p in run_dir.rglob("*") if p.is_file() and p.name != "pipeline.json"
    )
    assert (
        oct((run_dir / "pipeline.json").stat().st_mode & 0o777) == "0o600"
    )  # the private resume snapshot
    assert (
        "sk-abcdefghijklmnop1234" not in everything and "sk-zyxwvutsrqponmlk9876" not in everything
    )
    assert "token=[REDACTED]" in (run_dir / "commands" / "01-leak.log").read_text()
    assert "key=[REDACTED]" in (run_dir / "errors" / "01-leak.json").read_text()


async def test_a_crashing_stage_kind_fails_its_stage_not_the_runner(tmp_path):
    repo = repo_with_config(tmp_path, """
        [pipelines.p]
        stages = [{ id = "boom", kind = "explode" }]
    """)  # fmt: skip

    class Explode:
        async def run(self, ctx):
            raise ValueError("kaboom")

    kernel = Kernel.for_repo(repo)
    kernel.add_extension("codex_core.stages", "explode", Explode())
    result = await run_pipeline(repo, "p", kernel=kernel)
    error = json.loads((repo / result.manifest.commands[0].error_file).read_text())
    assert result.status == "failed"
    assert error["reason"] == "stage-error" and "kaboom" in error["details"]["summary"]


async def test_a_stage_kind_plugin_gets_its_options_and_can_log(tmp_path):
    repo = repo_with_config(tmp_path, """
        [pipelines.p]
        stages = [{ id = "greet", kind = "shout", word = "hello" }]
    """)  # fmt: skip

    class Shout:
        async def run(self, ctx):
            ctx.log(ctx.spec.options["word"].upper() + "\n")
            return StageOutcome("succeeded", summary="shouted")

    kernel = Kernel.for_repo(repo)
    kernel.add_extension("codex_core.stages", "shout", Shout())
    result = await run_pipeline(repo, "p", kernel=kernel)
    assert result.status == "succeeded"
    assert result.manifest.commands[0].summary == "shouted"
    assert (result.artifact_root / "commands" / "01-greet.log").read_text() == "HELLO\n"


async def test_lifecycle_hooks_fire_in_order(tmp_path):
    repo = repo_with_config(tmp_path, """
        [pipelines.p]
        stages = [{ id = "a", command = "true" }, { id = "b", command = "true" }]
    """)  # fmt: skip
    calls: list[str] = []

    class Spy:
        @hookimpl
        def codex_run_started(self, manifest, run_dir):
            calls.append(f"run-started:{manifest.status}")

        @hookimpl
        def codex_stage_started(self, manifest, record):
            calls.append(f"stage-started:{record.id}:{record.status}")

        @hookimpl
        def codex_stage_finished(self, manifest, record):
            calls.append(f"stage-finished:{record.id}:{record.status}")

        @hookimpl
        def codex_run_finished(self, manifest, run_dir):
            calls.append(f"run-finished:{manifest.status}")

    kernel = Kernel.for_repo(repo)
    kernel.register(Spy())
    await run_pipeline(repo, "p", kernel=kernel)
    assert calls == [
        "run-started:in_progress",
        "stage-started:a:running", "stage-finished:a:succeeded",
        "stage-started:b:running", "stage-finished:b:succeeded",
        "run-finished:succeeded",
    ]  # fmt: skip


async def test_events_record_the_run_as_it_happens(tmp_path):
    repo = repo_with_config(tmp_path, """
        [pipelines.p]
        stages = [{ id = "a", command = "true" }]
    """)  # fmt: skip
    result = await run_pipeline(repo, "p")
    names = [e["event"] for e in events(result.artifact_root)]
    assert names == ["run-queued", "run-started", "stage-started", "stage-finished", "run-finished"]
    metrics = (repo / ".runs" / "default" / "metrics.jsonl").read_text().splitlines()
    assert len(metrics) == 1
    line = json.loads(metrics[0])
    assert {k: line[k] for k in ("run_id", "attempt", "status", "commands_passed", "commands_failed", "guardrails_present")} == {
        "run_id": result.run_id, "attempt": 1, "status": "succeeded", "commands_passed": 1, "commands_failed": 0,
        "guardrails_present": False,
    }  # fmt: skip
    assert result.manifest.metrics_recorded is True
    assert (repo / ".runs" / ".gitignore").read_text() == "*\n"


async def test_stages_do_not_inherit_codex_cores_own_virtualenv(tmp_path, monkeypatch):
    import sys
    from pathlib import Path

    own_bin = str(Path(sys.prefix) / "bin")
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    monkeypatch.setenv("PATH", own_bin + ":" + "/usr/bin:/bin")
    repo = repo_with_config(tmp_path, """
        [pipelines.p]
        stages = [{ id = "env", command = "echo venv=${VIRTUAL_ENV:-none}; echo path=$PATH" }]
    """)  # fmt: skip
    result = await run_pipeline(repo, "p")
    log = (result.artifact_root / "commands" / "01-env.log").read_text()
    assert "venv=none" in log
    assert own_bin not in log and "path=/usr/bin:/bin" in log


async def test_a_crashing_adapter_is_reported_not_a_crash(tmp_path):
    from codex_core.planning import resolve

    repo = repo_with_config(tmp_path, "", {"setup.py": ""})

    class Crashes:
        def matches(self, repo):
            raise OSError("cannot read setup.cfg")

        def stages(self, repo):
            return []

    kernel = Kernel.for_repo(repo)
    kernel.load_namespace("codex_core.adapters")
    kernel.add_extension("codex_core.adapters", "zz-crash", Crashes())
    pipeline = resolve(kernel, "diagnostics")  # the other adapters still plan the run
    assert "zz-crash" not in pipeline.source and {s.source for s in pipeline.stages} >= {"python"}
    [failure] = [f for f in kernel.failures if f.name == "zz-crash"]
    assert failure.error == "OSError: cannot read setup.cfg"


async def test_a_stage_kind_adds_fields_to_its_record_but_cannot_overwrite(tmp_path):
    repo = repo_with_config(tmp_path, """
        [pipelines.p]
        stages = [{ id = "x", kind = "tagger" }]
    """)  # fmt: skip

    class Tagger:
        async def run(self, ctx):
            return StageOutcome("succeeded", record={"tools_sha256": "abc", "status": "hijacked"})

    kernel = Kernel.for_repo(repo)
    kernel.add_extension("codex_core.stages", "tagger", Tagger())
    result = await run_pipeline(repo, "p", kernel=kernel)
    data = validate_manifest(result.manifest_path)
    assert data["commands"][0]["tools_sha256"] == "abc"
    assert data["commands"][0]["status"] == "succeeded"


async def test_a_child_run_in_a_git_worktree_is_recorded_in_the_main_repo(tmp_path):
    import subprocess

    repo = repo_with_config(tmp_path, """
        [pipelines.p]
        stages = [{ id = "in-tree", kind = "worktree-child" }]
        [pipelines.inner]
        stages = [{ id = "touch", command = "pwd > where.txt" }]
    """)  # fmt: skip
    worktree = tmp_path / "wt"
    subprocess.run(
        ["git", "-C", str(repo), "worktree", "add", "-q", "--detach", str(worktree)], check=True
    )

    class WorktreeChild:
        async def run(self, ctx):
            child = await ctx.start_child_run("inner", repo=worktree)
            return StageOutcome(
                "succeeded" if child.status == "succeeded" else "failed", sub_run_id=child.run_id
            )

    kernel = Kernel.for_repo(repo)
    kernel.add_extension("codex_core.stages", "worktree-child", WorktreeChild())
    result = await run_pipeline(repo, "p", kernel=kernel)
    assert result.status == "succeeded"
    [child] = result.manifest.child_runs
    child_manifest = validate_manifest(repo / child.manifest)
    assert child_manifest["workdir"] == str(worktree.resolve())
    assert (worktree / "where.txt").read_text().strip() == str(worktree.resolve())
    assert not (repo / "where.txt").exists() and not (worktree / ".runs").exists()


async def test_stage_events_take_any_field_name_and_validate_may_see_the_kernel(tmp_path):
    import json as _json

    repo = repo_with_config(tmp_path, """
        [pipelines.p]
        stages = [{ id = "x", kind = "eventful", flavour = "plain" }]
    """)  # fmt: skip
    seen = []

    class Eventful:
        def validate(self, spec, kernel):
            seen.append((spec.options["flavour"], kernel.repo))

        async def run(self, ctx):
            ctx.event("custom", paths=["a"], event="inner", redactor="r", stage_id="spoof")
            return StageOutcome("succeeded")

    kernel = Kernel.for_repo(repo)
    kernel.add_extension("codex_core.stages", "eventful", Eventful())
    result = await run_pipeline(repo, "p", kernel=kernel)
    assert result.status == "succeeded" and seen == [("plain", repo)]
    [custom] = [e for e in events(result.artifact_root) if e["event"] == "custom"]
    assert custom["paths"] == ["a"] and custom["stage_id"] == "x"
    assert _json.dumps(custom)
