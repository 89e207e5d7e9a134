"""End to end: the real ``codex-core`` command plans and runs the adapter's stages on real packages.

The packages' scripts run real node: a build script writing its output, ``node --check`` as the
linter and ``node --test`` over a real test file.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from codex_core.testing import run_cli, validate_manifest
from node_adapter_helpers import npm_env, package_json, repo, requires_npm

pytestmark = requires_npm


@pytest.fixture(autouse=True)
def _no_user_npmrc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the user's ~/.npmrc out: npm then reads only the settings these tests give it."""
    userconfig = tmp_path / "npmrc"
    userconfig.write_text("")
    monkeypatch.setenv("NPM_CONFIG_USERCONFIG", str(userconfig))


SCRIPTS = {
    "build": "node build.js",
    "lint": "node --check src/index.js && node --check build.js",
    "test": "node --test",
}
INDEX = "exports.add = (a, b) => a + b;\n"
BUILD = """\
const fs = require("fs");
fs.mkdirSync("dist", { recursive: true });
fs.copyFileSync("src/index.js", "dist/index.js");
console.log("built dist/index.js");
"""
TEST = """\
const test = require("node:test");
const assert = require("node:assert");
const { add } = require("../src/index.js");

test("add", () => {
  assert.strictEqual(add(2, 3), EXPECTED);
});
"""


def demo(path: Path, *, expected: int = 5, **fields: Any) -> Path:
    return repo(
        path,
        {
            "package.json": package_json(scripts=SCRIPTS, **fields),
            "build.js": BUILD,
            "src/index.js": INDEX,
            "test/index.test.js": TEST.replace("EXPECTED", str(expected)),
        },
    )


def _start(r: Path, cache: Path) -> tuple[int, dict[str, Any], dict[str, dict[str, Any]]]:
    """Run diagnostics; returns the exit code, the JSON printed and the manifest's stages by id."""
    result = run_cli("start", "--repo", str(r), "--format", "json", env=npm_env(cache))
    assert result.returncode in (0, 1), result
    printed = result.json()
    manifest = validate_manifest(Path(printed["manifest"]))
    # Only this adapter's stages: installed guardrail plugins may append stages of their own.
    return (
        result.returncode,
        printed,
        {c["id"]: c for c in manifest["commands"] if c["source"] == "node"},
    )


def _log(r: Path, stage: dict[str, Any]) -> str:
    return (r / stage["log_path"]).read_text()


def test_a_node_package_with_passing_scripts_succeeds(tmp_path: Path) -> None:
    r = demo(tmp_path / "repo")

    code, printed, stages = _start(r, tmp_path / "npm-cache")

    assert code == 0, printed
    assert printed["status"] == "succeeded"
    assert list(stages) == ["build", "lint", "test"]
    assert {
        i: (s["status"], s["source"], s["command"], s["exit_code"]) for i, s in stages.items()
    } == {
        "build": ("succeeded", "node", "npm run build", 0),
        "lint": ("succeeded", "node", "npm run lint", 0),
        "test": ("succeeded", "node", "npm run test", 0),
    }
    assert (r / "dist" / "index.js").read_text() == INDEX
    assert "built dist/index.js" in _log(r, stages["build"])
    test_log = _log(r, stages["test"])
    assert "pass 1" in test_log and "fail 0" in test_log  # node's tap and spec reporters alike


def test_a_failing_test_fails_the_run(tmp_path: Path) -> None:
    r = demo(tmp_path / "repo", expected=6)

    code, printed, stages = _start(r, tmp_path / "npm-cache")

    assert code == 1
    assert printed["status"] == "failed"
    assert (stages["build"]["status"], stages["lint"]["status"]) == ("succeeded", "succeeded")
    assert (stages["test"]["status"], stages["test"]["exit_code"]) == ("failed", 1)
    assert "fail 1" in _log(r, stages["test"])


def test_a_syntax_error_fails_the_lint_stage(tmp_path: Path) -> None:
    r = demo(tmp_path / "repo")
    (r / "src" / "index.js").write_text("exports.add = (a, b) => a +;\n")

    code, _, stages = _start(r, tmp_path / "npm-cache")

    assert code == 1
    assert stages["lint"]["status"] == "failed"
    assert "SyntaxError" in _log(r, stages["lint"])
    assert stages["test"]["status"] != "succeeded"  # fail-fast: the tests never ran


