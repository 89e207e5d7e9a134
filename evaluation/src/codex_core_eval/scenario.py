"""Scenario files: what to evaluate, on what, and what counts as a pass.

A scenario is one TOML file, validated when it is loaded (a missing ``id``, ``target`` or work
to do, an unknown key, a value of the wrong type: one :class:`ScenarioError` naming the file and
the key, exit 2). ::

    id = "boltons-string-formatting"          # a safe file name; scenarios sort by it
    title = "boltons 26.2.0: string formatting modernised"
    timeout = 900                             # seconds for the whole scenario

    [target]                                  # a pinned sdist from the package index...
    name = "boltons"
    version = "26.2.0"
    sha256 = "d39cfd15..."
    # ...or a folder in the repository, relative to this file:  path = "fixtures/greeter"

    [tests]                                   # the target's own suite, run with pytest
    requires = ["pytest==8.4.2"]              # installed into the target's own venv
    args = ["tests"]                          # pytest arguments
    pythonpath = ["src"]                      # put on PYTHONPATH (src layouts), default none
    timeout = 600

    [[assets]]                                # learning assets, applied in order...
    codemod = "empty-collection-call"         # an installed codemod or module:Class
    paths = ["boltons"]
    options = {}

    [goal]                                    # ...or an agent goal for `codex-core run`
    text = "Add a greet() function to greet.py"
    backend = "agents"
    args = ["--max-turns", "8"]

    [checks]
    min_files_changed = 10                    # a scenario that changes nothing proves nothing
    expect_failed = ["toolz/functoolz.py"]    # files an asset is known to fail on
    diff_touches = ["greet.py"]               # goal scenarios: paths the diff must touch

The rule for tests is fixed: everything that passed before must still pass.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
from codex_core.errors import ConfigError
from codex_core.ids import id_problem

__all__ = [
    "Asset",
    "Checks",
    "Goal",
    "Scenario",
    "ScenarioError",
    "Target",
    "TestSuite",
    "load_scenario",
    "load_scenarios",
]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# A distribution name as PEP 508 allows it, and a version without spaces or path separators:
# both end up in a URL and a cache path.
_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+!_-]*$")
DEFAULT_TIMEOUT = 1800.0
DEFAULT_TEST_TIMEOUT = 900.0


class ScenarioError(ConfigError):
    """A scenario file that cannot be used (exit 2)."""

    code = "bad-scenario"


@attrs.frozen
class Target:
    """A pinned sdist (``name``, ``version``, ``sha256``) or a fixture folder (``path``)."""

    name: str | None = None
    version: str | None = None
    sha256: str | None = None
    path: Path | None = None

    @property
    def is_fixture(self) -> bool:
        return self.path is not None

    def describe(self) -> str:
        return str(self.path) if self.path is not None else f"{self.name} {self.version}"


@attrs.frozen
class TestSuite:
    """The target's own test suite, run with pytest in a venv of its own."""

    __test__ = False  # not a pytest class, whatever its name

    requires: tuple[str, ...] = ("pytest",)
    args: tuple[str, ...] = ()
    pythonpath: tuple[str, ...] = ()
    timeout: float = DEFAULT_TEST_TIMEOUT


@attrs.frozen
class Asset:
    """One learning asset to apply: a codemod (installed id or ``module:Class``)."""

    codemod: str
    paths: tuple[str, ...] = ()
    options: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Goal:
    """An agent goal: ``codex-core run TEXT --backend BACKEND ARGS...`` in the target."""

    text: str
    backend: str = "auto"
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class Checks:
    min_files_changed: int = 0
    expect_failed: tuple[str, ...] = ()
    diff_touches: tuple[str, ...] = ()


@attrs.frozen
class Scenario:
    id: str
    path: Path
    target: Target
    tests: TestSuite
    title: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    assets: tuple[Asset, ...] = ()
    goal: Goal | None = None
    checks: Checks = Checks()

    @property
    def kind(self) -> str:
        return "goal" if self.goal is not None else "assets"


# -- validation --------------------------------------------------------------------------------


