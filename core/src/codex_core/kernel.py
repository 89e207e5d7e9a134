"""The kernel object: one repository's configuration, its loaded plugins and the hook relay.

Built by :meth:`Kernel.for_repo` (no global plugin manager: tests build as many as they like).
Capability plugins are loaded lazily, namespace by namespace, as a command needs them; every loaded
object is registered on the pluggy plugin manager and ``check_pending()`` then catches hooks that no
spec declares (a misspelled hook name). A plugin that fails either way is unregistered and recorded
in :attr:`Kernel.failures`, never raised.

Kernel code calls hooks only through the typed methods here, never ``pm.hook.x(...)`` directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pluggy

from . import discovery, hookspecs
from .config import Config, load_config
from .discovery import LoadFailure
from .hookspecs import Action, DoctorCheck, Veto
from .model import CommandRecord, Manifest
from .pipeline import Pipeline, StageSpec
from .redaction import Redactor


class _PluginManager(pluggy.PluginManager):
    """Looks for hook implementations only among names that could be one (``codex_*``).

    pluggy otherwise inspects every attribute of every plugin object, dunders included: about
    0.7 ms a plugin, most of the cost of loading one. pytest filters on its ``pytest_`` prefix
    the same way, and for the same reason a hook implementation must be named after its hook.
    """

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        if not name.startswith("codex_"):
            return None
        return super().parse_hookimpl_opts(plugin, name)


class Kernel:
    """``repo`` is the working tree stages run in and config is read from; ``store_root`` is the
    repository whose ``.runs/`` records the runs (the same, except for a run in a git worktree,
    whose record stays with the main checkout)."""

    def __init__(self, repo: Path, config: Config, *, store_root: Path | None = None) -> None:
        self.repo = repo
        self.store_root = store_root or repo
        self.config = config
        self.pm = _PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.failures: list[LoadFailure] = []
        self._loaded: dict[str, dict[str, Any]] = {}
        self._complete: set[str] = set()

    @classmethod
    def for_repo(
        cls, repo: Path, *, store_root: Path | None = None, load_hook_plugins: bool = True
    ) -> Kernel:
        kernel = cls(repo, load_config(repo), store_root=store_root)
        if load_hook_plugins:
            kernel.load_namespace("codex_core.plugins")
            # Guardrails vote on every action and mask every log: whatever the pipeline, and on
            # resumes and detached runners too, they are always loaded.
            kernel.load_namespace("codex_core.guardrails")
        return kernel

    # -- loading -----------------------------------------------------------------------------

    def load_namespace(self, namespace: str, names: Iterable[str] | None = None) -> dict[str, Any]:
        """Load (once) and register the plugins of ``namespace``; returns name -> object."""
        have = self._loaded.setdefault(namespace, {})
        if names is None:
            if namespace not in self._complete:
                self._register(namespace, *discovery.load(namespace))
                self._complete.add(namespace)
            return dict(have)
        wanted = [n for n in names if n not in have]
        if wanted and namespace not in self._complete:
            self._register(namespace, *discovery.load(namespace, wanted))
        return {n: have[n] for n in names if n in have}

    def _register(
        self, namespace: str, objects: dict[str, Any], failures: list[LoadFailure]
    ) -> None:
        self.failures.extend(failures)
        for name, obj in objects.items():
            plugin_name = f"{namespace}:{name}"
            try:
                self.pm.register(obj, name=plugin_name)
                self.pm.check_pending()
            except Exception as err:  # pluggy.PluginValidationError and friends
                if self.pm.is_registered(obj):
                    self.pm.unregister(obj)
                self.failures.append(LoadFailure(namespace, name, f"{type(err).__name__}: {err}"))
                continue
            self._loaded[namespace][name] = obj

    def register(self, obj: Any, name: str | None = None) -> None:
        """Register an in-process plugin object (the CLI's progress printer, a test's spy)."""
        self.pm.register(obj, name=name)
        self.pm.check_pending()

    def add_extension(self, namespace: str, name: str, obj: Any) -> None:
        """Provide a capability in-process, as if an entry point had named it (tests, embedding)."""
        self.pm.register(obj, name=f"{namespace}:{name}")
        self.pm.check_pending()
        self._loaded.setdefault(namespace, {})[name] = obj

    def stage_kind(self, name: str) -> Any | None:
        return self.load_namespace("codex_core.stages", [name]).get(name)

    def adapters(self) -> dict[str, Any]:
        return self.load_namespace("codex_core.adapters")

    def guardrails(self) -> dict[str, Any]:
        return self.load_namespace("codex_core.guardrails")

    # -- typed hook calls --------------------------------------------------------------------

    def cli_commands(self) -> list[Any]:
        return [cmd for result in self.pm.hook.codex_cli_commands() for cmd in result or ()]

    def contributed_pipelines(self) -> list[Pipeline]:
        results = self.pm.hook.codex_pipelines(repo=self.repo, config=self.config)
        return [p for result in results for p in result or ()]

    def diagnostics_stages(self) -> list[StageSpec]:
        results = self.pm.hook.codex_diagnostics_stages(repo=self.repo, config=self.config)
        return [s for result in results for s in result or ()]

    def redaction_patterns(self) -> list[re.Pattern[str]]:
        results = self.pm.hook.codex_redaction_patterns(config=self.config)
        return [
            re.compile(p) if isinstance(p, str) else p for result in results for p in result or ()
        ]

    def redactor(self) -> Redactor:
        """A redactor built from every plugin's patterns (built anew: plugins may be added late)."""
        return Redactor(self.redaction_patterns())

    def doctor_checks(self) -> list[DoctorCheck]:
        results = self.pm.hook.codex_doctor_checks(repo=self.repo, config=self.config)
        return [c for result in results for c in result or ()]

    def vote(self, action: Action) -> list[Veto]:
        """Ask every guardrail; returns every veto (an empty list allows the action).

        Implementations are called one by one so that one guardrail raising cannot silence the
        others: a raising guardrail is itself a veto.
        """
        vetoes: list[Veto] = []
        for impl in self.pm.hook.codex_guardrail_vote.get_hookimpls():
            try:
                answer = impl.function(action=action)
            except Exception as err:
                vetoes.append(
                    Veto(
                        reason=f"guardrail raised {type(err).__name__}: {err}",
                        guardrail=impl.plugin_name,
                    )
                )
                continue
            if answer is not None:
                if not isinstance(answer, Veto):
                    answer = Veto(reason=str(answer))
                if answer.guardrail is None:
                    answer = Veto(
                        reason=answer.reason, rule=answer.rule, guardrail=impl.plugin_name
                    )
                vetoes.append(answer)
        return vetoes

    def run_started(self, manifest: Manifest, run_dir: Path) -> None:
        self.pm.hook.codex_run_started(manifest=manifest, run_dir=run_dir)

    def stage_started(self, manifest: Manifest, record: CommandRecord) -> None:
        self.pm.hook.codex_stage_started(manifest=manifest, record=record)

    def stage_finished(self, manifest: Manifest, record: CommandRecord) -> None:
        self.pm.hook.codex_stage_finished(manifest=manifest, record=record)

    def run_finished(self, manifest: Manifest, run_dir: Path) -> None:
        self.pm.hook.codex_run_finished(manifest=manifest, run_dir=run_dir)
