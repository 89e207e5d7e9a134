"""Real git repositories holding specs, and the real ``codex-core spec-guard`` command, for tests.

"Today" is pinned with ``CODEX_CORE_TODAY`` so that freshness does not depend on the calendar;
commits get fixed dates so that histories are the same on every run.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from codex_core.testing import CliResult, make_repo, run_cli, validate_manifest

TODAY = "2026-11-23"
TODAY_ENV = {"CODEX_CORE_TODAY": TODAY}
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
}  # fmt: skip


def spec(spec_id: str, *, status: str | None = "in-progress", last_review: str | None = TODAY,
         extra: str = "") -> str:  # fmt: skip
    """A spec file's text: front matter with the fields given (None leaves a field out)."""
    lines = [f"id: {spec_id}"]
    if status is not None:
        lines.append(f"status: {status}")
    if last_review is not None:
        lines.append(f"last_review: {last_review}")
    return "---\n" + "\n".join(lines) + "\n" + extra + "---\n\n# " + spec_id + "\n\nBody.\n"


def index(*entries: Mapping[str, Any]) -> str:
    return json.dumps({"version": 1, "specs": list(entries)}, indent=2) + "\n"


def entry(spec_id: str, status: str | None = None, path: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": spec_id,
        "title": f"Spec {spec_id}",
        "path": path or f"tasks/specs/{spec_id}.md",
    }
    if status is not None:
        data["status"] = status
    return data


def spec_repo(path: Path, specs: Mapping[str, str] | None = None,
              files: Mapping[str, str] | None = None) -> Path:  # fmt: skip
    """A committed repo whose index lists ``specs`` (id -> spec text) plus other ``files``."""
    specs = {"0001-core": spec("0001-core")} if specs is None else specs
    content = {"tasks/index.json": index(*(entry(i) for i in specs))}
    content.update({f"tasks/specs/{i}.md": text for i, text in specs.items()})
    content.update({"src/app.py": "VALUE = 1\n", "README.md": "# demo\n"})
    content.update({k: textwrap.dedent(v) for k, v in (files or {}).items()})
    return make_repo(path, content)


def git(repo: Path, *args: str, date: str = "2026-11-20T12:00:00+00:00") -> str:
    env = {**os.environ, **_GIT_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def write(repo: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def commit(repo: Path, files: Mapping[str, str], message: str = "change",
           date: str = "2026-11-21T12:00:00+00:00") -> str:  # fmt: skip
    """Write ``files`` and commit everything; returns the new commit's id."""
    write(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, date=date)
    return git(repo, "rev-parse", "HEAD")


def guard(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> CliResult:
    """``codex-core spec-guard --repo REPO --format json ARGS`` with today pinned."""
    return run_cli(
        "spec-guard",
        "--repo",
        str(repo),
        "--format",
        "json",
        *args,
        env={**TODAY_ENV, **(env or {})},
    )


def guard_text(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> CliResult:
    """``codex-core spec-guard --repo REPO ARGS`` (text output) with today pinned."""
    return run_cli("spec-guard", "--repo", str(repo), *args, env={**TODAY_ENV, **(env or {})})


def guard_json(repo: Path, *args: str, code: int | None = None, **kw: Any) -> dict[str, Any]:
    """Run the guard, check its exit code (when given) and its manifest; returns the JSON output."""
    result = guard(repo, *args, **kw)
    if code is not None:
        assert result.returncode == code, result
    data = result.json()
    validate_manifest(Path(data["manifest"]))
    return data


def rules(data: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """(rule, spec id) of each finding, sorted."""
    return sorted((f["rule"], f["spec"]) for f in data["findings"])


def manifest_of(data: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(Path(data["manifest"]).read_text())


def no_runs(repo: Path) -> bool:
    """Nothing was recorded: bad input must be refused before a run is created."""
    return not list((repo / ".runs").glob("*/cli/*"))
