"""Which build, lint and test commands the Node adapter picks, rule by rule, on real repos."""

from __future__ import annotations

from pathlib import Path

import pytest
from codex_core.testing import check_adapter
from codex_core_adapter_node import NodeAdapter
from node_adapter_helpers import commands, package_json, repo

SCRIPTS = {"build": "tsc", "lint": "eslint .", "test": "vitest run"}
PLACEHOLDER = 'echo "Error: no test specified" && exit 1'


# -- recognising a repo and the shape of its stages -----------------------------------------


def test_recognises_a_repo_by_its_package_json(tmp_path: Path) -> None:
    assert NodeAdapter().matches(repo(tmp_path / "r", {"package.json": "{}"}))


def test_does_not_recognise_other_repos(tmp_path: Path) -> None:
    other = repo(tmp_path / "r", {"go.mod": "module m\n", "index.js": "", "sub/package.json": "{}"})
    assert not NodeAdapter().matches(other)
    assert not NodeAdapter().matches(tmp_path / "missing")
    (tmp_path / "d" / "package.json").mkdir(parents=True)
    assert not NodeAdapter().matches(tmp_path / "d")


def test_stages_are_build_lint_test_command_stages_from_node(tmp_path: Path) -> None:
    r = repo(tmp_path / "r", {"package.json": package_json(scripts=SCRIPTS)})
    stages = check_adapter(NodeAdapter(), r)
    assert [(s.id, s.kind, s.source, s.command) for s in stages] == [
        ("build", "command", "node", "npm run build"),
        ("lint", "command", "node", "npm run lint"),
        ("test", "command", "node", "npm run test"),
    ]


def test_planning_never_installs_or_runs_anything(tmp_path: Path) -> None:
    # Any script npm ran (an install runs the lifecycle scripts) would leave a mark.
    mark = "node -e \"require('fs').writeFileSync('RAN', '')\""
    scripts = {name: mark for name in ("preinstall", "install", "prepare", "build", "lint", "test")}
    r = repo(
        tmp_path / "r",
        {
            "package.json": package_json(scripts=scripts, dependencies={"left-pad": "^1.3.0"}),
            "package-lock.json": "{}",
        },
    )
    stages = check_adapter(NodeAdapter(), r)  # also checks no file changed
    assert stages[0].command == "npm ci && npm run build"
    assert not (r / "RAN").exists()
    assert not (r / "node_modules").exists()


# -- scripts ----------------------------------------------------------------------------------


def test_a_missing_script_has_no_command(tmp_path: Path) -> None:
    r = repo(tmp_path / "r", {"package.json": package_json(scripts={"lint": "eslint ."})})
    assert commands(r) == {"build": None, "lint": "npm run lint", "test": None}


def test_a_package_without_scripts_has_no_commands(tmp_path: Path) -> None:
    r = repo(tmp_path / "r", {"package.json": package_json()})
    assert commands(r) == {"build": None, "lint": None, "test": None}


@pytest.mark.parametrize(
    "placeholder",
    [
        PLACEHOLDER,
        "echo 'Error: no test specified' && exit 1",
        "echo Error: no test specified && exit 1",
        '  echo "Error: no test specified"  &&  exit 1  ',
    ],
)
def test_npm_placeholder_test_script_counts_as_none(tmp_path: Path, placeholder: str) -> None:
    r = repo(tmp_path / "r", {"package.json": package_json(scripts={"test": placeholder})})
    assert commands(r)["test"] is None


def test_a_real_test_script_that_mentions_the_placeholder_is_kept(tmp_path: Path) -> None:
    script = f"node --test && {PLACEHOLDER}"
    r = repo(tmp_path / "r", {"package.json": package_json(scripts={"test": script})})
    assert commands(r)["test"] == "npm run test"


@pytest.mark.parametrize("value", ["", "   ", None, 1, ["tsc"]])
def test_a_blank_or_malformed_script_has_no_command(tmp_path: Path, value: object) -> None:
    r = repo(tmp_path / "r", {"package.json": package_json(scripts={"build": value})})
    assert commands(r)["build"] is None


