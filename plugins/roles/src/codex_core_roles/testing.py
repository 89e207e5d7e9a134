"""Conformance checks for agent backends (``codex_core.backends``) and roles (``codex_core.roles``).

Use them from a plugin's test suite (pytest in trio mode: the checks are async)::

    from codex_core.testing import make_repo
    from codex_core_roles.testing import backend_context_for, check_backend, check_role

    async def test_my_backend_conforms(tmp_path):
        repo = make_repo(tmp_path / "repo", {"README.md": "demo\\n"})
        request = TurnRequest(prompt="write notes.txt, then cat it", cwd=repo)
        result = await check_backend(MyBackend(model=scripted), backend_context_for(repo), request)
        assert [c.path for c in result.file_changes] == ["notes.txt"]

    async def test_my_role_conforms(tmp_path):
        repo = make_repo(tmp_path / "repo", {"README.md": "demo\\n"})
        manifest = await check_role(MyRole(), repo, backend=AgentsBackend(model=scripted))
        assert manifest["commands"][0]["agent_turns"][0]["status"] == "completed"

Everything is real, as in :mod:`codex_core.testing`: the backend opens a real session and runs a
real turn (only the model behind it is the author's scripted one), a role runs through the real
``role`` stage kind in a real one-stage run of the kernel. A check raises ``AssertionError``
saying what is wrong.
"""

from __future__ import annotations

import inspect
import json
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import attrs
from codex_core.backend_api import (
    BackendContext,
    CommandExecution,
    FileChange,
    TokenUsage,
    TurnRequest,
    TurnResult,
)
from codex_core.errors import CodexCoreError
from codex_core.hookspecs import Action, Veto
from codex_core.paths import is_contained
from codex_core.stage_api import StageOutcome

from .backends import NAMESPACE as BACKENDS_NAMESPACE
from .goal import Goal
from .pipeline import KIND
from .stage import ROLES_NAMESPACE

__all__ = ["backend_context_for", "check_backend", "check_role"]

#: ``TurnResult.status``
TURN_STATUSES = ("completed", "failed", "interrupted")
#: ``CommandExecution.status``: run to its end, failed (or timed out), declined by the guardrail
#: vote, still running when the turn ended (Codex's ``in-progress``)
COMMAND_STATUSES = ("completed", "failed", "declined", "in-progress")
#: ``FileChange.kind``
CHANGE_KINDS = ("add", "update", "delete")
#: ``agent_turns[].status``: a turn's status, or ``stopped`` (a budget stopped it)
NOTE_STATUSES = (*TURN_STATUSES, "stopped")
TOKEN_FIELDS = ("input_tokens", "output_tokens", "total_tokens")


def backend_context_for(
    repo: Path,
    *,
    stage_id: str = "conformance",
    run_id: str = "conformance",
    run_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    kernel: Any = None,
) -> BackendContext:
    """A :class:`BackendContext` for a session in ``repo`` (a real git repo, e.g. from
    :func:`codex_core.testing.make_repo`), wired as a run wires it: ``approve`` is a real kernel's
    guardrail vote (``Kernel.for_repo(repo)``, its guardrails loaded, unless ``kernel`` is
    given), ``config`` that kernel's config, the log goes to ``<run_dir>/<stage_id>.log`` and the
    events to ``<run_dir>/events.jsonl`` (``run_dir`` defaults to ``<repo>/.runs/conformance``).
    ``env`` defaults to ``os.environ``."""
    from codex_core.kernel import Kernel

    if kernel is None:
        kernel = Kernel.for_repo(repo)
        kernel.guardrails()
    run_dir = run_dir or repo / ".runs" / "conformance"
    run_dir.mkdir(parents=True, exist_ok=True)
    log_path, events_path = run_dir / f"{stage_id}.log", run_dir / "events.jsonl"

    def log(text: str) -> None:
        with log_path.open("a", encoding="utf-8") as f:
            f.write(text)

    def event(name: str, /, **fields: Any) -> None:
        line = json.dumps({"event": name, "stage_id": stage_id, **fields}, default=str)
        with events_path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")

    async def approve(action: Action) -> list[Veto]:
        return kernel.vote(action)

    return BackendContext(
        repo=repo, run_dir=run_dir, run_id=run_id, stage_id=stage_id,
        env=dict(os.environ if env is None else env), log=log, event=event, approve=approve,
        config=kernel.config,
    )  # fmt: skip


