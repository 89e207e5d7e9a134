"""Scenario files: validated on load (one clear error naming the file and the key), sorted by id,
and the shipped ones are what the issue asks of them. Runs no target."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from codex_core.testing import run_cli
from codex_core_eval import SCENARIOS
from codex_core_eval.scenario import ScenarioError, load_scenario, load_scenarios

GOOD = """\
id = "ok"
[target]
name = "toolz"
version = "1.2.0"
sha256 = "9667a038e9d6ecba37995e26cb2f59ec6420b6ad8dd9677de59db9b956b08490"
[[assets]]
codemod = "super-call"
"""


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_a_good_scenario_loads_with_its_defaults(tmp_path):
    scenario = load_scenario(write(tmp_path, GOOD))
    assert (scenario.id, scenario.kind, scenario.target.describe()) == (
        "ok",
        "assets",
        "toolz 1.2.0",
    )
    assert scenario.tests.requires == ("pytest",) and scenario.tests.timeout == 900
    assert scenario.assets[0].codemod == "super-call" and scenario.assets[0].paths == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace('id = "ok"\n', ""), "id: is required"),
        (GOOD.replace('id = "ok"', 'id = "../up"'), "id: contains a path separator"),
        (GOOD.replace('id = "ok"', 'id = "a..b"'), "id: contains '..'"),
        ('id = "x"\n[[assets]]\ncodemod = "super-call"\n', "target: is required"),
        (GOOD.split("[[assets]]")[0], "has neither [[assets]] nor [goal]"),
        (GOOD + '[goal]\ntext = "do it"\n', "has both [[assets]] and [goal]"),
        (
            GOOD.replace('sha256 = "9667', 'sha256 = "XYZ'),
            "target.sha256: expected 64 lower-case hex digits",
        ),
        (
            GOOD.replace('version = "1.2.0"', 'version = "1.2/../x"'),
            "target.version: expected a version",
        ),
        ('colour = "red"\n' + GOOD, "unknown key(s) colour"),
        (GOOD + 'paths = ["../outside"]\n', "assets[0].paths: expected a list of relative paths"),
        (GOOD + "[tests]\ntimeout = -1\n", "tests.timeout: expected seconds > 0"),
        ('id = "x"\n[target]\npath = "nowhere"\n[goal]\ntext = "g"\n', "is not a folder"),
        ("id = [", "not valid TOML"),
    ],
)
def test_a_bad_scenario_is_one_clear_error_naming_the_file(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_scenarios_sort_by_id_and_an_id_used_twice_is_an_error(tmp_path):
    write(tmp_path, GOOD.replace('"ok"', '"zeta"'), "a.toml")
    write(tmp_path, GOOD.replace('"ok"', '"alpha"'), "b.toml")
    assert [s.id for s in load_scenarios([tmp_path])] == ["alpha", "zeta"]
    write(tmp_path, GOOD.replace('"ok"', '"alpha"'), "c.toml")
    with pytest.raises(ScenarioError, match="'alpha' is used twice"):
        load_scenarios([tmp_path])


def test_the_shipped_scenarios_pin_real_projects_that_change_enough_files():
    scenarios = load_scenarios([SCENARIOS])
    real = [s for s in scenarios if not s.target.is_fixture]
    assert len(real) >= 3
    big = {s.target.name for s in real if s.checks.min_files_changed >= 10}
    assert len(big) >= 2, "two real projects changed in at least 10 files each"
    toolz = next(s for s in scenarios if s.id == "toolz-format-regression")
    assert (toolz.target.name, toolz.target.version) == ("toolz", "1.2.0")
    assert "toolz/functoolz.py" in toolz.checks.expect_failed


def test_cli_lists_scenarios_and_refuses_bad_ones_with_exit_2(tmp_path):
    listed = run_cli("eval", "--list", "--format", "json", cwd=tmp_path)
    assert listed.returncode == 0, listed
    ids = [s["id"] for s in listed.json()["scenarios"]]
    assert ids == sorted(ids) and "toolz-format-regression" in ids

    bad = write(tmp_path, GOOD.replace('id = "ok"\n', ""), "bad.toml")
    result = run_cli("eval", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert "id: is required" in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / ".runs").exists()

    unknown = run_cli("eval", "no-such-scenario", cwd=tmp_path)
    assert unknown.returncode == 2 and "no shipped scenario 'no-such-scenario'" in unknown.stderr


def test_doctor_says_which_uv_makes_the_target_venvs(tmp_path):
    result = run_cli("doctor", "--format", "json", cwd=tmp_path)
    checks = {c["name"]: c for c in result.json()["checks"]}
    assert checks["eval"]["ok"] and checks["eval"]["detail"].startswith("target venvs made with ")
    assert checks["eval"]["detail"].endswith("uv")