@pytest.mark.parametrize(
    "text",
    [
        "{ not json",
        "[1, 2]",
        '"a string"',
        '{"scripts": ["build"]}',
        '{"scripts": {"build": "tsc"}, "dependencies": "none", "packageManager": 9}',
    ],
)
def test_a_malformed_package_json_does_not_break_planning(tmp_path: Path, text: str) -> None:
    r = repo(tmp_path / "r", {"package.json": text})
    stages = check_adapter(NodeAdapter(), r)
    assert [s.command for s in stages][1:] == [None, None]


def test_a_package_json_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    r = repo(tmp_path / "r", {})
    (r / "package.json").write_text("\ufeff" + package_json(scripts=SCRIPTS), encoding="utf-8")
    assert commands(r)["lint"] == "npm run lint"


def test_script_names_are_what_runs_not_their_text(tmp_path: Path) -> None:
    # The script's own text is npm's to run: the command names the script, quoted or not.
    r = repo(tmp_path / "r", {"package.json": package_json(scripts={"test": "rm -rf / ; $(x)"})})
    assert commands(r)["test"] == "npm run test"


# -- the package manager ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lockfile", "manager"),
    [
        ("pnpm-lock.yaml", "pnpm"),
        ("yarn.lock", "yarn"),
        ("bun.lockb", "bun"),
        ("bun.lock", "bun"),
        ("package-lock.json", "npm"),
        ("npm-shrinkwrap.json", "npm"),
    ],
)
def test_the_lockfile_picks_the_package_manager(
    tmp_path: Path, lockfile: str, manager: str
) -> None:
    r = repo(tmp_path / "r", {"package.json": package_json(scripts=SCRIPTS), lockfile: ""})
    assert commands(r) == {
        "build": f"{manager} run build",
        "lint": f"{manager} run lint",
        "test": f"{manager} run test",
    }


@pytest.mark.parametrize(
    ("field", "manager"),
    [
        ("pnpm@9.1.0", "pnpm"),
        ("yarn@4.1.0+sha224.953c8233f7a92884eee2de69a1b92d1f2ec1655e66d08071ba9a02fa", "yarn"),
        ("bun@1.1.8", "bun"),
        ("npm@10.5.0", "npm"),
        ("deno@1.40.0", "npm"),  # not a manager the adapter knows: the default
        ("", "npm"),
    ],
)
def test_without_a_lockfile_the_package_manager_field_picks(
    tmp_path: Path, field: str, manager: str
) -> None:
    r = repo(tmp_path / "r", {"package.json": package_json(scripts=SCRIPTS, packageManager=field)})
    assert commands(r)["test"] == f"{manager} run test"


def test_the_lockfile_wins_over_the_package_manager_field(tmp_path: Path) -> None:
    r = repo(
        tmp_path / "r",
        {
            "package.json": package_json(scripts=SCRIPTS, packageManager="pnpm@9.1.0"),
            "yarn.lock": "",
        },
    )
    assert commands(r)["build"] == "yarn run build"


def test_among_several_lockfiles_the_declared_manager_wins(tmp_path: Path) -> None:
    files = {"package-lock.json": "{}", "yarn.lock": "", "pnpm-lock.yaml": ""}
    declared = repo(
        tmp_path / "a",
        {"package.json": package_json(scripts=SCRIPTS, packageManager="yarn@1.22.19"), **files},
    )
    undeclared = repo(tmp_path / "b", {"package.json": package_json(scripts=SCRIPTS), **files})
    assert commands(declared)["lint"] == "yarn run lint"
    assert commands(undeclared)["lint"] == "pnpm run lint"


# -- installing before the build --------------------------------------------------------------

DEPS = {"dependencies": {"left-pad": "^1.3.0"}}


def test_missing_dependencies_are_installed_before_the_build(tmp_path: Path) -> None:
    r = repo(tmp_path / "r", {"package.json": package_json(scripts=SCRIPTS, **DEPS)})
    assert commands(r) == {
        "build": "npm install && npm run build",
        "lint": "npm run lint",
        "test": "npm run test",
    }


def test_with_package_lock_the_install_is_npm_ci(tmp_path: Path) -> None:
    r = repo(
        tmp_path / "r",
        {"package.json": package_json(scripts=SCRIPTS, **DEPS), "package-lock.json": "{}"},
    )
    assert commands(r)["build"] == "npm ci && npm run build"


