"""The plugin's small parts: finding the binary, reading Codex's help, config.toml, settings."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from codex_core.config import load_config
from codex_core.errors import ConfigError
from codex_core.pipeline import StageSpec
from codex_core.testing import check_hook_plugin, check_stage_kind, make_repo
from codex_core_codex.binary import ENV_BINARY, CodexNotFoundError, find_binary
from codex_core_codex.capabilities import _listed_values, _possible_values, _subcommands, probe
from codex_core_codex.home import ISOLATION, codex_home, dumps, merge
from codex_core_codex.hooks import plugin
from codex_core_codex.items import same_command, unwrap_shell
from codex_core_codex.settings import CodexSettings
from scripted_model import ScriptedModel, run, say

HELP = """\
Commands:
  exec              Run Codex non-interactively [aliases: e]
  mcp-server        Start Codex as an MCP server (stdio)
  app-server        [experimental] Run the app server or related tooling

Options:
  -s, --sandbox <SANDBOX_MODE>
          Select the sandbox policy to use when executing model-generated shell commands

          [possible values: read-only, workspace-write, danger-full-access]

  -a, --ask-for-approval <APPROVAL_POLICY>
          Configure when the model requires human approval before executing a command

          Possible values:
          - on-request: The model decides when to ask the user for approval
          - never:      Never ask for user approval Execution failures are immediately returned to
            the model

      --search
          Enable live web search.
"""


def test_help_parsing() -> None:
    assert _subcommands(HELP) == ["exec", "mcp-server", "app-server"]
    assert _possible_values(HELP, "--sandbox") == ("read-only", "workspace-write", "danger-full-access")  # fmt: skip
    assert _listed_values(HELP, "--ask-for-approval") == ("on-request", "never")


def test_probe_of_the_installed_codex(codex_bin: Path, legacy_codex_bin: Path) -> None:
    from codex_core_codex.binary import CodexBinary

    current = probe(CodexBinary(codex_bin, "test"))
    assert (current.version, current.version_tuple) == ("0.169.0", (0, 169, 0))
    # the app-server schema knows `untrusted`, which --help no longer lists; on-failure is gone
    assert current.approval_policies == ("untrusted", "on-request", "never")
    assert current.approvals_for("codex-exec") == ("never",)
    assert current.backends() == {"codex": True, "codex-exec": True, "codex-mcp": False}
    legacy = probe(CodexBinary(legacy_codex_bin, "test"))
    assert legacy.version == "0.153.4"
    assert legacy.backends()["codex-mcp"] is True


def test_binary_lookup_order(tmp_path: Path, codex_bin: Path) -> None:
    repo = tmp_path / "repo"
    own = repo / "node_modules" / ".bin" / "codex"
    own.parent.mkdir(parents=True)
    own.write_text("#!/bin/sh\necho codex-cli 9.9.9\n")
    own.chmod(0o755)
    env = {"PATH": os.environ["PATH"]}
    assert find_binary(repo, None, env).source == "repo"
    assert find_binary(repo, "node_modules/.bin/codex", env).path == own
    assert find_binary(repo, None, {**env, ENV_BINARY: str(codex_bin)}).path == codex_bin
    assert find_binary(tmp_path / "other", None, env).source == "codex-core"  # this workspace's
    with pytest.raises(CodexNotFoundError, match="named by"):
        find_binary(repo, None, {**env, ENV_BINARY: str(tmp_path / "nope")})
    with pytest.raises(CodexNotFoundError, match="not on PATH"):
        find_binary(repo, "no-such-codex-here", env)


def test_isolated_home_config_is_toml_codex_reads(tmp_path: Path) -> None:
    extra = {"model": "m", "model_providers": {"p": {"base_url": "http://x/v1", "env_key": "K"}}}
    with codex_home(None, extra) as (home, overrides):
        data = tomllib.loads((home / "config.toml").read_text())
        assert overrides == []
    assert data == merge(ISOLATION, extra)
    assert data["features"]["plugins"] is False and data["analytics"]["enabled"] is False
    assert not home.exists()  # removed with the session
    tricky = {"a.b": 'quote " and \\ backslash', "list": [1, "two", True], "t": {"in": {"x": 1.5}}}
    assert tomllib.loads(dumps(tricky)) == tricky
    # the user's own CODEX_HOME is never written: the isolation goes in -c overrides
    with codex_home(str(tmp_path), {"analytics": {"enabled": True}}) as (home, overrides):
        assert home == tmp_path and not (tmp_path / "config.toml").exists()
        assert "features.plugins=false" in overrides
        assert "analytics.enabled=true" in overrides and "analytics.enabled=false" not in overrides


def test_unwrapping_codex_shell_commands() -> None:
    assert unwrap_shell("/bin/bash -lc 'echo hello > hello.txt'") == "echo hello > hello.txt"
    assert unwrap_shell(["bash", "-c", "pytest -q"]) == "pytest -q"
    assert unwrap_shell("pytest -q") == "pytest -q"
    assert same_command("pytest  -q", "pytest -q")
    assert not same_command("pytest -x", "pytest -q")


def test_settings_errors_name_the_file_and_key(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"codex-core.toml": "[codex]\nturn_timeout = true\n"})
    with pytest.raises(
        ConfigError, match=r"codex-core.toml: codex.turn_timeout: expected a number"
    ):
        CodexSettings.from_config(load_config(repo))
    repo2 = make_repo(tmp_path / "repo2", {"codex-core.toml": "[codex]\nsandboxes = 1\n"})
    with pytest.raises(ConfigError, match="unknown key"):
        CodexSettings.from_config(load_config(repo2))


def test_conformance(tmp_path: Path, model: ScriptedModel, model_env: dict[str, str], codex_bin: Path) -> None:  # fmt: skip
    check_hook_plugin(plugin)
    repo = make_repo(tmp_path / "repo", {"codex-core.toml": model.toml(), "ok.sh": "#!/bin/sh\necho ok\n"})  # fmt: skip
    model.reply(run("./ok.sh"), say("It printed ok."))
    data = check_stage_kind(
        "codex-command", repo, StageSpec(id="conformance", kind="codex-command", command="./ok.sh")
    )
    assert data["commands"][0]["status"] == "succeeded"
    assert data["commands"][0]["codex_command"]["exit_code"] == 0
