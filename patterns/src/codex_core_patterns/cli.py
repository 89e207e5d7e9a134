"""``codex-core patterns``: list the learning library, apply a codemod, run lint rules, render a template.

Contributed to the ``codex-core`` command by :mod:`codex_core_patterns.plugin`. Importing this
module costs click only: libcst is imported by a command that has a file to parse.

Exit codes: 0 nothing failed; 1 a file failed (or, for ``lint``, there are findings); 2 bad input
(an unknown asset, an unknown option, a path that is missing or outside the repository).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["patterns"]

_KINDS = ("codemod", "linter", "template")


def _format_option(*choices: str) -> Any:
    return click.option(
        "--format", "output_format", type=click.Choice(["text", *choices]), default="text",
        show_default=True, help="Output format: text for people, " + ", ".join(choices) + " for tools.",
    )  # fmt: skip


_repo_option = click.option(
    "--repo", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True,
    help="The repository: every path must be inside it.",
)  # fmt: skip
_jobs_option = click.option(
    "--jobs", "-j", type=click.IntRange(min=1), default=None,
    help="Worker processes (default: the CPUs this process may use).",
)  # fmt: skip
_paths_argument = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))


def _repo(repo: Path) -> Path:
    from codex_core.errors import UsageError

    resolved = repo.resolve()
    if not resolved.is_dir():
        raise UsageError(f"repository {repo} does not exist or is not a directory")
    return resolved


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    from codex_core.errors import UsageError

    out: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{what} {value!r} is not KEY=VALUE")
        out[key.strip()] = rest
    return out


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


class _Progress:
    """A live file count on a terminal's stderr; nothing when stderr is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.done = 0

    def __call__(self, result: Any) -> None:
        self.done += 1
        if self.enabled and self.done % 25 == 0:
            click.echo(f"\r  {self.done} files", nl=False, err=True)

    def clear(self) -> None:
        if self.enabled and self.done >= 25:
            click.echo("\r\033[2K", nl=False, err=True)


def _status_line(result: Any) -> str:
    detail = (
        f": {result.error}" if result.error else (f" ({result.reason})" if result.reason else "")
    )
    return f"{result.status:<10} {result.path}{detail}"


@click.group(name="patterns")
def patterns() -> None:
    """The learning library: codemods, lint rules and templates."""


@patterns.command(name="list")
@click.option("--kind", type=click.Choice(_KINDS), default=None, help="Only assets of this kind.")
@_format_option("json")
def list_assets(kind: str | None, output_format: str) -> int:
    """List the installed assets with their versions (codemods, lint rules, templates)."""
    from codex_core import discovery

    from .assets import KIND_BY_NAMESPACE

    infos = {(i.namespace, i.name): i for i in discovery.installed(KIND_BY_NAMESPACE)}
    rows: list[dict[str, Any]] = []
    failures: list[dict[str, str]] = []
    for namespace, asset_kind in KIND_BY_NAMESPACE.items():
        if kind and asset_kind != kind:
            continue
        objects, failed = discovery.load(namespace)
        failures += [{"kind": asset_kind, "id": f.name, "error": f.error} for f in failed]
        for name, asset in sorted(objects.items()):
            info = infos.get((namespace, name))
            rows.append(
                {
                    "id": name, "kind": asset_kind, "version": getattr(asset, "version", None),
                    "description": getattr(asset, "description", ""), "usage": getattr(asset, "usage", ""),
                    "entry": info.value if info else None,
                    "distribution": info.distribution if info else None,
                }
            )  # fmt: skip
    if output_format == "json":
        _emit_json({"assets": rows, "failures": failures})
    else:
        for row in rows:
            click.echo(f"{row['kind']:<9} {row['id']:<24} {row['version']:<8} {row['description']}")
        for failure in failures:
            click.secho(
                f"{failure['kind']:<9} {failure['id']:<24} failed to load: {failure['error']}",
                fg="red",
                err=True,
            )
    return 1 if failures else 0