# -- backends ---------------------------------------------------------------------------------


async def check_backend(
    backend: Any,
    ctx: BackendContext,
    request: TurnRequest,
    *,
    require_command_votes: bool = False,
) -> TurnResult:
    """Open a real session of ``backend`` with ``ctx``, run one real turn of ``request`` in it,
    close the session, and check what the backend promises (:mod:`codex_core.backend_api`).

    ``backend`` is the object (or class) its ``codex_core.backends`` entry point names. Checks:

    - it has a non-empty ``name`` and ``session(ctx)`` returns an async context manager whose
      session has ``turn(request)`` returning an awaitable; opening the session, the turn and
      closing the session raise nothing;
    - the :class:`TurnResult` is well formed: ``status`` one of ``completed``, ``failed``,
      ``interrupted``; ``reply``, ``error``, ``reason`` text or None; ``details`` a JSON object;
      ``commands`` a tuple of :class:`CommandExecution` (a non-empty command, an int or None exit
      code, a known status, a completed command with its exit code); ``file_changes`` a tuple of
      :class:`FileChange` whose paths are relative and inside the work tree (``ctx.repo``, not
      through ``..``, a symlink or into ``.git``: :func:`codex_core.paths.is_contained`) with
      kind ``add``, ``update`` or ``delete``; ``usage`` None or a :class:`TokenUsage` of whole,
      non-negative token counts;
    - a ``completed`` turn has no command whose last run failed and none still running (a turn
      whose commands failed is a failed turn, whatever the reply says);
    - everything put to ``ctx.approve`` is a :class:`~codex_core.hookspecs.Action`;
    - with ``require_command_votes``: every command the result reports was first put to the
      guardrail vote (``ctx.approve``, an Action of kind ``command`` with that command line), and
      every command it reports as run was allowed by it. The protocol promises this only for
      the commands an agent asks approval for, so it is opt-in: the agents backend votes on every
      ``run_command``, a Codex under ``approval_policy = "never"`` runs commands in its sandbox
      without asking.

    Returns the TurnResult, for the caller's own assertions.
    """
    backend = backend() if isinstance(backend, type) else backend
    name = getattr(backend, "name", None)
    assert isinstance(name, str) and name.strip(), (
        f"{backend!r}: a backend needs a non-empty `name` (the name its codex_core.backends "
        "entry point gives it)"
    )
    where = f"backend {name!r}"
    assert callable(getattr(backend, "session", None)), f"{where} has no session(ctx)"
    assert isinstance(ctx, BackendContext), f"ctx must be a BackendContext, got {ctx!r}"
    assert isinstance(request, TurnRequest), f"request must be a TurnRequest, got {request!r}"

    votes: list[tuple[Any, list[Veto]]] = []

    async def approve(action: Action) -> list[Veto]:
        vetoes = list(await ctx.approve(action))
        votes.append((action, vetoes))
        return vetoes

    try:
        manager = backend.session(attrs.evolve(ctx, approve=approve))
    except Exception as err:
        raise AssertionError(f"{where}: session(ctx) raised {type(err).__name__}: {err}") from err
    assert callable(getattr(manager, "__aenter__", None)) and callable(
        getattr(manager, "__aexit__", None)
    ), f"{where}: session(ctx) must return an async context manager, got {manager!r}"
    step = "opening a session"
    result: Any = None
    try:
        async with manager as session:
            step = "starting a turn"
            turn = getattr(session, "turn", None)
            assert callable(turn), f"{where}: its session {session!r} has no turn(request)"
            pending = turn(request)
            assert inspect.isawaitable(pending), f"{where}: session.turn(request) must be async"
            step = "the turn"
            result = await pending
            step = "closing the session"
    except AssertionError:
        raise
    except Exception as err:
        raise AssertionError(f"{where}: {step} raised {type(err).__name__}: {err}") from err

    _check_turn_result(where, result, Path(ctx.repo))
    bad = [action for action, _ in votes if not isinstance(action, Action)]
    assert not bad, f"{where}: ctx.approve takes a codex_core.hookspecs.Action, got {bad[0]!r}"
    if require_command_votes:
        _check_command_votes(where, result, votes)
    return result


