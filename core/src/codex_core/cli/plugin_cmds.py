"""``plugins`` and ``doctor``: what is installed, what loads, and what the environment looks like."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import click

from .. import __version__
from .output import emit_json, format_option, repo_option, resolve_repo


@click.command()
@click.option("--check", is_flag=True, help="Import every plugin and report the ones that fail.")
@format_option
def plugins(check: bool, output_format: str) -> int:
    """List installed plugins (from metadata; --check imports them)."""
    from ..discovery import installed

    infos = installed()
    failures: dict[tuple[str, str], str] = {}
    if check:
        from ..config import Config
        from ..kernel import Kernel

        kernel = Kernel(Path.cwd(), Config.empty())
        for namespace in sorted({i.namespace for i in infos}):
            kernel.load_namespace(namespace)
        failures = {(f.namespace, f.name): f.error for f in kernel.failures}
    rows = []
    for info in infos:
        row = {
            "namespace": info.namespace, "name": info.name, "distribution": info.distribution,
            "version": info.version, "value": info.value, "allowed": info.allowed,
        }  # fmt: skip
        if check:
            error = failures.get((info.namespace, info.name))
            row["status"] = "disabled" if not info.allowed else ("failed" if error else "ok")
            row["error"] = error
        rows.append(row)
    if output_format == "json":
        emit_json({"plugins": rows})
    else:
        for row in rows:
            state = (
                f"  {row['status']}"
                if check
                else ("" if row["allowed"] else "  (disabled by CODEX_CORE_LOAD_PLUGINS)")
            )
            click.echo(
                f"{row['namespace']:<22} {row['name']:<14} {row['distribution']} {row['version']}{state}"
            )
            if row.get("error"):
                click.secho(f"    {row['error']}", fg="red")
    return 1 if check and failures else 0


def _tool_version(name: str, *args: str) -> str | None:
    exe = shutil.which(name)
    if exe is None:
        return None
    try:
        done = subprocess.run([exe, *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (
        (done.stdout or done.stderr).strip().splitlines()[0]
        if (done.stdout or done.stderr).strip()
        else exe
    )


@click.command()
@repo_option
@format_option
def doctor(repo: Path, output_format: str) -> int:
    """Report the environment, the repository's setup and what plugins contribute."""
    from ..discovery import NAMESPACES
    from ..errors import CodexCoreError
    from ..hookspecs import DoctorCheck
    from ..kernel import Kernel

    repo = resolve_repo(repo)
    checks: list[DoctorCheck] = [
        DoctorCheck("codex-core", True, __version__),
        DoctorCheck(
            "python", sys.version_info >= (3, 11), f"{platform.python_version()} ({sys.executable})"
        ),
    ]
    git = _tool_version("git", "--version")
    checks.append(DoctorCheck("git", git is not None, git or "not found on PATH"))
    try:
        kernel = Kernel.for_repo(repo)
    except CodexCoreError as exc:
        checks.append(DoctorCheck("config", False, str(exc)))
        kernel = None
    if kernel is not None:
        config_path = kernel.config.path
        checks.append(
            DoctorCheck("config", True, str(config_path) if config_path else "none (defaults)")
        )
        for namespace in NAMESPACES:
            kernel.load_namespace(namespace)
        adapters = [n for n, a in sorted(kernel.adapters().items()) if _safe_matches(a, repo)]
        checks.append(
            DoctorCheck("adapters", True, ", ".join(adapters) or "none recognise this repository")
        )
        for failure in kernel.failures:
            checks.append(
                DoctorCheck(f"plugin {failure.namespace}:{failure.name}", False, failure.error)
            )
        try:
            checks.extend(kernel.doctor_checks())
        except Exception as exc:  # a plugin's check raising is itself a finding
            checks.append(
                DoctorCheck("plugin doctor checks", False, f"{type(exc).__name__}: {exc}")
            )
    ok = all(c.ok for c in checks)
    if output_format == "json":
        emit_json(
            {
                "ok": ok,
                "repo": str(repo),
                "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks],
            }
        )
    else:
        for c in checks:
            mark = click.style("ok  ", fg="green") if c.ok else click.style("FAIL", fg="red")
            click.echo(f"{mark} {c.name}: {c.detail}")
    return 0 if ok else 1


def _safe_matches(adapter: object, repo: Path) -> bool:
    try:
        return bool(adapter.matches(repo))  # type: ignore[attr-defined]
    except Exception:
        return False
