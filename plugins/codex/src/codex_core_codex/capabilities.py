"""What the installed Codex CLI is and accepts, asked of the binary itself.

Codex changes quickly: ``mcp-server`` is gone after 0.153, ``on-failure`` is no longer an
approval policy in 0.169, and the CLI's ``--help`` hides values the app-server still accepts
(``untrusted``). So nothing here is a table of versions: each fact comes from the binary.

- the version: ``codex --version`` (``codex-cli 0.169.0``);
- the backends: the subcommands ``codex --help`` lists (``app-server``, ``exec``,
  ``mcp-server``) and whether ``codex exec --help`` offers ``--json``;
- the sandbox modes and approval policies the app-server accepts: the JSON Schema that
  ``codex app-server generate-json-schema`` writes (``ThreadStartParams``), falling back to the
  values ``--help`` lists for ``--sandbox`` / ``--ask-for-approval``.

Probing costs a second or two (the schema generation), so results are cached on disk per binary
(its resolved path and version line) in ``$XDG_CACHE_HOME/codex-core/``; only ``--version`` runs
again, to notice an upgrade in place. Probes run with an empty, throwaway ``CODEX_HOME``: they
read no user configuration and reach for no network.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from codex_core.atomic import write_atomic

from .binary import CodexBinary

PROBE_TIMEOUT = 30.0
CACHE_FORMAT = 1
#: the backend names this plugin registers, and the subcommand each needs
BACKEND_SUBCOMMANDS = {"codex": "app-server", "codex-exec": "exec", "codex-mcp": "mcp-server"}


class ProbeError(Exception):
    """The binary did not answer a probe the way a Codex CLI does."""


@attrs.frozen
class CodexCapabilities:
    binary: str
    version_line: str
    version: str
    subcommands: tuple[str, ...]
    exec_json: bool
    strict_config: bool
    #: sandbox modes the app-server's thread/start accepts (else the CLI's --sandbox values)
    sandbox_modes: tuple[str, ...]
    #: approval policies the app-server's thread/start accepts (else the CLI's values)
    approval_policies: tuple[str, ...]
    #: approval policies ``--ask-for-approval`` lists (what exec and mcp-server accept)
    cli_approval_policies: tuple[str, ...]

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", self.version)[:3])

    def supports(self, backend: str) -> bool:
        if backend == "codex-exec":
            return "exec" in self.subcommands and self.exec_json
        sub = BACKEND_SUBCOMMANDS.get(backend)
        return sub is not None and sub in self.subcommands

    def backends(self) -> dict[str, bool]:
        return {name: self.supports(name) for name in BACKEND_SUBCOMMANDS}

    def approvals_for(self, backend: str) -> tuple[str, ...]:
        """The approval policies ``backend`` can use with this version."""
        if backend == "codex":
            return self.approval_policies
        if backend == "codex-exec":  # nobody can answer an approval request of `codex exec`
            return ("never",) if "never" in self.cli_approval_policies else ()
        return self.cli_approval_policies


_memo: dict[tuple[str, int, int], CodexCapabilities] = {}


def probe(binary: CodexBinary, env: Mapping[str, str] | None = None) -> CodexCapabilities:
    """The capabilities of ``binary`` (cached); raises :class:`ProbeError`."""
    real = binary.path.resolve()
    try:
        stat = real.stat()
    except OSError as exc:
        raise ProbeError(f"{binary.path}: {exc.strerror}") from None
    memo_key = (os.fspath(real), stat.st_size, stat.st_mtime_ns)
    if memo_key in _memo:
        return _memo[memo_key]
    with tempfile.TemporaryDirectory(prefix="codex-core-probe-") as home:
        run = _Runner(binary, env, Path(home))
        lines = run("--version").strip().splitlines()
        version_line = lines[-1] if lines else ""
        cache_key = f"{real}|{version_line}"
        caps = _cached(cache_key)
        if caps is None:
            caps = _probe(run, binary, version_line)
            _write_cache(cache_key, caps)
    _memo[memo_key] = caps
    return caps


def _cached(key: str) -> CodexCapabilities | None:
    found = _read_cache().get(key)
    if not isinstance(found, dict):
        return None
    try:
        return CodexCapabilities(**{**found, **_tuples(found)})
    except TypeError:  # written by another version of this plugin
        return None


def _tuples(data: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) for k, v in data.items() if isinstance(v, list)}


class _Runner:
    def __init__(self, binary: CodexBinary, env: Mapping[str, str] | None, home: Path) -> None:
        self.binary = binary
        base = dict(os.environ if env is None else env)
        self.env = {**base, "CODEX_HOME": os.fspath(home), "NO_COLOR": "1", "COLUMNS": "200"}
        self.home = home

    def __call__(self, *args: str, check: bool = True) -> str:
        try:
            done = subprocess.run(
                [*self.binary.argv, *args], capture_output=True, text=True, env=self.env,
                stdin=subprocess.DEVNULL, timeout=PROBE_TIMEOUT, cwd=self.home,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ProbeError(f"`{self.binary.path} {' '.join(args)}` failed: {exc}") from None
        if check and done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise ProbeError(
                f"`{self.binary.path} {' '.join(args)}` exited {done.returncode}: {' / '.join(tail)}"
            )
        return done.stdout


def _probe(run: _Runner, binary: CodexBinary, version_line: str) -> CodexCapabilities:
    match = re.search(r"(\d+\.\d+\.\d+\S*)", version_line)
    if not version_line.startswith("codex") or match is None:
        raise ProbeError(f"{binary.path} does not look like the Codex CLI: {version_line!r}")
    top = run("--help")
    subcommands = tuple(_subcommands(top))
    exec_help = run("exec", "--help", check=False) if "exec" in subcommands else ""
    sandbox = _possible_values(top, "--sandbox")
    cli_approvals = _listed_values(top, "--ask-for-approval")
    server_sandbox: tuple[str, ...] = ()
    server_approvals: tuple[str, ...] = ()
    strict = "--strict-config" in top or "--strict-config" in exec_help
    if "app-server" in subcommands:
        server_sandbox, server_approvals = _schema_values(run)
    return CodexCapabilities(
        binary=os.fspath(binary.path),
        version_line=version_line,
        version=match.group(1),
        subcommands=subcommands,
        exec_json=bool(re.search(r"^\s+--json\b", exec_help, re.M)),
        strict_config=strict,
        sandbox_modes=server_sandbox or sandbox,
        approval_policies=server_approvals or cli_approvals,
        cli_approval_policies=cli_approvals,
    )


def _subcommands(help_text: str) -> list[str]:
    names: list[str] = []
    inside = False
    for line in help_text.splitlines():
        if line.strip() == "Commands:":
            inside = True
            continue
        if inside:
            if not line.strip():
                break
            match = re.match(r"^  ([a-z][a-z0-9-]*)\s", line)
            if match:
                names.append(match.group(1))
    return names


def _option_block(help_text: str, option: str) -> str:
    """The help text of ``option``: from its line to the next option's line."""
    lines = help_text.splitlines()
    for i, line in enumerate(lines):
        if re.match(rf"^\s+(-\w, )?{re.escape(option)}\b", line):
            block = [line]
            for rest in lines[i + 1 :]:
                if re.match(r"^\s{1,6}-", rest) and not re.match(r"^\s+- ", rest):
                    break
                block.append(rest)
            return "\n".join(block)
    return ""