def test_without_a_build_script_the_build_stage_only_installs(tmp_path: Path) -> None:
    r = repo(
        tmp_path / "r",
        {"package.json": package_json(scripts={"test": "jest"}, **DEPS), "package-lock.json": "{}"},
    )
    assert commands(r) == {"build": "npm ci", "lint": None, "test": "npm run test"}


@pytest.mark.parametrize(
    "fields",
    [
        {"devDependencies": {"eslint": "^9.0.0"}},
        {"optionalDependencies": {"fsevents": "*"}},
        {"workspaces": ["packages/*"]},
        {"workspaces": {"packages": ["packages/*"], "nohoist": []}},  # Yarn 1's form
    ],
)
def test_any_kind_of_dependency_needs_an_install(tmp_path: Path, fields: dict[str, object]) -> None:
    r = repo(tmp_path / "r", {"package.json": package_json(scripts=SCRIPTS, **fields)})
    assert commands(r)["build"] == "npm install && npm run build"


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"dependencies": {}, "devDependencies": {}, "workspaces": []},
        {"peerDependencies": {"react": "*"}},  # the host installs those, not the package
        {"workspaces": {"nohoist": ["x"]}},
    ],
)
def test_nothing_to_install_means_no_install(tmp_path: Path, fields: dict[str, object]) -> None:
    r = repo(tmp_path / "r", {"package.json": package_json(scripts=SCRIPTS, **fields)})
    assert commands(r)["build"] == "npm run build"


def test_installed_dependencies_are_not_installed_again(tmp_path: Path) -> None:
    r = repo(tmp_path / "r", {"package.json": package_json(scripts=SCRIPTS, **DEPS)})
    (r / "node_modules").mkdir()
    assert commands(r)["build"] == "npm run build"


@pytest.mark.parametrize("loader", [".pnp.cjs", ".pnp.js"])
def test_yarn_plug_n_play_counts_as_installed(tmp_path: Path, loader: str) -> None:
    r = repo(
        tmp_path / "r",
        {"package.json": package_json(scripts=SCRIPTS, **DEPS), "yarn.lock": "", loader: ""},
    )
    assert commands(r)["build"] == "yarn run build"


@pytest.mark.parametrize(
    ("files", "install"),
    [
        ({"pnpm-lock.yaml": ""}, "pnpm install --frozen-lockfile"),
        ({"yarn.lock": ""}, "yarn install --frozen-lockfile"),
        ({"yarn.lock": "", ".yarnrc.yml": ""}, "yarn install --immutable"),
        ({"bun.lockb": ""}, "bun install --frozen-lockfile"),
        ({"npm-shrinkwrap.json": "{}"}, "npm ci"),
    ],
)
def test_each_manager_installs_keeping_its_lockfile(
    tmp_path: Path, files: dict[str, str], install: str
) -> None:
    r = repo(tmp_path / "r", {"package.json": package_json(scripts={}, **DEPS), **files})
    assert commands(r)["build"] == install


@pytest.mark.parametrize(
    ("field", "install"),
    [
        ("yarn@4.1.0", "yarn install --immutable"),
        ("yarn@1.22.22", "yarn install --frozen-lockfile"),
    ],
)
def test_the_yarn_version_in_package_manager_picks_the_frozen_flag(
    tmp_path: Path, field: str, install: str
) -> None:
    r = repo(
        tmp_path / "r",
        {
            "package.json": package_json(scripts={}, packageManager=field, **DEPS),
            "yarn.lock": "",
            ".yarnrc.yml": "",  # the declared version wins over the file's hint
        },
    )
    assert commands(r)["build"] == install


@pytest.mark.parametrize("manager", ["pnpm", "yarn", "bun"])
def test_a_declared_manager_without_lockfile_installs_plainly(tmp_path: Path, manager: str) -> None:
    r = repo(
        tmp_path / "r",
        {"package.json": package_json(scripts=SCRIPTS, packageManager=f"{manager}@1.0.0", **DEPS)},
    )
    assert commands(r)["build"] == f"{manager} install && {manager} run build"
