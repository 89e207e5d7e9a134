"""patterns/index.json against what is installed: no drift in either direction."""

from __future__ import annotations

import json
from importlib.metadata import distribution

import pytest
from codex_core_patterns.assets import KIND_BY_NAMESPACE, is_semver
from patterns_helpers import INDEX

FIELDS = {"id", "kind", "version", "entry", "description", "usage"}


def installed_entry_points():
    eps = distribution("codex-core-patterns").entry_points
    return {
        (KIND_BY_NAMESPACE[ep.group], ep.name): ep for ep in eps if ep.group in KIND_BY_NAMESPACE
    }


def index_assets():
    return {(a["kind"], a["id"]): a for a in json.loads(INDEX.read_text())["assets"]}


def test_every_index_entry_has_the_fields_and_a_semver():
    for key, asset in index_assets().items():
        assert set(asset) == FIELDS, f"{key}: fields {sorted(asset)}"
        assert is_semver(asset["version"]), f"{key}: {asset['version']!r} is not semver"
        assert asset["kind"] in KIND_BY_NAMESPACE.values()
        assert asset["description"].strip() and asset["usage"].strip()


def test_no_installed_asset_is_missing_from_the_index():
    missing = sorted(set(installed_entry_points()) - set(index_assets()))
    assert not missing, f"installed but not in patterns/index.json: {missing}"


def test_no_index_entry_is_missing_from_the_installed_entry_points():
    extra = sorted(set(index_assets()) - set(installed_entry_points()))
    assert not extra, f"in patterns/index.json but not registered by entry point: {extra}"


def test_index_entries_match_the_assets_they_name():
    eps, index = installed_entry_points(), index_assets()
    for key, ep in sorted(eps.items()):
        asset, entry = ep.load(), index[key]
        assert entry["entry"] == ep.value, f"{key}: index entry {entry['entry']!r} != {ep.value!r}"
        assert asset.kind == entry["kind"] and asset.id == entry["id"] == ep.name
        assert asset.version == entry["version"], (
            f"{key}: index says {entry['version']}, the asset says {asset.version}: bump both"
        )
        assert (asset.description, asset.usage) == (entry["description"], entry["usage"])


def test_there_are_at_least_two_codemods_a_lint_rule_and_the_two_templates():
    kinds = [kind for kind, _ in index_assets()]
    assert kinds.count("codemod") >= 2 and kinds.count("linter") >= 1
    assert {("template", "implementation-summary"), ("template", "run-manifest-checklist")} <= set(
        index_assets()
    )


@pytest.mark.parametrize("bad", ["1.0", "01.0.0", "1.0.0.0", "v1.0.0", ""])
def test_an_asset_refuses_a_version_that_is_not_semver(bad):
    from codex_core_patterns.assets import TemplateAsset

    with pytest.raises(ValueError, match="semantic version"):
        TemplateAsset(id="x", version=bad, description="d", usage="u", package="p", resource="r")


def test_code_assets_expose_their_version_on_the_implementation_too():
    for key, ep in installed_entry_points().items():
        asset = ep.load()
        if asset.kind == "template":
            continue
        implementation = asset.load()
        assert (implementation.NAME, implementation.VERSION) == (asset.id, asset.version), key
        assert implementation.PRECHECK == asset.precheck
