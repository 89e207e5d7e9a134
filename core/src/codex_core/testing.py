"""Fixtures and conformance checks for plugin authors (and for codex-core's own tests).

Use it from a plugin's test suite::

    # conftest.py
    pytest_plugins = ["codex_core.testing"]

    # test_my_adapter.py
    from codex_core.testing import check_adapter

    def test_conforms(git_repo):
        (git_repo / "Cargo.toml").write_text("[package]\\nname = 'x'\\n")
        check_adapter(MyAdapter(), git_repo)

Everything here is real: repositories are real ``git`` repos, runs are real runs of the kernel
with real subprocesses. Checks raise ``AssertionError`` with a message saying what is wrong.

Conformance checks exist for the kinds whose protocol the kernel defines today (stage kinds,
adapters, guardrail votes, hook-only plugins); the other kinds get theirs with their protocols.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from .adapter_api import DIAGNOSTIC_STEPS
from .hookspecs import Action, Veto, hookimpl
from .pipeline import Pipeline, StageSpec

__all__ = [
    "CliResult",
    "check_adapter",
    "check_guardrail",
    "check_hook_plugin",
    "check_stage_kind",
    "cli_path",
    "git_repo",
    "make_repo",
    "manifest_schema",
    "run_cli",
    "validate_manifest",
]


def make_repo(path: Path, files: Mapping[str, str] | None = None, *, commit: bool = True) -> Path:
    """A real git repository at ``path`` holding ``files`` (relative path -> text), committed."""
    path.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}  # fmt: skip
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    for name, text in (files or {}).items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        if name.endswith(".sh"):
            target.chmod(0o755)
    if commit:
        subprocess.run(["git", "-C", str(path), "add", "-A"], check=True, env=env)
        subprocess.run(
            ["git", "-C", str(path), "commit", "-q", "--allow-empty", "-m", "initial"],
            check=True,
            env=env,
        )
    return path


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """An empty, committed git repository in a temp dir."""
    return make_repo(tmp_path / "repo")


def cli_path() -> Path:
    """The ``codex-core`` console script of the running interpreter's environment."""
    return Path(sys.executable).with_name("codex-core")


class CliResult:
    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.proc = proc
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(
                f"stdout is not JSON ({exc}):\n{self.stdout}\nstderr:\n{self.stderr}"
            ) from None

    def __repr__(self) -> str:
        return f"<CliResult exit={self.returncode}\nstdout={self.stdout}\nstderr={self.stderr}>"


def run_cli(
    *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None, timeout: float = 120
) -> CliResult:
    """Run the real ``codex-core`` command as a subprocess."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [str(cli_path()), *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return CliResult(proc)


def manifest_schema() -> dict[str, Any]:
    """The published manifest JSON Schema."""
    from importlib.resources import files

    return json.loads(files("codex_core.schemas").joinpath("manifest.schema.json").read_text())


def validate_manifest(path: Path) -> dict[str, Any]:
    """Assert that the manifest at ``path`` validates against the schema; returns it parsed."""
    import jsonschema

    data = json.loads(path.read_text())
    validator = jsonschema.Draft202012Validator(
        manifest_schema(), format_checker=jsonschema.FormatChecker()
    )
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, f"{path} does not match the manifest schema:\n" + "\n".join(
        f"  $.{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
    )
    return data


def iter_manifests(repo: Path) -> Iterator[Path]:
    yield from sorted((repo / ".runs").glob("*/cli/*/manifest.json"))


def check_adapter(adapter: Any, repo: Path) -> list[StageSpec]:
    """Check an adapter against a repo it should recognise; returns its stages."""
    assert callable(getattr(adapter, "matches", None)), "an adapter needs matches(repo)"
    assert callable(getattr(adapter, "stages", None)), "an adapter needs stages(repo)"
    before = _tree_snapshot(repo)
    assert adapter.matches(repo) is True, f"{adapter!r} does not recognise {repo}"
    assert adapter.matches(repo.parent / "no-such-dir-for-codex-core") is False, (
        "matches() must be False for a missing dir"
    )
    stages = adapter.stages(repo)
    assert [s.id for s in stages] == list(DIAGNOSTIC_STEPS), (
        f"stages must be {DIAGNOSTIC_STEPS}, got {[s.id for s in stages]}"
    )
    for stage in stages:
        assert isinstance(stage, StageSpec), f"{stage!r} is not a StageSpec"
        assert stage.kind == "command", f"stage {stage.id}: adapters contribute command stages"
        assert stage.command is None or (
            isinstance(stage.command, str) and stage.command.strip()
        ), f"stage {stage.id}: command must be None (no command) or a non-empty string"
    assert _tree_snapshot(repo) == before, "matches()/stages() must not change the repository"
    return stages


def _tree_snapshot(repo: Path) -> dict[str, float]:
    return {
        str(p): p.stat().st_mtime for p in repo.rglob("*") if ".git" not in p.parts and p.is_file()
    }


def check_stage_kind(kind_name: str, repo: Path, spec: StageSpec | None = None) -> dict[str, Any]:
    """Run one stage of the installed kind ``kind_name`` in a real run on ``repo``.

    Checks the kind is discoverable, that the run ends in a terminal status with the stage in a
    terminal status, and that the manifest validates. Returns the manifest as JSON.
    """
    import trio

    from .api import run_pipeline
    from .kernel import Kernel

    kernel = Kernel.for_repo(repo)
    kind = kernel.stage_kind(kind_name)
    assert kind is not None, (
        f"no stage kind {kind_name!r} is installed (failures: {kernel.failures})"
    )
    assert callable(getattr(kind, "run", None)), f"stage kind {kind_name!r} has no run(ctx)"
    spec = spec or StageSpec(id="conformance", kind=kind_name)
    pipeline = Pipeline(id="conformance", stages=(spec,), source="codex_core.testing")

    class _Contribute:
        @hookimpl
        def codex_pipelines(self, repo: Path, config: Any) -> list[Pipeline]:
            return [pipeline]

    kernel.register(_Contribute(), name="codex-core-testing-pipeline")
    result = trio.run(lambda: run_pipeline(repo, "conformance", task="conformance", kernel=kernel))
    data = validate_manifest(result.manifest_path)
    assert data["status"] in ("succeeded", "failed"), f"run ended {data['status']}"
    assert data["commands"][0]["status"] in ("succeeded", "failed", "skipped"), data["commands"][0]
    return data


def check_guardrail(plugin: Any, *, allowed: Action, denied: Action) -> Veto:
    """Check a guardrail plugin allows ``allowed`` and vetoes ``denied`` through the vote hook."""
    from .config import Config
    from .kernel import Kernel

    kernel = Kernel(allowed.repo, Config.empty())
    kernel.register(plugin, name="guardrail-under-test")
    assert kernel.vote(allowed) == [], f"{plugin!r} vetoed an action it should allow"
    vetoes = kernel.vote(denied)
    assert len(vetoes) == 1, f"{plugin!r} should veto {denied!r} exactly once, got {vetoes}"
    assert vetoes[0].reason, "a veto must say why"
    return vetoes[0]


def check_hook_plugin(plugin: Any) -> None:
    """Check a hook-only plugin registers and every hook it implements exists (no typos)."""
    from .config import Config
    from .kernel import Kernel

    kernel = Kernel(Path.cwd(), Config.empty())
    kernel.register(plugin, name="plugin-under-test")
    implemented = [h.name for h in kernel.pm.get_hookcallers(plugin) or []]
    assert implemented, f"{plugin!r} implements no codex_core hook"
