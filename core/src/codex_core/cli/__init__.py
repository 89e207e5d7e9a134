"""The ``codex-core`` command.

Built-in commands live in small modules imported only when invoked, so ``--version``, ``status``,
``runs`` and ``plugins`` never pay for trio. Commands contributed by plugins
(``codex_cli_commands``) are looked up only when a name is not built in, or for ``--help``.
Every command takes ``--format json`` with a stable shape; exit codes: 0 ok, 1 the run failed,
2 bad input.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

import click

from .. import __version__

BUILTIN = {
    "start": "codex_core.cli.run_cmds:start",
    "resume": "codex_core.cli.run_cmds:resume",
    "cancel": "codex_core.cli.control_cmds:cancel",
    "pause": "codex_core.cli.control_cmds:pause",
    "unpause": "codex_core.cli.control_cmds:unpause",
    "plan": "codex_core.cli.inspect_cmds:plan",
    "status": "codex_core.cli.inspect_cmds:status",
    "runs": "codex_core.cli.inspect_cmds:runs",
    "metrics": "codex_core.cli.inspect_cmds:metrics",
    "plugins": "codex_core.cli.plugin_cmds:plugins",
    "doctor": "codex_core.cli.plugin_cmds:doctor",
}


class LazyGroup(click.Group):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plugin_commands: dict[str, click.Command] | None = None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*BUILTIN, *self._contributed()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = BUILTIN.get(name)
        if target is not None:
            import importlib

            module, attr = target.split(":")
            return getattr(importlib.import_module(module), attr)
        return self._contributed().get(name)

    def _contributed(self) -> dict[str, click.Command]:
        if self._plugin_commands is None:
            from pathlib import Path

            from ..config import Config
            from ..kernel import Kernel

            # Finding commands needs no repository config: a malformed one must not break --help.
            kernel = Kernel(Path.cwd(), Config.empty())
            kernel.load_namespace("codex_core.plugins")
            commands: dict[str, click.Command] = {}
            for command in kernel.cli_commands():
                if (
                    isinstance(command, click.Command)
                    and command.name
                    and command.name not in BUILTIN
                ):
                    commands[command.name] = command
            self._plugin_commands = commands
        return self._plugin_commands


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", "-V", prog_name="codex-core", message="%(prog)s %(version)s"
)
def cli() -> None:
    """Run coding-agent pipelines on a repository and keep an auditable, resumable record."""


def _wants_json(argv: list[str]) -> bool:
    """Whether the last ``--format`` given (the one click obeys) asks for JSON."""
    chosen = None
    for i, arg in enumerate(argv):
        if arg.startswith("--format="):
            chosen = arg.split("=", 1)[1]
        elif arg == "--format" and i + 1 < len(argv):
            chosen = argv[i + 1]
    return chosen == "json"


_collection_paused = False


def pause_collection() -> None:
    """Pause the cyclic garbage collector while the command starts up.

    Start-up builds a large heap of objects that live as long as the process (modules, classes,
    the code attrs generates for each class) and the collector keeps re-scanning it as it grows:
    about 4% of ``start`` (20 ms of CPU of a 20-stage run here). Nothing collectable is made
    meanwhile that matters; :func:`resume_collection` turns it back on.
    """
    global _collection_paused
    if gc.isenabled():
        gc.disable()
        _collection_paused = True


def resume_collection() -> None:
    """Undo :func:`pause_collection` (a run calls it as it begins: a run may last for hours).

    What start-up built is frozen first (``gc.freeze``): turned back on as it was, the collector
    began with one pass over that whole heap, 10 ms before the first stage. Those objects live as
    long as the process anyway; any garbage among them is simply never collected.
    """
    global _collection_paused
    if _collection_paused:
        _collection_paused = False
        gc.freeze()
        gc.enable()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: maps errors to one clear line and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    # Only for the commands whose start-up is timed and that turn collection back on as their
    # run begins; never for long-lived ones (status --watch, a plugin's server).
    if args[:1] in (["start"], ["resume"]):
        pause_collection()
    try:
        _main(args)
    finally:
        resume_collection()
        if argv is None:
            # The console script's process ends as this returns. The interpreter's last full
            # collection over everything still loaded took 30 of the 40 ms a ``start`` spent
            # after its run had finished; it skips frozen objects, which are freed with the
            # process all the same (atexit handlers and buffered files are unaffected).
            gc.freeze()


def _main(args: list[str]) -> None:
    from ..errors import CodexCoreError
    from .output import print_error

    try:
        code = cli.main(args=args, prog_name="codex-core", standalone_mode=False)
    except CodexCoreError as exc:
        print_error(exc.code, str(exc), json_output=_wants_json(args))
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        if _wants_json(args):
            print_error("usage", exc.format_message(), json_output=True)
        else:
            exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
