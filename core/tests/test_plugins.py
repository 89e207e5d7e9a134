"""Plugin discovery: listing from metadata, loading, failures, the allow-list, a real install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from codex_core.testing import check_hook_plugin, check_stage_kind, make_repo, run_cli

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def test_plugins_lists_builtins_from_metadata():
    result = run_cli("plugins", "--format", "json")
    assert result.returncode == 0
    rows = {(r["namespace"], r["name"]): r for r in result.json()["plugins"]}
    command = rows[("codex_core.stages", "command")]
    assert (command["distribution"], command["version"]) == ("codex-core", "0.1.0")
    assert command["value"] == "codex_core.stages.command:CommandStage"
    assert ("codex_core.stages", "subpipeline") in rows
    assert rows[("codex_core.adapters", "python")]["distribution"] == "codex-core-adapter-python"
    assert run_cli("plugins", "--check").returncode == 0


def test_builtin_stage_kinds_pass_the_conformance_check(git_repo):
    from codex_core import StageSpec

    data = check_stage_kind("command", git_repo, StageSpec(id="c", command="true"))
    assert data["commands"][0]["status"] == "succeeded"
    skipped = check_stage_kind("command", git_repo, StageSpec(id="c"))
    assert skipped["commands"][0]["skip_reason"] == "no-command"


def test_hook_plugin_check_catches_a_plugin_with_no_hooks():
    from codex_core import hookimpl

    class Fine:
        @hookimpl
        def codex_run_finished(self, manifest, run_dir):
            pass

    check_hook_plugin(Fine())
    with pytest.raises(AssertionError):
        check_hook_plugin(object())


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not available")
    return uv


@pytest.fixture(scope="module")
def plugin_venv(tmp_path_factory):
    """A fresh venv with codex-core, a third-party plugin and a broken one installed from source."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    uv = _uv()
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(python), str(ROOT / "core"),
         str(FIXTURES / "hello-plugin"), str(FIXTURES / "broken-plugin")],
        check=True,
    )  # fmt: skip
    return venv