def test_a_package_without_scripts_skips_every_stage(tmp_path: Path) -> None:
    # What ``npm init -y`` writes: no build or lint script, and the placeholder test script.
    r = repo(
        tmp_path / "repo",
        {
            "package.json": package_json(
                main="index.js", scripts={"test": 'echo "Error: no test specified" && exit 1'}
            ),
            "index.js": INDEX,
        },
    )

    code, printed, stages = _start(r, tmp_path / "npm-cache")

    assert code == 0, printed
    assert printed["status"] == "succeeded"
    assert {i: (s["status"], s["skip_reason"], s["command"]) for i, s in stages.items()} == {
        step: ("skipped", "no-command", None) for step in ("build", "lint", "test")
    }


# A dependency that installs without the network: a ``file:`` package inside the repo.
DEP = {
    "vendor/greet/package.json": package_json(name="greet", main="index.js"),
    "vendor/greet/index.js": "module.exports = (who) => `hello, ${who}`;\n",
}
USES_DEP = """\
const greet = require("greet");
require("fs").writeFileSync("greeting.txt", greet("node"));
"""


def with_dependency(path: Path) -> Path:
    return repo(
        path,
        {
            "package.json": package_json(
                scripts={"build": "node build.js", "test": "node --test"},
                dependencies={"greet": "file:./vendor/greet"},
            ),
            "build.js": USES_DEP,
            "test/greet.test.js": (
                'const assert = require("node:assert");\n'
                'require("node:test")("greets", () => '
                'assert.strictEqual(require("greet")("x"), "hello, x"));\n'
            ),
            **DEP,
        },
    )


def test_missing_dependencies_are_installed_before_the_build(tmp_path: Path) -> None:
    r = with_dependency(tmp_path / "repo")
    assert not (r / "node_modules").exists()

    code, printed, stages = _start(r, tmp_path / "npm-cache")

    assert code == 0, printed
    assert (stages["build"]["command"], stages["build"]["status"]) == (
        "npm install && npm run build",
        "succeeded",
    )
    assert (r / "node_modules" / "greet").is_dir()
    assert (r / "greeting.txt").read_text() == "hello, node"
    assert (stages["lint"]["skip_reason"], stages["test"]["status"]) == ("no-command", "succeeded")


def test_with_a_lockfile_dependencies_are_installed_with_npm_ci(tmp_path: Path) -> None:
    r = with_dependency(tmp_path / "repo")
    cache = tmp_path / "npm-cache"
    subprocess.run(
        ["npm", "install", "--package-lock-only"],
        cwd=r, check=True, capture_output=True, env={**os.environ, **npm_env(cache)},
    )  # fmt: skip
    assert (r / "package-lock.json").is_file() and not (r / "node_modules").exists()

    code, printed, stages = _start(r, cache)

    assert code == 0, printed
    assert (stages["build"]["command"], stages["build"]["status"]) == (
        "npm ci && npm run build",
        "succeeded",
    )
    assert (r / "greeting.txt").read_text() == "hello, node"

    # Installed now: a second run goes straight to the build script.
    code, printed, stages = _start(r, cache)
    assert code == 0, printed
    assert stages["build"]["command"] == "npm run build"


def test_plan_shows_the_stages_without_running_or_installing(tmp_path: Path) -> None:
    r = with_dependency(tmp_path / "repo")

    result = run_cli("plan", "--repo", str(r), "--format", "json")

    assert result.returncode == 0, result
    plan = result.json()
    assert (plan["pipeline_id"], plan["source"]) == ("diagnostics", "adapters: node")
    assert [
        (s["id"], s["kind"], s["command"], s["source"], s["skip_reason"])
        for s in plan["stages"]
        if s["source"] == "node"
    ] == [
        ("build", "command", "npm install && npm run build", "node", None),
        ("lint", "command", None, "node", "no-command"),
        ("test", "command", "npm run test", "node", None),
    ]
    assert not (r / ".runs").exists()
    assert not (r / "node_modules").exists()
