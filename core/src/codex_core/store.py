"""The run store: where runs live on disk and how one is found.

Layout, under the repository::

    .runs/.gitignore                      "*": runs never show up in the repo's diff
    .runs/.index/<run-id>                 the task id: finds a run in O(1), never by scanning
    .runs/<task>/cli/<run-id>/            the run dir (manifest.json, events.jsonl, runner.log,
                                          commands/, errors/, .heartbeat, .resume-token, ...)
    .runs/<task>/mcp/<run-id>/manifest.json   a redirect stub for scripts written for the original
                                          tool's layout; status and resume follow it
    .runs/<task>/metrics.jsonl            one line per terminal transition of a run

Nothing here grows with the number of runs and is rewritten per run. Every id is validated
before a path is built from it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import attrs

from . import clock
from .atomic import AtomicBatch, write_atomic
from .errors import ManifestError, UnknownRunError
from .ids import new_run_id, validate_id
from .paths import repo_relative

RUNS_DIR = ".runs"
INDEX_DIR = ".index"
TOKEN_FILE = ".resume-token"
COMPAT_NOTE = "codex-core keeps run artifacts under cli/; this stub points there for older scripts."


@attrs.frozen
class RunPaths:
    """The files of one run."""

    repo: Path
    task_id: str
    run_id: str
    dir: Path

    manifest = property(lambda self: self.dir / "manifest.json")
    events = property(lambda self: self.dir / "events.jsonl")
    runner_log = property(lambda self: self.dir / "runner.log")
    heartbeat = property(lambda self: self.dir / ".heartbeat")
    token = property(lambda self: self.dir / TOKEN_FILE)
    control = property(lambda self: self.dir / "control.json")
    commands_dir = property(lambda self: self.dir / "commands")
    errors_dir = property(lambda self: self.dir / "errors")

    def rel(self, path: Path) -> str:
        """``path`` relative to the repository, POSIX style (as manifests record paths)."""
        return repo_relative(self.repo, path)

    def read_token(self) -> str:
        return self.token.read_text().strip()


class RunStore:
    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.root = repo / RUNS_DIR

    def task_dir(self, task_id: str) -> Path:
        return self.root / validate_id(task_id, "task id")

    def metrics_path(self, task_id: str) -> Path:
        return self.task_dir(task_id) / "metrics.jsonl"

    def approvals_path(self) -> Path:
        return self.root / "approvals.jsonl"

    def _ensure_root(self) -> None:
        (self.root / INDEX_DIR).mkdir(parents=True, exist_ok=True)
        ignore = self.root / ".gitignore"
        if not ignore.exists():
            write_atomic(ignore, "*\n")

    def create(self, task_id: str, batch: AtomicBatch | None = None) -> RunPaths:
        """Make a new run dir with its index pointer, compatibility stub and resume token.

        With ``batch``, the token and the stub are added to it and the caller commits it (with
        :meth:`index_dir` in ``sync_first``) once it has added the run's other first files, so
        all are fsynced together; without, they are committed here.
        """
        validate_id(task_id, "task id")
        self._ensure_root()
        # The index pointer is written first and claims the id: a run killed at any later instant
        # can still be found by id (and then reads as not started).
        while True:
            run_id = new_run_id()
            if self._claim(run_id, task_id):
                break
        run_dir = self.task_dir(task_id) / "cli" / run_id
        run_dir.mkdir(parents=True)
        paths = RunPaths(self.repo, task_id, run_id, run_dir)
        paths.commands_dir.mkdir()
        paths.errors_dir.mkdir()
        own_batch = batch is None
        batch = AtomicBatch() if batch is None else batch
        # os.urandom is the CSPRNG that secrets.token_hex reads; the secrets module itself (and
        # the random, hashlib and base64 it imports) is not worth importing on every start.
        # Entries of the run dir become durable with the queued manifest's directory fsync.
        batch.add(paths.token, os.urandom(32).hex() + "\n", mode=0o600, sync_directory=False)
        stub_dir = self.task_dir(task_id) / "mcp" / run_id
        stub_dir.mkdir(parents=True)
        stub = {
            "redirect_to": paths.rel(run_dir),
            "manifest": paths.rel(paths.manifest),
            "created_at": clock.now(),
            "note": COMPAT_NOTE,
        }
        # A compatibility stub lost to a power cut is harmless: no directory fsync for it.
        batch.add(
            stub_dir / "manifest.json", json.dumps(stub, indent=2) + "\n", sync_directory=False
        )
        if own_batch:
            batch.commit(sync_first=[self.index_dir()])
        return paths

    def index_dir(self) -> Path:
        return self.root / INDEX_DIR

    def _claim(self, run_id: str, task_id: str) -> bool:
        """Create ``.index/<run-id>`` atomically and exclusively; False if the id is taken.

        The pointer's content is fsynced before it is linked into place; the directory entry is
        made durable by the batch that writes the run's first files (``sync_first``), before
        any of them appears.
        """
        index = self.index_dir()
        tmp = index / f".{run_id}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, (task_id + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, index / run_id)
        except FileExistsError:
            return False
        finally:
            tmp.unlink()
        return True

    def locate(self, ref: str) -> RunPaths:
        """Find a run by id (O(1), through the index) or by the path of a manifest or stub."""
        if "/" in ref or ref.endswith(".json"):
            return self._locate_by_path(Path(ref))
        run_id = validate_id(ref, "run id")
        try:
            task_id = (self.root / INDEX_DIR / run_id).read_text().strip()
        except FileNotFoundError:
            raise UnknownRunError(f"no run {run_id!r} in {self.root}") from None
        validate_id(task_id, "task id")
        run_dir = self.task_dir(task_id) / "cli" / run_id
        return RunPaths(self.repo, task_id, run_id, run_dir)

    def _locate_by_path(self, path: Path) -> RunPaths:
        path = path if path.is_absolute() else Path.cwd() / path
        if path.is_dir():
            path = path / "manifest.json"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise UnknownRunError(f"no manifest at {path}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ManifestError(f"{path}: not valid JSON ({exc})") from None
        if isinstance(data, dict) and "redirect_to" in data:
            target = data.get("redirect_to")
            if not isinstance(target, str):
                raise ManifestError(f"{path}: 'redirect_to' must be a string")
            run_id = Path(target).name
            return self.locate(run_id)
        if not isinstance(data, dict) or not isinstance(data.get("run_id"), str):
            raise ManifestError(f"{path}: not a codex-core manifest (no 'run_id')")
        return self.locate(data["run_id"])

    def runs(self, task_id: str | None = None) -> Iterator[RunPaths]:
        """Every run (of ``task_id`` when given), newest first. Listing is the one O(n) operation."""
        if not self.root.is_dir():
            return
        tasks = (
            [task_id]
            if task_id
            else sorted(
                entry.name
                for entry in os.scandir(self.root)
                if entry.is_dir() and not entry.name.startswith(".")
            )
        )
        found: list[RunPaths] = []
        for task in tasks:
            cli = self.task_dir(task) / "cli"
            if cli.is_dir():
                found.extend(
                    RunPaths(self.repo, task, e.name, Path(e.path))
                    for e in os.scandir(cli)
                    if e.is_dir()
                )
        found.sort(key=lambda p: p.run_id, reverse=True)
        yield from found