@patterns.command()
@click.argument("name")
@_paths_argument
@_repo_option
@_jobs_option
@click.option(
    "--dry-run", is_flag=True, help="Print the unified diff of each change; write nothing."
)
@click.option(
    "--option", "-o", "raw_options", multiple=True, metavar="KEY=VALUE",
    help="A codemod option (repeatable); lists are comma-separated: -o receivers=bus,hub.",
)  # fmt: skip
@click.option("--verbose", "-v", is_flag=True, help="List unchanged and skipped files too.")
@_format_option("json")
def apply(
    name: str, paths: tuple[Path, ...], repo: Path, jobs: int | None, dry_run: bool,
    raw_options: tuple[str, ...], verbose: bool, output_format: str,
) -> int:  # fmt: skip
    """Apply codemod NAME to PATHS (default: the repository's Python files).

    NAME is an installed codemod (see `patterns list`) or module:Class for a one-off libcst
    codemod class. Each file is reported applied, unchanged, skipped or failed.
    """
    from .runner import apply_codemod

    root = _repo(repo)
    text = output_format == "text"
    progress = _Progress(text)
    stream_err = dry_run  # with --dry-run stdout is the diff alone

    def on_result(result: Any) -> None:
        progress(result)
        if text and (verbose or result.status in ("applied", "failed")) and not dry_run:
            progress.clear()
            click.echo(_status_line(result))

    report = apply_codemod(
        root, name, list(paths) or None, base=Path.cwd(), jobs=jobs, dry_run=dry_run,
        options=_pairs(raw_options, "option"), on_result=on_result,
    )  # fmt: skip
    progress.clear()
    if not text:
        _emit_json(report.to_json())
        return report.exit_code
    for result in report.files:
        if dry_run and result.diff:
            click.echo(result.diff, nl=False)
        if stream_err and (verbose or result.status == "failed"):
            click.echo(_status_line(result), err=True)
    click.echo(
        f"{report.summary()} in {report.duration_seconds:.2f}s ({report.jobs} jobs)",
        err=stream_err,
    )
    return report.exit_code


@patterns.command(name="lint")
@_paths_argument
@_repo_option
@click.option(
    "--rule",
    "rules",
    multiple=True,
    metavar="NAME",
    help="Only this rule (repeatable; default: every installed rule).",
)
@_jobs_option
@_format_option("json", "sarif")
def lint_command(
    paths: tuple[Path, ...],
    repo: Path,
    rules: tuple[str, ...],
    jobs: int | None,
    output_format: str,
) -> int:
    """Run lint rules on PATHS (default: the repository's Python files).

    Exits 1 when there are findings or a file could not be checked.
    """
    from .runner import lint

    root = _repo(repo)
    progress = _Progress(output_format == "text")
    report = lint(
        root,
        list(rules) or None,
        list(paths) or None,
        base=Path.cwd(),
        jobs=jobs,
        on_result=progress,
    )
    progress.clear()
    if output_format == "json":
        _emit_json(report.to_json())
    elif output_format == "sarif":
        from importlib.metadata import version

        from .sarif import to_sarif

        _emit_json(to_sarif(report, tool_version=version("codex-core-patterns")))
    else:
        for finding in report.findings:
            click.echo(
                f"{finding.path}:{finding.line}:{finding.column}: {finding.rule} {finding.message}"
            )
        for result in report.failed:
            click.secho(_status_line(result), fg="red", err=True)
        for note in report.notes:
            click.secho(note, fg="yellow", err=True)
        click.echo(f"{report.summary()} in {report.duration_seconds:.2f}s ({report.jobs} jobs)")
    return report.exit_code


@patterns.command()
@click.argument("name")
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Fill the run's fields from this manifest.json.",
)
@click.option(
    "--set",
    "values",
    multiple=True,
    metavar="FIELD=VALUE",
    help="A field's value (repeatable); wins over the manifest.",
)
@_format_option("json")
def render(name: str, manifest: Path | None, values: tuple[str, ...], output_format: str) -> int:
    """Render template NAME; fields not given stay visible as ${field}."""
    from codex_core.errors import UsageError

    from .assets import find_asset
    from .templates import manifest_fields

    template = find_asset("template", name)
    fields: dict[str, str] = {}
    if manifest is not None:
        try:
            data = json.loads(manifest.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise UsageError(f"cannot read manifest {manifest}: {exc}") from None
        if not isinstance(data, dict):
            raise UsageError(f"{manifest} is not a run manifest (not a JSON object)")
        fields.update(manifest_fields(data))
    given = _pairs(values, "field")
    unknown = sorted(set(given) - set(template.fields))
    if unknown:
        raise UsageError(
            f"template {name} has no field(s) {', '.join(unknown)} (fields: {', '.join(template.fields)})"
        )
    fields.update(given)
    text = template.render(fields)
    missing = [f for f in template.fields if f not in fields]
    if output_format == "json":
        _emit_json(
            {"template": template.id, "version": template.version, "missing": missing, "text": text}
        )
    else:
        click.echo(text, nl=False)
    return 0
