"""Running a prepared run from a command: in the foreground with progress, or in the background.

What ``start``, ``resume`` and the commands plugins contribute (``run``, ``eval``) share once a
run is prepared (:func:`codex_core.launch.prepare_run`), and the ``--override`` options that make
guardrail overrides. Importing this module does not import trio; running in the foreground does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .. import clock
from ..errors import UsageError
from ..ids import validate_id
from ..model import Manifest, OverrideRequest

F = TypeVar("F", bound=Callable[..., Any])

#: what ``--approval-policy`` accepts (recorded in the manifest; the Codex backends pass it on)
APPROVAL_POLICIES = ("untrusted", "on-failure", "on-request", "never")


def override_options(guardrails: str = "GUARDRAIL") -> Callable[[F], F]:
    """``--override GUARDRAIL --reason WHY --approver WHO``, passed as ``override``, ``reason``
    and ``approver``; turn them into requests with :func:`overrides_from`. ``guardrails`` names
    the stages a command's pipeline has, for its help (``run`` has one: ``review``)."""
    which = "GUARDRAIL" if guardrails == "GUARDRAIL" else f"GUARDRAIL ({guardrails})"

    def add(command: F) -> F:
        command = click.option("--approver", help="Who approved the override.")(command)
        command = click.option("--reason", help="Why the override is justified.")(command)
        return click.option(
            "--override", metavar="GUARDRAIL",
            help=f"Let guardrail stage {which} pass despite findings (with --reason and --approver; recorded in approvals[]).",
        )(command)  # fmt: skip

    return add


def overrides_from(
    override: str | None, reason: str | None, approver: str | None
) -> list[OverrideRequest]:
    """The override requests the options ask for (none or one); UsageError when incomplete."""
    if override is None:
        if reason or approver:
            raise UsageError("--reason and --approver go with --override")
        return []
    if not (reason or "").strip() or not (approver or "").strip():
        raise UsageError(f"--override {override} needs both --reason and --approver")
    return [
        OverrideRequest(
            guardrail=validate_id(override, "guardrail name"),
            reason=reason or "",
            approver=approver or "",
            actor=os.environ.get("USER", "unknown"),
            timestamp=clock.now(),
        )
    ]


def run_in_foreground(prepared: Any) -> Manifest:
    """Execute a prepared run here, with progress on stderr, until it ends; its final manifest.

    SIGINT and SIGTERM cancel the run cleanly (the manifest says ``cancelled``).
    """
    import trio

    from ..engine.runner import execute
    from . import resume_collection
    from .progress import make_progress

    prepared.kernel.register(make_progress(), name="codex-core-progress")
    resume_collection()  # start-up is over (see pause_collection)
    return trio.run(lambda: execute(prepared, handle_signals=True))


def spawn_detached(prepared: Any) -> None:
    """Hand a prepared run (and its runner lock) to a background runner process.

    The runner's own output goes to the run's ``runner.log``; it outlives this process.
    """
    log = os.open(
        prepared.paths.runner_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644
    )
    try:
        subprocess.Popen(
            [sys.executable, "-m", "codex_core.engine.detached", str(prepared.kernel.repo), prepared.paths.run_id, str(prepared.lock.fd)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(prepared.lock.fd,),
            start_new_session=True, close_fds=True,
        )  # fmt: skip
    finally:
        os.close(log)
    prepared.lock.release()  # the child holds its own copy of the locked descriptor now
