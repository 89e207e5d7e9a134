"""What a learning-library asset is, and how one is found by name.

An asset is a small, light descriptor (no libcst import) registered by entry point in one of
three namespaces: ``codex_core.codemods``, ``codex_core.linters``, ``codex_core.templates``. It
carries what a catalogue needs (``id``, ``version``, ``description``, ``usage``) and, for codemods
and lint rules, a cheap textual *precheck* and the import path of the libcst class doing the
work. Keeping the descriptor light matters: the runner reads every file and tests the precheck
before anything imports libcst (about a second on a small machine), so a run where nothing can
match never pays for it.

A third party ships its own asset the same way::

    # pyproject.toml
    [project.entry-points."codex_core.codemods"]
    my-fix = "my_pkg.assets:MY_FIX"

    # my_pkg/assets.py
    from codex_core_patterns.assets import CodemodAsset

    MY_FIX = CodemodAsset(
        id="my-fix", version="1.0.0", description="...", usage="codex-core patterns apply my-fix",
        implementation="my_pkg.fix:MyFix", precheck=(rb"old_name",),
    )

``implementation`` names a :class:`libcst.codemod.CodemodCommand` subclass (a codemod) or a
:class:`codex_core_patterns.linters.base.LintRule` subclass (a lint rule).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
from codex_core.errors import UsageError

__all__ = [
    "KIND_BY_NAMESPACE",
    "NAMESPACE_BY_KIND",
    "CodemodAsset",
    "LinterAsset",
    "TemplateAsset",
    "UnknownAssetError",
    "find_asset",
    "is_semver",
]

KIND_BY_NAMESPACE = {
    "codex_core.codemods": "codemod",
    "codex_core.linters": "linter",
    "codex_core.templates": "template",
}
NAMESPACE_BY_KIND = {kind: namespace for namespace, kind in KIND_BY_NAMESPACE.items()}

# semver.org's own grammar (no leading zeros; optional pre-release and build metadata).
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


class UnknownAssetError(UsageError, LookupError):
    """No installed asset of that kind has that name (exit 2)."""

    code = "unknown-asset"


def is_semver(value: object) -> bool:
    return isinstance(value, str) and _SEMVER.match(value) is not None


def _check_id(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not _ID.match(value):
        raise ValueError(f"asset id {value!r} must be lower-case words joined by '-'")


def _check_semver(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not is_semver(value):
        raise ValueError(f"asset version {value!r} is not a semantic version (MAJOR.MINOR.PATCH)")


def _import(path: str) -> Any:
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


@attrs.frozen(kw_only=True, eq=False)
class _Asset:
    id: str = attrs.field(validator=_check_id)
    version: str = attrs.field(validator=_check_semver)
    description: str
    usage: str
    kind: ClassVar[str]


@attrs.frozen(kw_only=True, eq=False)
class _CodeAsset(_Asset):
    #: ``module:Class`` of the libcst class that does the work (imported only when needed)
    implementation: str
    #: regular expressions (bytes) that must *all* be found in a file for it to possibly change;
    #: a file failing one is skipped unparsed. Must never reject a file the asset would change.
    precheck: tuple[bytes, ...] = ()
    _compiled: tuple[re.Pattern[bytes], ...] = attrs.field(
        init=False, repr=False, eq=False, default=()
    )

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_compiled", tuple(re.compile(p) for p in self.precheck))

    def could_match(self, source: bytes) -> bool:
        """Whether ``source`` passes the precheck (False means: cannot match, do not parse)."""
        return all(p.search(source) is not None for p in self._compiled)

    def load(self) -> type:
        """Import and return the implementation class (this imports libcst)."""
        return _import(self.implementation)


@attrs.frozen(kw_only=True, eq=False)
class CodemodAsset(_CodeAsset):
    """A libcst codemod: ``implementation`` is a ``libcst.codemod.CodemodCommand`` subclass.

    ``options`` maps each option the codemod's constructor accepts to its default; the CLI's
    ``--option KEY=VALUE`` and a stage's ``options = {...}`` override them.
    """

    options: Mapping[str, Any] = attrs.field(factory=dict)
    kind: ClassVar[str] = "codemod"


@attrs.frozen(kw_only=True, eq=False)
class LinterAsset(_CodeAsset):
    """A lint rule: ``implementation`` is a :class:`~codex_core_patterns.linters.base.LintRule`."""

    kind: ClassVar[str] = "linter"


@attrs.frozen(kw_only=True, eq=False)
class TemplateAsset(_Asset):
    """A Markdown template with ``${field}`` placeholders (see :mod:`codex_core_patterns.templates`).

    ``resource`` is the file name inside ``package``; ``fields`` lists every placeholder.
    """

    package: str
    resource: str
    fields: tuple[str, ...] = ()
    kind: ClassVar[str] = "template"

    def text(self) -> str:
        from importlib.resources import files

        return files(self.package).joinpath(self.resource).read_text(encoding="utf-8")

    def render(self, values: Mapping[str, object]) -> str:
        """Fill the placeholders; a field without a value stays visible as ``${field}``."""
        from string import Template

        return Template(self.text()).safe_substitute({k: str(v) for k, v in values.items()})


def find_asset(kind: str, name: str, *, kernel: Any = None) -> Any:
    """The installed asset ``name`` of ``kind`` (``codemod``, ``linter``, ``template``).

    Loaded by entry point through codex-core's discovery (stevedore; only that name is
    imported; ``CODEX_CORE_LOAD_PLUGINS`` applies). ``kernel`` reuses a kernel's loaded plugins.
    For codemods and lint rules, ``name`` may also be ``module:attr`` naming an asset object or an
    implementation class directly (a one-off, not registered): see :func:`external_asset`.
    Raises :class:`UnknownAssetError` when nothing of that name is installed.
    """
    namespace = NAMESPACE_BY_KIND[kind]
    if ":" in name and kind != "template":
        return external_asset(kind, name)
    if kernel is not None:
        found = kernel.load_namespace(namespace, [name]).get(name)
        failures = [f for f in kernel.failures if f.namespace == namespace and f.name == name]
    else:
        from codex_core import discovery

        objects, failures = discovery.load(namespace, [name])
        found = objects.get(name)
    if found is None:
        detail = f" (it failed to load: {failures[0].error})" if failures else ""
        raise UnknownAssetError(f"no {kind} named {name!r} is installed{detail}")
    if getattr(found, "kind", None) != kind:
        raise UnknownAssetError(f"entry point {namespace}:{name} is not a {kind} asset")
    return found


def external_asset(kind: str, path: str) -> Any:
    """An asset given as ``module:attr``: an asset object, or an implementation class.

    A bare class becomes an ad-hoc asset: id and version from its ``NAME``/``VERSION``
    attributes when it has them, its ``PRECHECK`` (a tuple of byte regexes) if any, else no
    precheck (every file is parsed).
    """
    try:
        target = _import(path)
    except (ImportError, AttributeError, ValueError) as exc:
        raise UnknownAssetError(f"cannot import {path!r}: {type(exc).__name__}: {exc}") from None
    if getattr(target, "kind", None) == kind and not isinstance(target, type):
        return target
    if not isinstance(target, type):
        raise UnknownAssetError(f"{path!r} is neither a {kind} asset nor a class")
    cls = CodemodAsset if kind == "codemod" else LinterAsset
    raw_id = str(getattr(target, "NAME", target.__name__))
    ident = re.sub(r"[^a-z0-9]+", "-", re.sub(r"(?<!^)(?=[A-Z])", "-", raw_id).lower()).strip("-")
    return cls(
        id=ident or "external",
        version=getattr(target, "VERSION", "0.0.0"),
        description=(target.__doc__ or "").strip().split("\n")[0] or path,
        usage=f"codex-core patterns {'apply' if kind == 'codemod' else 'lint --rule'} {path}",
        implementation=path,
        precheck=tuple(getattr(target, "PRECHECK", ())),
    )
