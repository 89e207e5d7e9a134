"""Reaching a running run from outside: pause, unpause and cancel through ``control.json``.

``codex-core pause|unpause|cancel RUN`` write the request atomically into the run dir; the runner
polls the file (a ``stat`` every 0.2 s) and applies what changed. Only the runner writes the
manifest, so the requester never touches it. Pause takes effect between stages. Signals
(SIGINT, SIGTERM) cancel the same way.
"""

from __future__ import annotations

import json
import os
import signal

import attrs
import trio

from ..store import RunPaths
from .recorder import RunRecorder

POLL_SECONDS = 0.2


@attrs.define(eq=False)
class RunControl:
    """Shared state between the stage sequence, the control watcher and signal handlers."""

    paused: bool = False
    cancel_reason: str | None = None
    stage_scope: trio.CancelScope | None = None
    children: list[RunControl] = attrs.field(factory=list)
    resumed: trio.Event = attrs.field(factory=trio.Event)

    def cancel(self, reason: str) -> None:
        if self.cancel_reason is None:
            self.cancel_reason = reason
        if self.stage_scope is not None:
            self.stage_scope.cancel()
        for child in self.children:
            child.cancel(reason)
        self.resumed.set()

    def pause(self) -> None:
        self.paused = True
        self.resumed = trio.Event()

    def unpause(self) -> None:
        self.paused = False
        self.resumed.set()

    async def wait_unpaused(self) -> None:
        while self.paused and self.cancel_reason is None:
            await self.resumed.wait()


async def watch_control_file(paths: RunPaths, control: RunControl, recorder: RunRecorder) -> None:
    last: tuple[int, int, int] | None = None
    while True:
        try:
            st = os.stat(paths.control)
            key = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            key = None
        if key is not None and key != last:
            _apply(paths, control, recorder)
        last = key
        await trio.sleep(POLL_SECONDS)


def _apply(paths: RunPaths, control: RunControl, recorder: RunRecorder) -> None:
    try:
        request = json.loads(paths.control.read_text())
        action = request["action"]
    except (OSError, ValueError, KeyError, TypeError):
        recorder.log("ignored an unreadable control.json")
        return
    actor = request.get("actor")
    if action == "pause" and not control.paused:
        control.pause()
        recorder.manifest.status_detail = "paused"
        recorder.event("paused", actor=actor)
        recorder.log(f"paused by {actor}")
        recorder.save()
    elif action == "unpause" and control.paused:
        control.unpause()
        recorder.manifest.status_detail = None
        recorder.event("unpaused", actor=actor)
        recorder.log(f"unpaused by {actor}")
        recorder.save()
    elif action == "cancel" and control.cancel_reason is None:
        recorder.event("cancel-requested", actor=actor)
        recorder.log(f"cancel requested by {actor}")
        control.cancel(f"cancelled by {actor}")


async def watch_signals(control: RunControl, recorder: RunRecorder) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            name = signal.Signals(signum).name
            recorder.event("cancel-requested", actor=f"signal {name}")
            recorder.log(f"received {name}: cancelling")
            control.cancel(f"cancelled by {name}")
