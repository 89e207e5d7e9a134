"""docs/roles.md carries the real ``codex-core run --help`` (regenerate with
CODEX_CORE_UPDATE_DOCS=1 after changing the command)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from codex_core.testing import run_cli

DOC = Path(__file__).resolve().parents[3] / "docs" / "roles.md"
BEGIN, END = "<!-- BEGIN GENERATED HELP -->", "<!-- END GENERATED HELP -->"


def test_the_run_reference_matches_the_command():
    text = run_cli("run", "--help", env={"COLUMNS": "100"}).stdout
    fresh = f"{BEGIN}\n```text\n$ codex-core run --help\n{text}```\n{END}"
    doc = DOC.read_text()
    current = re.search(re.escape(BEGIN) + ".*?" + re.escape(END), doc, re.S)
    assert current, "docs/roles.md lost its generated-help markers"
    if os.environ.get("CODEX_CORE_UPDATE_DOCS"):
        DOC.write_text(doc.replace(current.group(0), fresh))
        return
    assert current.group(0) == fresh, "docs/roles.md is stale: rerun with CODEX_CORE_UPDATE_DOCS=1"
