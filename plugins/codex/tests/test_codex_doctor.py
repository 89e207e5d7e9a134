"""``codex-core doctor`` reports the installed Codex and what it supports (the real command)."""

from __future__ import annotations

from pathlib import Path

from codex_core.testing import make_repo, run_cli

#: doctor of this plugin alone: other plugins' checks neither slow these tests nor fail them
ONLY_THIS_PLUGIN = {"CODEX_CORE_LOAD_PLUGINS": "codex-core-codex"}


def codex_checks(repo: Path) -> tuple[int, dict[str, dict]]:
    result = run_cli("doctor", "--format", "json", cwd=repo, env=ONLY_THIS_PLUGIN, timeout=120)
    checks = {
        c["name"]: c
        for c in result.json()["checks"]
        if c["name"].startswith("codex ") or c["name"] == "codex"
    }
    return result.returncode, checks


def test_doctor_shows_the_version_and_the_backends_it_supports(
    tmp_path: Path, codex_bin: Path
) -> None:
    _, checks = codex_checks(make_repo(tmp_path / "repo"))
    assert checks["codex"]["ok"]
    assert checks["codex"]["detail"].startswith(f"codex-cli 0.169.0 ({codex_bin}")
    assert checks["codex backends"] == {
        "name": "codex backends",
        "ok": True,
        "detail": "codex (app-server): yes; codex-exec (exec --json): yes; codex-mcp (mcp-server): no",
    }
    settings = checks["codex settings"]
    assert settings["ok"]
    assert "sandbox workspace-write, approval policy on-request" in settings["detail"]
    assert "approval policies untrusted, on-request, never" in settings["detail"]


def test_doctor_with_the_legacy_binary_configured(tmp_path: Path, legacy_codex_bin: Path) -> None:
    toml = f'[codex]\nbinary = "{legacy_codex_bin}"\nbackend = "codex-mcp"\n'
    _, checks = codex_checks(make_repo(tmp_path / "repo", {"codex-core.toml": toml}))
    assert checks["codex"]["detail"].startswith("codex-cli 0.153.4")
    assert "found via config" in checks["codex"]["detail"]
    assert checks["codex backends"]["detail"].endswith("codex-mcp (mcp-server): yes")
    assert checks["codex settings"]["ok"], checks["codex settings"]


def test_doctor_fails_on_a_missing_binary_and_on_values_codex_refuses(
    tmp_path: Path, codex_bin: Path
) -> None:
    missing = make_repo(
        tmp_path / "missing", {"codex-core.toml": '[codex]\nbinary = "bin/codex"\n'}
    )
    code, checks = codex_checks(missing)
    assert code == 1
    assert not checks["codex"]["ok"]
    assert "Codex CLI not found at" in checks["codex"]["detail"]

    refused = make_repo(
        tmp_path / "refused", {"codex-core.toml": '[codex]\napproval_policy = "on-failure"\n'}
    )
    code, checks = codex_checks(refused)
    assert code == 1
    assert checks["codex"]["ok"]
    assert not checks["codex settings"]["ok"]
    assert "'on-failure' is not accepted" in checks["codex settings"]["detail"]
