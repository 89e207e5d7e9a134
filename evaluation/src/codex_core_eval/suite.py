"""The target's own test suite: a venv of its own, pytest, and each test's outcome.

The venv is made by uv (``uv venv`` with the interpreter running codex-core, then ``uv pip
install`` of the scenario's ``[tests] requires``), so the target's dependencies never meet
codex-core's. The target itself is not installed: pytest runs in the work tree (with
``[tests] pythonpath`` prepended for src layouts), so what is tested is the code the assets
changed. Outcomes come from pytest's JUnit XML report, one id per test
(``classname::name``), so "everything that passed before still passes" is checked test by
test, not by counting.
"""

from __future__ import annotations

import os
import shutil
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import attrs
from codex_core.errors import CodexCoreError

from .proc import run
from .scenario import TestSuite

__all__ = ["EnvironmentError_", "Outcomes", "find_uv", "make_venv", "run_suite"]

VENV_TIMEOUT_SECONDS = 600


class EnvironmentError_(CodexCoreError):
    """The target's test environment could not be made."""

    code = "environment-failed"


@attrs.frozen
class Outcomes:
    """What one run of the suite gave: per-test outcomes, and how the run itself ended."""

    passed: frozenset[str]
    failed: frozenset[str]
    skipped: frozenset[str]
    returncode: int | None
    seconds: float
    #: why there are no per-test outcomes (a crash before the report was written, a timeout)
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Ran to the end with nothing failed (pytest exit 0, or 5 for "no tests collected")."""
        return self.problem is None and not self.failed and self.returncode in (0, 5)

    def counts(self) -> dict[str, int]:
        return {
            "passed": len(self.passed),
            "failed": len(self.failed),
            "skipped": len(self.skipped),
        }

    def to_json(self) -> dict[str, object]:
        return {
            **self.counts(),
            "exit_code": self.returncode,
            "seconds": round(self.seconds, 2),
            "problem": self.problem,
        }


def find_uv() -> str:
    """The uv binary: ``UV`` (set by ``uv run``), then ``PATH``, then the ``uv`` package."""
    candidates = [os.environ.get("UV"), shutil.which("uv")]
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found]

        candidates.append(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise EnvironmentError_(
        "the evaluation makes each target's test venv with uv, and uv was not found"
        " (install it: python3 -m pip install uv)"
    )


async def make_venv(where: Path, requires: tuple[str, ...], log: Path) -> Path:
    """A venv at ``where`` with ``requires`` installed; returns its python."""
    uv = find_uv()
    env = {"VIRTUAL_ENV": "", "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    made = await run(
        [uv, "venv", "--quiet", "--python", sys.executable, str(where)],
        cwd=where.parent, log=log, env=env, timeout=VENV_TIMEOUT_SECONDS,
    )  # fmt: skip
    if made.returncode != 0:
        raise EnvironmentError_(f"uv venv failed: {made.tail(800)}")
    python = where / "bin" / "python"
    if requires:
        installed = await run(
            [uv, "pip", "install", "--quiet", "--python", str(python), *requires],
            cwd=where.parent, log=log, env=env, timeout=VENV_TIMEOUT_SECONDS,
        )  # fmt: skip
        if installed.returncode != 0:
            raise EnvironmentError_(
                f"installing {' '.join(requires)} failed: {installed.tail(800)}"
            )
    return python


def _outcomes(report: Path) -> tuple[set[str], set[str], set[str]]:
    passed: set[str] = set()
    failed: set[str] = set()
    skipped: set[str] = set()
    root = ElementTree.parse(report).getroot()
    for case in root.iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            failed.add(test_id)
        elif "skipped" in tags:
            skipped.add(test_id)
        else:
            passed.add(test_id)
    # A test id seen twice with different outcomes (a parametrised id reused) counts as failed.
    return passed - failed, failed, skipped - failed


async def run_suite(
    python: Path, tree: Path, suite: TestSuite, report: Path, log: Path
) -> Outcomes:
    """Run the suite once; ``report`` is where pytest writes its JUnit XML."""
    report.unlink(missing_ok=True)
    pythonpath = os.pathsep.join(str(tree / p) for p in suite.pythonpath)
    env = {
        "PYTHONPATH": pythonpath,
        "PYTHONDONTWRITEBYTECODE": "1",  # leave no __pycache__ in the tree's diff
        "VIRTUAL_ENV": str(python.parent.parent),
        # the target's venv first: a test that runs `python` or a console script gets the
        # target's, not codex-core's (which `uv run` put first on PATH)
        "PATH": os.pathsep.join([str(python.parent), os.environ.get("PATH", "")]),
        "PYTEST_ADDOPTS": "",
    }
    argv = [
        str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q",
        f"--junitxml={report}", "-o", "junit_family=xunit1", *suite.args,
    ]  # fmt: skip
    done = await run(argv, cwd=tree, log=log, env=env, timeout=suite.timeout)
    if done.timed_out:
        return Outcomes(frozenset(), frozenset(), frozenset(), None, done.seconds,
                        problem=f"timed out after {suite.timeout:g}s")  # fmt: skip
    if not report.is_file():
        return Outcomes(frozenset(), frozenset(), frozenset(), done.returncode, done.seconds,
                        problem=f"pytest wrote no report (exit {done.returncode}): {done.tail(600)}")  # fmt: skip
    try:
        passed, failed, skipped = _outcomes(report)
    except ElementTree.ParseError as exc:
        return Outcomes(frozenset(), frozenset(), frozenset(), done.returncode, done.seconds,
                        problem=f"unreadable JUnit report: {exc}")  # fmt: skip
    return Outcomes(
        frozenset(passed), frozenset(failed), frozenset(skipped), done.returncode, done.seconds
    )