def _check_turn_result(where: str, result: Any, root: Path) -> None:
    assert isinstance(result, TurnResult), (
        f"{where}: turn() must return a TurnResult, got {result!r}"
    )
    assert result.status in TURN_STATUSES, (
        f"{where}: TurnResult.status {result.status!r} is not one of {', '.join(TURN_STATUSES)}"
    )
    for field in ("reply", "error", "reason"):
        value = getattr(result, field)
        assert value is None or isinstance(value, str), (
            f"{where}: TurnResult.{field} must be text or None, got {value!r}"
        )
    assert isinstance(result.details, dict), f"{where}: TurnResult.details must be a dict"
    try:
        json.dumps(result.details)
    except (TypeError, ValueError) as err:
        raise AssertionError(
            f"{where}: TurnResult.details must be JSON (roles put it in manifests and error "
            f"artifacts): {err}"
        ) from None

    assert isinstance(result.commands, tuple), f"{where}: TurnResult.commands must be a tuple"
    for command in result.commands:
        assert isinstance(command, CommandExecution), (
            f"{where}: a command must be a CommandExecution, got {command!r}"
        )
        assert isinstance(command.command, str) and command.command.strip(), (
            f"{where}: a command with no command line: {command!r}"
        )
        assert command.exit_code is None or _whole(command.exit_code), (
            f"{where}: command {command.command!r}: exit code must be an int or None, "
            f"got {command.exit_code!r}"
        )
        assert command.status in COMMAND_STATUSES, (
            f"{where}: command {command.command!r}: status {command.status!r} is not one of "
            f"{', '.join(COMMAND_STATUSES)}"
        )
        assert command.status != "completed" or command.exit_code is not None, (
            f"{where}: command {command.command!r} is completed but has no exit code"
        )
        assert isinstance(command.output_tail, str), (
            f"{where}: command {command.command!r}: output_tail must be text"
        )

    assert isinstance(result.file_changes, tuple), (
        f"{where}: TurnResult.file_changes must be a tuple"
    )
    for change in result.file_changes:
        assert isinstance(change, FileChange), (
            f"{where}: a file change must be a FileChange, got {change!r}"
        )
        path = change.path
        assert isinstance(path, str) and path.strip(), (
            f"{where}: a file change with no path: {change!r}"
        )
        assert not (PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute()), (
            f"{where}: changed path {path!r} must be relative to the work tree"
        )
        assert is_contained(root, path), (
            f"{where}: changed path {path!r} is outside the work tree {root} (or inside .git)"
        )
        assert change.kind in CHANGE_KINDS, (
            f"{where}: change of {path!r}: kind {change.kind!r} is not one of {', '.join(CHANGE_KINDS)}"
        )

    if result.usage is not None:
        assert isinstance(result.usage, TokenUsage), (
            f"{where}: TurnResult.usage must be a TokenUsage or None, got {result.usage!r}"
        )
        for field in TOKEN_FIELDS:
            value = getattr(result.usage, field)
            assert _whole(value) and value >= 0, (
                f"{where}: usage.{field} is {value!r}: token counts are whole numbers, never negative"
            )

    if result.status == "completed":
        last: dict[str, CommandExecution] = {}
        for command in result.commands:  # the last run of a command counts
            last[_line(command.command)] = command
        for command in last.values():
            assert command.status != "in-progress", (
                f"{where}: the turn is completed but {command.command!r} was still running"
            )
            assert command.exit_code in (0, None) and command.status != "failed", (
                f"{where}: the turn is completed but {command.command!r} failed "
                f"(exit {command.exit_code}, {command.status}) on its last run: a turn whose "
                "commands failed is a failed turn, whatever the reply says"
            )


