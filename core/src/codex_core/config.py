"""Reading ``codex-core.toml`` or ``[tool.codex-core]`` in ``pyproject.toml``.

``codex-core.toml`` wins when both exist (a dedicated file is the more deliberate choice). The
kernel reads ``pipelines`` and ``stage_sets``; every other top-level table belongs to a plugin,
which reads its own section from :attr:`Config.data`. Errors name the file and the key path.

Shape::

    [stage_sets.quality]
    stages = [{ id = "lint", command = "ruff check ." }]

    [pipelines.checks]
    title = "Checks"
    stages = [
      { use = "quality" },                       # a named stage set, inlined
      { id = "flaky", command = "./flaky.sh", allow_failure = true, timeout = 30 },
      { id = "more", kind = "subpipeline", pipeline = "other" },
    ]
    require_guardrails = true                    # say so when no guardrail stage ran

    [adapters.python]                            # replace what an adapter picked
    test = "pytest -x -q"
    lint = false                                 # false: no command (skipped)
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import attrs

from .errors import ConfigError
from .ids import id_problem
from .pipeline import Pipeline, StageSpec

CONFIG_FILE = "codex-core.toml"
_STAGE_KEYS = {
    "id", "kind", "title", "command", "cwd", "env", "timeout", "allow_failure", "pipeline",
    "guardrail",
}  # fmt: skip


@attrs.frozen
class Config:
    """The repo's configuration. ``path`` is None when the repo has none."""

    path: Path | None
    data: dict[str, Any]
    pipelines: dict[str, Pipeline]

    @classmethod
    def empty(cls) -> Config:
        """No configuration: what a repo without one gets, and what needs none uses."""
        return cls(path=None, data={}, pipelines={})

    def section(self, name: str) -> dict[str, Any]:
        """A plugin's own top-level table (empty when absent)."""
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{self.path}: '{name}' must be a table")
        return value


def load_config(repo: Path) -> Config:
    """Read the repo's configuration, or an empty one when there is none."""
    dedicated = repo / CONFIG_FILE
    if dedicated.is_file():
        data = _read_toml(dedicated)
        return _build(dedicated, data, prefix="")
    pyproject = repo / "pyproject.toml"
    if pyproject.is_file():
        data = _read_toml(pyproject).get("tool", {}).get("codex-core")
        if data is not None:
            if not isinstance(data, dict):
                raise ConfigError(f"{pyproject}: [tool.codex-core] must be a table")
            return _build(pyproject, data, prefix="tool.codex-core.")
    return Config.empty()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None


def _build(path: Path, data: dict[str, Any], prefix: str) -> Config:
    where = f"{path}: {prefix}"
    stage_sets_raw = _table(data.get("stage_sets", {}), f"{where}stage_sets")
    stage_sets = {
        name: _stage_list(
            _table(value, f"{where}stage_sets.{name}").get("stages"),
            f"{where}stage_sets.{name}.stages",
            {},
        )
        for name, value in stage_sets_raw.items()
    }
    pipelines: dict[str, Pipeline] = {}
    for name, raw in _table(data.get("pipelines", {}), f"{where}pipelines").items():
        if id_problem(name):
            raise ConfigError(f"{where}pipelines: pipeline name {name!r} {id_problem(name)}")
        table = _table(raw, f"{where}pipelines.{name}")
        unknown = set(table) - {"title", "stages", "require_guardrails"}
        if unknown:
            raise ConfigError(
                f"{where}pipelines.{name}: unknown key(s) {', '.join(sorted(unknown))}"
            )
        title = table.get("title")
        if title is not None and not isinstance(title, str):
            raise ConfigError(f"{where}pipelines.{name}.title: expected a string")
        stages = _stage_list(table.get("stages"), f"{where}pipelines.{name}.stages", stage_sets)
        _expect(table, "require_guardrails", bool, f"{where}pipelines.{name}")
        pipelines[name] = Pipeline(
            id=name,
            title=title,
            stages=tuple(stages),
            source=str(path.name),
            require_guardrails=table.get("require_guardrails", name == "diagnostics"),
        )
    return Config(path=path, data=data, pipelines=pipelines)


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table")
    return value


def _stage_list(value: Any, where: str, stage_sets: dict[str, list[StageSpec]]) -> list[StageSpec]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: expected a non-empty list of stages")
    stages: list[StageSpec] = []
    for position, raw in enumerate(value):
        here = f"{where}[{position}]"
        if not isinstance(raw, dict):
            raise ConfigError(f"{here}: expected a table")
        if "use" in raw:
            if set(raw) != {"use"}:
                raise ConfigError(f"{here}: 'use' stands alone")
            if raw["use"] not in stage_sets:
                raise ConfigError(f"{here}.use: no stage set named {raw['use']!r}")
            stages.extend(stage_sets[raw["use"]])
        else:
            stages.append(stage_from_table(raw, here))
    seen: set[str] = set()
    for stage in stages:
        if stage.id in seen:
            raise ConfigError(f"{where}: stage id {stage.id!r} appears twice")
        seen.add(stage.id)
    return stages


def stage_from_table(raw: dict[str, Any], where: str) -> StageSpec:
    """One stage table to a StageSpec; keys the kernel does not know go to ``options``."""
    stage_id = raw.get("id")
    problem = id_problem(stage_id)
    if problem:
        raise ConfigError(f"{where}.id: stage id {stage_id!r} {problem}")
    kind = raw.get("kind", "command")
    if not isinstance(kind, str) or not kind:
        raise ConfigError(f"{where}.kind: expected a string")
    _expect(raw, "title", str, where)
    _expect(raw, "command", str, where)
    _expect(raw, "cwd", str, where)
    _expect(raw, "pipeline", str, where)
    _expect(raw, "allow_failure", bool, where)
    _expect(raw, "guardrail", bool, where)
    env = raw.get("env", {})
    if not isinstance(env, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in env.items()
    ):
        raise ConfigError(f"{where}.env: expected a table of strings")
    timeout = raw.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        raise ConfigError(
            f"{where}.timeout: expected a positive number of seconds, got {timeout!r}"
        )
    if kind == "subpipeline" and not raw.get("pipeline"):
        raise ConfigError(f"{where}: a subpipeline stage needs 'pipeline'")
    return StageSpec(
        id=stage_id,
        kind=kind,
        title=raw.get("title"),
        command=raw.get("command"),
        cwd=raw.get("cwd"),
        env=dict(env),
        timeout=float(timeout) if timeout is not None else None,
        allow_failure=raw.get("allow_failure", False),
        pipeline=raw.get("pipeline"),
        guardrail=raw.get("guardrail", False),
        options={k: v for k, v in raw.items() if k not in _STAGE_KEYS},
    )


def _expect(raw: dict[str, Any], key: str, kind: type, where: str) -> None:
    if key in raw and not isinstance(raw[key], kind):
        raise ConfigError(
            f"{where}.{key}: expected {'a string' if kind is str else 'true or false'}, got {raw[key]!r}"
        )