def _venv_cli(venv: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    full = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CODEX_CORE_LOAD_PLUGINS")
    }
    full.update(env or {})
    return subprocess.run(
        [str(venv / "bin" / "codex-core"), *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.slow
def test_an_installed_plugin_is_listed_loaded_and_used(plugin_venv, tmp_path):
    import json

    listing = json.loads(_venv_cli(plugin_venv, "plugins", "--format", "json").stdout)["plugins"]
    hello = next(
        r for r in listing if r["name"] == "hello" and r["namespace"] == "codex_core.stages"
    )
    assert (hello["distribution"], hello["version"]) == ("codex-core-hello", "0.3.1")

    repo = make_repo(tmp_path / "repo")
    run = _venv_cli(plugin_venv, "start", "greet", "--repo", str(repo), "--format", "json")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["status"] == "succeeded"
    assert (Path(out["artifact_root"]) / "commands" / "01-hi.log").read_text() == "hello, plugins\n"

    command = _venv_cli(plugin_venv, "hello")
    assert (command.returncode, command.stdout) == (0, "hello from a plugin command\n")
    assert "hello" in _venv_cli(plugin_venv, "--help").stdout


@pytest.mark.slow
def test_broken_plugins_are_reported_not_fatal(plugin_venv, tmp_path):
    import json

    check = _venv_cli(plugin_venv, "plugins", "--check", "--format", "json")
    assert check.returncode == 1
    rows = {(r["namespace"], r["name"]): r for r in json.loads(check.stdout)["plugins"]}
    assert rows[("codex_core.stages", "broken")]["status"] == "failed"
    assert "codex_core_missing_dependency" in rows[("codex_core.stages", "broken")]["error"]
    assert rows[("codex_core.plugins", "typo")]["status"] == "failed"
    assert "codex_stage_finishd" in rows[("codex_core.plugins", "typo")]["error"]
    assert rows[("codex_core.stages", "hello")]["status"] == "ok"

    repo = make_repo(
        tmp_path / "repo",
        {"codex-core.toml": '[pipelines.p]\nstages = [{ id = "a", command = "true" }]\n'},
    )
    assert _venv_cli(plugin_venv, "start", "p", "--repo", str(repo)).returncode == 0
    assert _venv_cli(plugin_venv, "runs", "--repo", str(repo)).returncode == 0
    doctor = json.loads(
        _venv_cli(plugin_venv, "doctor", "--repo", str(repo), "--format", "json").stdout
    )
    failing = {c["name"] for c in doctor["checks"] if not c["ok"]}
    assert {"plugin codex_core.stages:broken", "plugin codex_core.plugins:typo"} <= failing


@pytest.mark.slow
def test_load_plugins_allow_list(plugin_venv, tmp_path):
    import json

    repo = make_repo(tmp_path / "repo")
    none = _venv_cli(
        plugin_venv, "start", "greet", "--repo", str(repo), env={"CODEX_CORE_LOAD_PLUGINS": ""}
    )
    assert none.returncode == 2 and "unknown pipeline 'greet'" in none.stderr
    listing = json.loads(
        _venv_cli(
            plugin_venv, "plugins", "--format", "json", env={"CODEX_CORE_LOAD_PLUGINS": ""}
        ).stdout
    )
    allowed = {(r["distribution"], r["allowed"]) for r in listing["plugins"]}
    assert ("codex-core", True) in allowed and ("codex-core-hello", False) in allowed
    only = _venv_cli(
        plugin_venv,
        "start",
        "greet",
        "--repo",
        str(repo),
        env={"CODEX_CORE_LOAD_PLUGINS": "codex-core-hello"},
    )
    assert only.returncode == 0, only.stderr
    check = _venv_cli(
        plugin_venv, "plugins", "--check", env={"CODEX_CORE_LOAD_PLUGINS": "codex-core-hello"}
    )
    assert check.returncode == 0, check.stdout  # the broken ones are not loaded at all


@pytest.mark.slow
def test_the_adapter_guide_example_is_used_by_start(tmp_path):
    """docs/adapters.md's example, installed into a fresh venv like a third party's adapter."""
    import json

    venv = tmp_path / "v"
    uv = _uv()
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(ROOT / "core"),
         str(ROOT / "docs" / "examples" / "adapter-make")],
        check=True,
    )  # fmt: skip
    makefile = "build:\n\techo built > built.txt\n\ntest: build\n\ttest -f built.txt\n"
    repo = make_repo(tmp_path / "repo", {"Makefile": makefile})
    plan = json.loads(_venv_cli(venv, "plan", "--repo", str(repo), "--format", "json").stdout)
    assert [(s["id"], s["command"], s["source"]) for s in plan["stages"]] == [
        ("build", "make build", "make"), ("lint", None, "make"), ("test", "make test", "make"),
    ]  # fmt: skip
    run = _venv_cli(venv, "start", "--repo", str(repo), "--format", "json")
    assert run.returncode == 0, run.stderr
    manifest = json.loads(Path(json.loads(run.stdout)["manifest"]).read_text())
    assert [(c["id"], c["status"], c["skip_reason"]) for c in manifest["commands"]] == [
        ("build", "succeeded", None), ("lint", "skipped", "no-command"), ("test", "succeeded", None),
    ]  # fmt: skip
    assert (repo / "built.txt").read_text() == "built\n"


def test_only_codex_names_are_hook_implementations(tmp_path):
    """As in pytest, a hook implementation is named after its hook: a marked method under any
    other name is not one (so registration looks at a handful of names, not every attribute),
    while a misspelled ``codex_`` name still fails the registration."""
    from codex_core import hookimpl
    from codex_core.config import Config
    from codex_core.kernel import Kernel
    from pluggy import PluginValidationError

    class Commands:
        @hookimpl
        def codex_cli_commands(self):
            return ["listed"]

        @hookimpl
        def not_a_hook_name(self):
            raise AssertionError("never registered, never called")

    class Misspelled:
        @hookimpl
        def codex_cli_comands(self):
            return ["never"]

    kernel = Kernel(tmp_path, Config.empty())
    kernel.register(Commands(), name="commands")
    assert kernel.cli_commands() == ["listed"]
    assert not hasattr(kernel.pm.hook, "not_a_hook_name")
    with pytest.raises(PluginValidationError, match="codex_cli_comands"):
        kernel.register(Misspelled(), name="misspelled")
