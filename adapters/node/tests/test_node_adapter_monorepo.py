"""A repo that is several kinds at once: every adapter that recognises it contributes its stages.

With more than one adapter, the kernel prefixes each stage id with the adapter's name
(``go-build``, ``node-build``, ``python-build``) and the stage's ``source`` names the adapter.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from codex_core.testing import run_cli, validate_manifest
from node_adapter_helpers import npm_env, package_json, repo, requires_npm

STEPS = ("build", "lint", "test")
NODE = {
    "package.json": package_json(
        scripts={
            "build": "node --check index.js",
            "lint": "node --check index.js",
            "test": "node --test",
        }
    ),
    "index.js": "exports.one = () => 1;\n",
    "test/one.test.js": (
        'const assert = require("node:assert");\n'
        'require("node:test")("one", () => assert.strictEqual(require("../index.js").one(), 1));\n'
    ),
}
GO = {
    "go.mod": "module example.com/mono\n\ngo 1.19\n",
    "one/one.go": "package one\n\n// One is one.\nfunc One() int { return 1 }\n",
    "one/one_test.go": (
        'package one\n\nimport "testing"\n\n'
        "func TestOne(t *testing.T) {\n\tif One() != 1 {\n\t\tt.Fatal(One())\n\t}\n}\n"
    ),
}
PYTHON = {"pyproject.toml": '[project]\nname = "mono"\nversion = "0.1.0"\n', "tool.py": ""}


def test_plan_of_a_monorepo_prefixes_each_adapters_stages(tmp_path: Path) -> None:
    r = repo(tmp_path / "repo", {**NODE, **GO, **PYTHON})

    result = run_cli("plan", "--repo", str(r), "--format", "json")

    assert result.returncode == 0, result
    plan = result.json()
    assert (plan["pipeline_id"], plan["source"]) == ("diagnostics", "adapters: go, node, python")
    ours = [s for s in plan["stages"] if s["source"] in ("go", "node", "python")]
    assert [(s["id"], s["kind"], s["source"]) for s in ours] == [
        (f"{adapter}-{step}", "command", adapter)
        for adapter in ("go", "node", "python")
        for step in STEPS
    ]
    commands = {s["id"]: s["command"] for s in ours}
    assert {k: v for k, v in commands.items() if not k.startswith("python-")} == {
        "go-build": "go build ./...",
        "go-lint": "go vet ./...",
        "go-test": "go test ./...",
        "node-build": "npm run build",
        "node-lint": "npm run lint",
        "node-test": "npm run test",
    }
    assert commands["python-build"] is not None  # tool.py compiles, whatever runs it
    assert not (r / ".runs").exists()


@requires_npm
@pytest.mark.skipif(shutil.which("go") is None, reason="go is not on PATH")
def test_a_node_and_go_monorepo_runs_both(tmp_path: Path) -> None:
    r = repo(tmp_path / "repo", {**NODE, **GO})
    env = {
        **npm_env(tmp_path / "npm-cache"),
        "NPM_CONFIG_USERCONFIG": str(tmp_path / "npmrc"),
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "GOCACHE": str(tmp_path / "go-cache"),
        "GOPATH": str(tmp_path / "gopath"),
    }
    (tmp_path / "npmrc").write_text("")

    result = run_cli("start", "--repo", str(r), "--format", "json", env=env, timeout=300)

    assert result.returncode == 0, result
    manifest = validate_manifest(Path(result.json()["manifest"]))
    ours = [c for c in manifest["commands"] if c["source"] in ("go", "node")]
    assert [(c["id"], c["source"], c["status"]) for c in ours] == [
        (f"{adapter}-{step}", adapter, "succeeded") for adapter in ("go", "node") for step in STEPS
    ]
