"""The docs stay true: the CLI reference's help section is generated from the real command.

Run with CODEX_CORE_UPDATE_DOCS=1 to rewrite the section after changing a command.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from codex_core.cli import BUILTIN
from codex_core.testing import run_cli

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- BEGIN GENERATED HELP -->", "<!-- END GENERATED HELP -->"


# The reference documents the kernel's own commands: plugins' commands have their own pages.
KERNEL_ONLY = {"COLUMNS": "100", "CODEX_CORE_LOAD_PLUGINS": ""}


def generated_help() -> str:
    parts = ["```text\n$ codex-core --help\n" + run_cli("--help", env=KERNEL_ONLY).stdout + "```"]
    for name in sorted(BUILTIN):
        text = run_cli(name, "--help", env=KERNEL_ONLY).stdout
        parts.append(f"### `codex-core {name}`\n\n```text\n{text}```")
    return "\n\n".join(parts)


def test_cli_reference_matches_the_command():
    path = ROOT / "docs" / "cli.md"
    doc = path.read_text()
    fresh = f"{BEGIN}\n{generated_help()}\n{END}"
    current = re.search(re.escape(BEGIN) + ".*?" + re.escape(END), doc, re.S)
    assert current, "docs/cli.md lost its generated-help markers"
    if os.environ.get("CODEX_CORE_UPDATE_DOCS"):
        path.write_text(doc.replace(current.group(0), fresh))
        return
    assert current.group(0) == fresh, "docs/cli.md is stale: rerun with CODEX_CORE_UPDATE_DOCS=1"


def test_readme_commands_are_the_ones_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert (
        "uv run --locked --all-packages pytest" in readme
        and "uv run --locked --all-packages pytest" in ci
    )
    assert "codex-core start --repo" in readme
