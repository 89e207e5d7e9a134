"""Printing for the CLI: one JSON object per command under ``--format json``, text otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

format_option = click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="Output format: text for people, json for scripts (one object, stable shape).",
)  # fmt: skip

repo_option = click.option(
    "--repo", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True,
    help="The repository (its .runs/ holds the runs).",
)  # fmt: skip


def resolve_repo(repo: Path) -> Path:
    from ..errors import UsageError

    resolved = repo.resolve()
    if not resolved.is_dir():
        raise UsageError(f"repository {repo} does not exist or is not a directory")
    return resolved


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def print_error(code: str, message: str, *, json_output: bool) -> None:
    if json_output:
        click.echo(json.dumps({"error": {"code": code, "message": message}}))
    else:
        click.secho(f"error: {message}", fg="red", err=True)
