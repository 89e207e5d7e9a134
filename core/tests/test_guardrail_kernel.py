"""What the kernel gives guardrails: overrides that become approvals, the guardrail summary,
and adapter commands a repo's config replaces."""

from __future__ import annotations

import json

from codex_core import StageOutcome, run_pipeline
from codex_core.kernel import Kernel
from codex_core.launch import prepare_run
from codex_core.model import OverrideRequest
from codex_core.testing import make_repo, run_cli, validate_manifest
from kernel_helpers import repo_with_config


class FindsProblems:
    """A guardrail stage kind that finds one problem and accepts an override for it."""

    async def run(self, ctx):
        findings = [{"rule": "stale-spec", "path": "tasks/specs/0001.md"}]
        if ctx.override is not None:
            ctx.record_approval(findings)
            return StageOutcome("succeeded", summary="1 finding, overridden")
        return StageOutcome(
            "failed",
            summary="1 finding",
            reason="guardrail-findings",
            details={"findings": findings},
        )


async def test_an_override_becomes_an_approval_in_manifest_and_log(tmp_path):
    repo = repo_with_config(tmp_path, """
        [pipelines.p]
        stages = [{ id = "spec-guard", kind = "finds", guardrail = true }, { id = "after", command = "true" }]
    """)  # fmt: skip
    kernel = Kernel.for_repo(repo)
    kernel.add_extension("codex_core.stages", "finds", FindsProblems())
    blocked = await run_pipeline(repo, "p", kernel=kernel)
    status = blocked.manifest.guardrail_status
    assert blocked.status == "failed" and (status.present, status.failed) == (True, 1)
    assert blocked.summary.splitlines()[-1].startswith("Guardrails: 1 present (1 failed): blocked")

    from codex_core.engine.runner import execute

    override = OverrideRequest(
        guardrail="spec-guard",
        reason="spec review next sprint",
        approver="lead",
        actor="dev",
        timestamp="2026-11-23T00:00:00.000Z",
    )
    prepared = prepare_run(kernel, "p", task_id="default", overrides=[override])
    manifest = await execute(prepared)
    data = validate_manifest(prepared.paths.manifest)
    assert manifest.status == "succeeded"
    [approval] = data["approvals"]
    assert (approval["actor"], approval["approver"], approval["reason"], approval["guardrail"]) == (
        "dev",
        "lead",
        "spec review next sprint",
        "spec-guard",
    )
    assert approval["findings"] == [{"rule": "stale-spec", "path": "tasks/specs/0001.md"}]
    assert data["guardrail_status"]["overridden"] == 1
    assert data["guardrail_status"]["recommendation"] == "passed with 1 approved override(s)"
    [logged] = [
        json.loads(line) for line in (repo / ".runs" / "approvals.jsonl").read_text().splitlines()
    ]
    assert logged["run_id"] == manifest.run_id and logged["approver"] == "lead"


def test_override_needs_reason_approver_and_a_real_guardrail(tmp_path):
    repo = repo_with_config(tmp_path, """
        [pipelines.p]
        stages = [{ id = "gate", command = "true", guardrail = true }]
    """)  # fmt: skip
    for args, needle in [
        (["--override", "gate", "--reason", "r"], "needs both --reason and --approver"),
        (["--override", "gate", "--approver", "a"], "needs both --reason and --approver"),
        (["--override", "nope", "--reason", "r", "--approver", "a"], "has no such guardrail stage"),
        (["--reason", "r"], "go with --override"),
    ]:
        result = run_cli("start", "p", "--repo", str(repo), *args)
        assert result.returncode == 2 and needle in result.stderr, result
    assert not (repo / ".runs").exists()
    ok = run_cli(
        "start",
        "p",
        "--repo",
        str(repo),
        "--override",
        "gate",
        "--reason",
        "r",
        "--approver",
        "a",
        "--format",
        "json",
    )
    assert ok.returncode == 0
    data = validate_manifest(__import__("pathlib").Path(ok.json()["manifest"]))
    assert (
        data["overrides"][0]["guardrail"] == "gate" and data["approvals"] == []
    )  # nothing was found: nothing approved


def test_a_pipeline_that_should_have_guardrails_says_so(tmp_path):
    repo = repo_with_config(tmp_path, """
        [pipelines.diagnostics]
        stages = [{ id = "a", command = "true" }]
        [pipelines.plain]
        stages = [{ id = "a", command = "true" }]
    """)  # fmt: skip
    diag = run_cli("start", "--repo", str(repo))
    assert "Guardrails: none (this pipeline should have guardrails)" in diag.stdout
    plain = run_cli("start", "plain", "--repo", str(repo), "--format", "json")
    data = validate_manifest(__import__("pathlib").Path(plain.json()["manifest"]))
    assert (
        data["guardrail_status"]["present"] is False
        and data["guardrail_status"]["required"] is False
    )
    assert data["summary"].endswith("Guardrails: none")


def test_repo_config_overrides_adapter_commands(tmp_path):
    repo = make_repo(tmp_path / "repo", {
        "pyproject.toml": '[project]\nname = "x"\nversion = "0"\n[tool.codex-core.adapters.python]\ntest = "echo custom tests"\nlint = false\n',
        "x.py": "X = 1\n",
    })  # fmt: skip
    plan = run_cli("plan", "--repo", str(repo), "--format", "json").json()
    stages = {s["id"]: s for s in plan["stages"]}
    assert (
        stages["test"]["command"] == "echo custom tests"
        and "overridden" in stages["test"]["source"]
    )
    assert stages["lint"]["command"] is None and stages["lint"]["skip_reason"] == "no-command"
    bad = make_repo(
        tmp_path / "bad", {"codex-core.toml": "[adapters.python]\ndeploy = 'x'\n", "setup.py": ""}
    )
    result = run_cli("plan", "--repo", str(bad))
    assert result.returncode == 2 and "unknown step" in result.stderr