class _Reader:
    """Reads one table of a scenario file, naming the file and key in every error."""

    def __init__(self, source: Path, table: Mapping[str, Any], where: str = "") -> None:
        self.source, self.table, self.where = source, table, where

    def fail(self, key: str, message: str) -> ScenarioError:
        return ScenarioError(f"scenario {self.source}: {self.where}{key}: {message}")

    def only(self, *allowed: str) -> None:
        unknown = sorted(set(self.table) - set(allowed))
        if unknown:
            raise ScenarioError(
                f"scenario {self.source}: unknown key(s) {', '.join(self.where + k for k in unknown)}"
                f" (allowed: {', '.join(allowed)})"
            )

    def get(self, key: str, check: Callable[[Any], bool], what: str, default: Any = None) -> Any:
        if key not in self.table:
            return default
        value = self.table[key]
        if not check(value):
            raise self.fail(key, f"expected {what}, got {value!r}")
        return value

    def required(self, key: str, check: Callable[[Any], bool], what: str) -> Any:
        if key not in self.table:
            raise self.fail(key, "is required")
        return self.get(key, check, what)

    def sub(self, key: str) -> _Reader | None:
        value = self.get(key, lambda v: isinstance(v, dict), "a table")
        return None if value is None else _Reader(self.source, value, f"{self.where}{key}.")


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _seconds(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _relative(value: Any) -> bool:
    """A relative path that stays where it is put (no absolute path, no ``..``)."""
    if not isinstance(value, str) or not value:
        return False
    path = Path(value)
    return not path.is_absolute() and ".." not in path.parts


def _relatives(value: Any) -> bool:
    return isinstance(value, list) and all(_relative(v) for v in value)


def _target(reader: _Reader) -> Target:
    reader.only("name", "version", "sha256", "path")
    if "path" in reader.table:
        if {"name", "version", "sha256"} & set(reader.table):
            raise reader.fail("path", "a fixture target has no name, version or sha256")
        rel = reader.get("path", _relative, "a relative folder path")
        folder = (reader.source.parent / rel).resolve()
        if not folder.is_dir():
            raise reader.fail("path", f"{folder} is not a folder")
        return Target(path=folder)
    name = reader.required("name", lambda v: isinstance(v, str) and bool(_NAME.match(v)), "a distribution name")  # fmt: skip
    version = reader.required("version", lambda v: isinstance(v, str) and bool(_VERSION.match(v)), "a version")  # fmt: skip
    sha256 = reader.required(
        "sha256",
        lambda v: isinstance(v, str) and bool(_SHA256.match(v)),
        "64 lower-case hex digits",
    )
    return Target(name=name, version=version, sha256=sha256)


def _tests(reader: _Reader | None) -> TestSuite:
    if reader is None:
        return TestSuite()
    reader.only("requires", "args", "pythonpath", "timeout")
    return TestSuite(
        requires=tuple(reader.get("requires", _texts, "a list of requirements", ["pytest"])),
        args=tuple(reader.get("args", _texts, "a list of pytest arguments", [])),
        pythonpath=tuple(reader.get("pythonpath", _relatives, "a list of relative paths", [])),
        timeout=float(reader.get("timeout", _seconds, "seconds > 0", DEFAULT_TEST_TIMEOUT)),
    )


def _assets(source: Path, raw: Any) -> tuple[Asset, ...]:
    if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
        raise ScenarioError(f"scenario {source}: assets: expected an array of tables ([[assets]])")
    assets = []
    for n, table in enumerate(raw):
        reader = _Reader(source, table, f"assets[{n}].")
        reader.only("codemod", "paths", "options")
        assets.append(
            Asset(
                codemod=reader.required("codemod", _text, "a codemod name or module:Class"),
                paths=tuple(reader.get("paths", _relatives, "a list of relative paths", [])),
                options=dict(reader.get("options", lambda v: isinstance(v, dict), "a table", {})),
            )
        )
    return tuple(assets)


def _goal(reader: _Reader) -> Goal:
    reader.only("text", "backend", "args", "env")
    env = reader.get(
        "env",
        lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
        "a table of strings",
        {},
    )
    return Goal(
        text=reader.required("text", _text, "the goal's text"),
        backend=reader.get("backend", _text, "a backend name", "auto"),
        args=tuple(reader.get("args", _texts, "a list of arguments", [])),
        env=dict(env),
    )


def _checks(reader: _Reader | None) -> Checks:
    if reader is None:
        return Checks()
    reader.only("min_files_changed", "expect_failed", "diff_touches")
    return Checks(
        min_files_changed=reader.get("min_files_changed", _count, "a count >= 0", 0),
        expect_failed=tuple(
            reader.get("expect_failed", _relatives, "a list of relative paths", [])
        ),
        diff_touches=tuple(reader.get("diff_touches", _relatives, "a list of relative paths", [])),
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file."""
    source = Path(path)
    try:
        with open(source, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ScenarioError(f"scenario {source}: no such file") from None
    except OSError as exc:
        raise ScenarioError(f"scenario {source}: cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"scenario {source}: not valid TOML ({exc})") from None
    reader = _Reader(source, data)
    reader.only("id", "title", "timeout", "target", "tests", "assets", "goal", "checks")
    scenario_id = reader.required("id", lambda v: isinstance(v, str), "a string")
    problem = id_problem(scenario_id)  # it names the run's stage and its results folder
    if problem is not None:
        raise reader.fail("id", problem)
    target = reader.sub("target")
    if target is None:
        raise reader.fail("target", "is required")
    goal = reader.sub("goal")
    assets = _assets(source, data["assets"]) if "assets" in data else ()
    if goal is None and not assets:
        raise ScenarioError(f"scenario {source}: has neither [[assets]] nor [goal]: nothing to do")
    if goal is not None and assets:
        raise ScenarioError(f"scenario {source}: has both [[assets]] and [goal]; pick one")
    return Scenario(
        id=scenario_id,
        path=source.resolve(),
        title=reader.get("title", _text, "a title"),
        timeout=float(reader.get("timeout", _seconds, "seconds > 0", DEFAULT_TIMEOUT)),
        target=_target(target),
        tests=_tests(reader.sub("tests")),
        assets=assets,
        goal=_goal(goal) if goal is not None else None,
        checks=_checks(reader.sub("checks")),
    )


def load_scenarios(paths: list[Path]) -> list[Scenario]:
    """Load every scenario file in ``paths`` (files, or folders of ``*.toml``), sorted by id.

    Two scenarios with the same id are an error: results are filed by id.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.toml")))
        else:
            files.append(path)
    scenarios = [load_scenario(f) for f in files]
    seen: dict[str, Path] = {}
    for scenario in scenarios:
        if scenario.id in seen:
            raise ScenarioError(
                f"scenario id {scenario.id!r} is used twice: {seen[scenario.id]} and {scenario.path}"
            )
        seen[scenario.id] = scenario.path
    return sorted(scenarios, key=lambda s: s.id)