def _check_command_votes(
    where: str, result: TurnResult, votes: list[tuple[Any, list[Veto]]]
) -> None:
    asked: Counter[str] = Counter()
    allowed: Counter[str] = Counter()
    for action, vetoes in votes:
        if action.kind == "command" and action.command:
            asked[_line(action.command)] += 1
            if not vetoes:
                allowed[_line(action.command)] += 1
    ran = Counter(_line(c.command) for c in result.commands if c.status != "declined")
    declined = Counter(_line(c.command) for c in result.commands if c.status == "declined")
    for line, times in ran.items():
        assert allowed[line] >= times, (
            f"{where}: ran {line!r} {times} time(s) but the guardrail vote (ctx.approve) allowed "
            f"it {allowed[line]} time(s): every command must be put to the vote first"
        )
    for line, times in declined.items():
        assert asked[line] >= times, (
            f"{where}: reports {line!r} declined but never put it to the vote (ctx.approve)"
        )


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _line(command: str) -> str:
    return " ".join(command.split())


# -- roles ------------------------------------------------------------------------------------


async def check_role(
    role: Any,
    repo: Path,
    *,
    goal: str | Goal = "Check that the role conforms",
    backend: Any = None,
    stage_id: str = "conformance",
) -> dict[str, Any]:
    """Run ``role`` through the real ``role`` stage kind in a one-stage run on ``repo``.

    ``role`` is the object (or class) its ``codex_core.roles`` entry point names; it is provided
    to the run's kernel in-process under its ``name`` (ahead of an installed role of that name).
    ``goal`` is the goal text, or a :class:`~codex_core_roles.goal.Goal` with its options.
    ``backend`` is the goal's backend: a ``codex_core.backends`` name, or a backend object (an
    ``AgentsBackend(model=ScriptedModel(...))``, say) provided to the kernel in-process under its
    ``name``; None keeps the goal's (``auto`` for a goal given as text). Checks:

    - the role has a non-empty ``name`` and an ``async def run(job)``;
    - the ``role`` stage kind is installed, and the stage called the role;
    - ``run(job)`` returned a :class:`StageOutcome` (or raised a ``CodexCoreError``, the
      backend's failure to start, which the stage records; any other exception fails the check);
    - the run ends ``succeeded`` or ``failed`` and its manifest validates against the schema;
      the stage's record has the outcome's status;
    - the stage's ``agent_turns`` has one entry per ``job.turn(...)`` the role ran (numbered from
      1, with a turn status and whole, non-negative token counts), and is absent when it ran none;
    - given a backend object: every turn the role ran on it went through ``job.turn(...)`` (so
      within the goal's budget and noted in ``agent_turns``), never ``session.turn`` directly.

    Returns the manifest as JSON (the stage's record is ``manifest["commands"][0]``).
    """
    from codex_core.api import run_pipeline
    from codex_core.kernel import Kernel
    from codex_core.pipeline import Pipeline, StageSpec
    from codex_core.testing import validate_manifest

    role = role() if isinstance(role, type) else role
    name = getattr(role, "name", None)
    assert isinstance(name, str) and name.strip(), (
        f"{role!r}: a role needs a non-empty `name` (the name its codex_core.roles entry point "
        "gives it, and a role stage's `role` option)"
    )
    assert inspect.iscoroutinefunction(getattr(role, "run", None)), (
        f"role {name!r} needs `async def run(self, job: RoleJob) -> StageOutcome`"
    )

    kernel = Kernel.for_repo(Path(repo).resolve())
    assert kernel.stage_kind(KIND) is not None, (
        f"the {KIND!r} stage kind is not installed (failures: {kernel.failures})"
    )
    observed = _ObservedRole(role)
    kernel.add_extension(ROLES_NAMESPACE, name, observed)
    counted: _CountedBackend | None = None
    if backend is not None and not isinstance(backend, str):
        backend = backend() if isinstance(backend, type) else backend
        backend_name = getattr(backend, "name", None)
        assert isinstance(backend_name, str) and backend_name.strip(), (
            f"{backend!r}: a backend needs a non-empty `name`"
        )
        counted = _CountedBackend(backend)
        kernel.add_extension(BACKENDS_NAMESPACE, backend_name, counted)
        backend = backend_name
    if isinstance(goal, str):
        goal = Goal(text=goal)
    if backend is not None:
        goal = attrs.evolve(goal, backend=backend)
    spec = StageSpec(
        id=stage_id, kind=KIND, title=f"Conformance: role {name}", source=__name__,
        options={"role": name, **goal.options()},
    )  # fmt: skip
    pipeline = Pipeline(id="role-conformance", stages=(spec,), source=__name__)
    result = await run_pipeline(repo, pipeline, task="conformance", kernel=kernel)

    data = validate_manifest(result.manifest_path)
    [record] = data["commands"]
    said = f"{record.get('reason')}: {record.get('summary')}"
    assert observed.jobs, (
        f"the role stage never called role {name!r}: the stage {record['status']} ({said})"
    )
    if observed.error is not None:
        err = observed.error
        assert isinstance(err, CodexCoreError), (
            f"role {name!r}: run(job) raised {type(err).__name__}: {err} (a role returns a failed "
            "StageOutcome; only the backend's CodexCoreError may escape it)"
        )
    else:
        assert isinstance(observed.outcome, StageOutcome), (
            f"role {name!r}: run(job) must return a StageOutcome, got {observed.outcome!r}"
        )
        assert record["status"] == observed.outcome.status, (
            f"role {name!r} returned {observed.outcome.status!r} but the stage recorded "
            f"{record['status']!r} ({said})"
        )
    assert data["status"] in ("succeeded", "failed"), f"the run ended {data['status']!r}"

    turns = observed.jobs[0].turns
    notes = record.get("agent_turns")
    if not turns:
        assert notes is None, (
            f"role {name!r} ran no turn, yet the stage records agent_turns {notes}"
        )
    else:
        assert isinstance(notes, list) and len(notes) == len(turns), (
            f"role {name!r} ran {len(turns)} turn(s); the stage's agent_turns is {notes!r}"
        )
        for number, note in enumerate(notes, start=1):
            assert note.get("turn") == number, (
                f"agent_turns[{number - 1}] is numbered {note.get('turn')!r}"
            )
            assert note.get("status") in NOTE_STATUSES, (
                f"agent_turns[{number - 1}].status is {note.get('status')!r}"
            )
            for field in TOKEN_FIELDS:
                value = (note.get("usage") or {}).get(field, 0)
                assert _whole(value) and value >= 0, (
                    f"agent_turns[{number - 1}].usage.{field} is {value!r}"
                )
    if counted is not None:
        assert counted.turns <= len(turns), (
            f"role {name!r} ran {counted.turns} backend turn(s) but only {len(turns)} through "
            "job.turn(session, request): a turn outside it escapes the goal's budget and the "
            "manifest's agent_turns"
        )
    return data


class _ObservedRole:
    """The role under check, as the stage kind sees it: records the job and what came back."""

    def __init__(self, role: Any) -> None:
        self.role = role
        self.name = role.name
        self.jobs: list[Any] = []
        self.outcome: Any = None
        self.error: Exception | None = None

    async def run(self, job: Any) -> Any:
        self.jobs.append(job)
        try:
            self.outcome = await self.role.run(job)
        except Exception as err:
            self.error = err
            raise
        return self.outcome


class _CountedBackend:
    """The backend under a role's check: counts the turns its sessions run."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.name = backend.name
        self.turns = 0

    def __getattr__(self, attr: str) -> Any:  # available(), validate_turn_options(), ...
        return getattr(self._backend, attr)

    def session(self, ctx: BackendContext) -> Any:
        import contextlib

        @contextlib.asynccontextmanager
        async def counted() -> Any:
            async with self._backend.session(ctx) as session:
                yield _CountedSession(self, session)

        return counted()


class _CountedSession:
    def __init__(self, backend: _CountedBackend, session: Any) -> None:
        self._backend = backend
        self._session = session

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._session, attr)

    async def turn(self, request: TurnRequest) -> TurnResult:
        self._backend.turns += 1
        return await self._session.turn(request)