def _possible_values(help_text: str, option: str) -> tuple[str, ...]:
    block = " ".join(_option_block(help_text, option).split())
    match = re.search(r"\[possible values: ([^\]]+)\]", block)
    return tuple(v.strip() for v in match.group(1).split(",")) if match else ()


def _listed_values(help_text: str, option: str) -> tuple[str, ...]:
    """Values clap lists one a line (``- on-request: ...``), or in ``[possible values: ...]``."""
    block = _option_block(help_text, option)
    listed = tuple(re.findall(r"^\s+- ([a-z][a-z-]*):", block, re.M))
    return listed or _possible_values(help_text, option)


def _schema_values(run: _Runner) -> tuple[tuple[str, ...], tuple[str, ...]]:
    out = run.home / "schema"
    try:
        run("app-server", "generate-json-schema", "--out", os.fspath(out))
        schema = json.loads((out / "v2" / "ThreadStartParams.json").read_text())
    except (ProbeError, OSError, ValueError):
        return (), ()
    definitions = schema.get("definitions", {})
    sandbox = tuple(definitions.get("SandboxMode", {}).get("enum", ()))
    approvals: list[str] = []
    for variant in definitions.get("AskForApproval", {}).get("oneOf", ()):
        approvals.extend(variant.get("enum", ()))
    return sandbox, tuple(approvals)


def cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "codex-core" / "codex-capabilities.json"


def _read_cache() -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(cache_path().read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def _write_cache(key: str, caps: CodexCapabilities) -> None:
    entries = _read_cache()
    entries[key] = attrs.asdict(caps)
    path = cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps({"format": CACHE_FORMAT, "entries": entries}, indent=1))
    except OSError:
        pass  # a cache we cannot write costs time, not correctness
