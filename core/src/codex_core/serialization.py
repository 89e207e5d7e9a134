"""JSON for the run model: cattrs to read it, a small hand-written walker to write it.

Unknown fields are kept: structuring puts every key a class does not declare into its ``extra``
dict and unstructuring writes them back. Validation failures become one line per problem naming
the file and the field (``manifest.json: invalid value for type, expected int @ $.commands[0].index``).
Readers accept older manifest versions (the original tool wrote none: version 0).

Writing needs no cattrs: the model is attrs classes of JSON values, and :func:`unstructure`
turns it into dicts and lists with the same result as the cattrs converter (a test holds them
equal). ``start`` only writes, so it imports neither cattrs nor its generated code (about 30 ms
of a 0.45 s budget); the converter is built on first use by whatever reads (``status``,
``resume``, a detached runner).
"""

from __future__ import annotations

import enum
import functools
import json
import operator
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import attrs

from .errors import ManifestError
from .model import MANIFEST_VERSION, Manifest

T = TypeVar("T")


def _keeps_unknown_fields(cls: Any) -> bool:
    """Model classes with an ``extra`` field keep the fields they do not declare."""
    return isinstance(cls, type) and attrs.has(cls) and "extra" in attrs.fields_dict(cls)


@functools.cache
def _converter() -> Any:
    import cattrs
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

    converter = cattrs.Converter(omit_if_default=False)

    # Hook factories, so cattrs generates a class's functions on first use rather than at once.
    def structure_factory(cls: type) -> Any:
        known = set(attrs.fields_dict(cls)) - {"extra"}
        structure = make_dict_structure_fn(cls, converter, extra=override(omit=True))

        def structure_keeping_extra(data: Any, _: type) -> Any:
            if not isinstance(data, dict):
                raise TypeError(f"expected an object, got {type(data).__name__}")
            obj = structure({k: v for k, v in data.items() if k in known}, cls)
            obj.extra = {k: v for k, v in data.items() if k not in known}
            return obj

        return structure_keeping_extra

    def unstructure_factory(cls: type) -> Any:
        unstructure = make_dict_unstructure_fn(cls, converter, extra=override(omit=True))

        def unstructure_with_extra(obj: Any) -> dict[str, Any]:
            data = unstructure(obj)
            for key, value in obj.extra.items():
                data.setdefault(key, value)
            return data

        return unstructure_with_extra

    converter.register_structure_hook_factory(_keeps_unknown_fields, structure_factory)
    converter.register_unstructure_hook_factory(_keeps_unknown_fields, unstructure_factory)
    return converter


def __getattr__(name: str) -> Any:
    """``converter``: the cattrs converter, built (and cattrs imported) on first access."""
    if name == "converter":
        return _converter()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def structure(data: Any, cls: type[T], *, source: str) -> T:
    """Build ``cls`` from JSON-shaped ``data``, raising ManifestError that names ``source``."""
    import cattrs

    try:
        return _converter().structure(data, cls)
    except Exception as exc:  # cattrs raises ExceptionGroups of many kinds
        problems = (
            cattrs.transform_error(exc, path="$")
            if isinstance(exc, cattrs.BaseValidationError)
            else [str(exc)]
        )
        raise ManifestError(f"{source}: " + "; ".join(problems)) from None


def unstructure(obj: Any) -> Any:
    """``obj`` as JSON-shaped data: attrs instances become dicts (fields in declaration order,
    then the ``extra`` fields a field does not already name, as they are), lists and tuples
    become lists, dicts are copied, enums become their values, anything else is kept."""
    cls = obj.__class__
    if cls in _SCALARS:
        return obj
    fields = _attrs_fields(cls)
    if fields is not None:
        names, get_values, keeps_extra = fields
        data = dict(zip(names, get_values(obj), strict=True))
        # Most fields are scalars and stay as they are (this runs for every manifest write).
        for name, value in data.items():
            if value.__class__ not in _SCALARS:
                data[name] = unstructure(value)
        if keeps_extra:
            for key, value in obj.extra.items():
                data.setdefault(key, value)
        return data
    if isinstance(obj, (list, tuple)):
        return [unstructure(item) for item in obj]
    if isinstance(obj, dict):
        return {unstructure(key): unstructure(value) for key, value in obj.items()}
    if isinstance(obj, enum.Enum):
        return obj.value
    return obj


_SCALARS = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _attrs_fields(cls: type) -> tuple[tuple[str, ...], Any, bool] | None:
    """For an attrs class: the fields :func:`unstructure` writes, one C-level getter of all
    their values, and whether the class keeps unknown fields in ``extra`` (merged into the
    output, not nested). None for anything else."""
    if not attrs.has(cls):
        return None
    names = tuple(f.name for f in attrs.fields(cls) if f.name != "extra")
    getter = operator.attrgetter(*names) if names else (lambda obj: ())
    if len(names) == 1:  # attrgetter of one name returns the value, not a 1-tuple
        getter = lambda obj, get=getter: (get(obj),)  # noqa: E731
    return names, getter, _keeps_unknown_fields(cls)


def manifest_from_dict(data: Any, *, source: str) -> Manifest:
    """A Manifest from parsed JSON, upgrading older versions first."""
    if not isinstance(data, dict):
        raise ManifestError(f"{source}: expected a JSON object at the top level")
    version = data.get("version", 0)
    if not isinstance(version, int) or version < 0:
        raise ManifestError(f"{source}: invalid value for 'version': {version!r}")
    if version < MANIFEST_VERSION:
        data = {**data, "version": MANIFEST_VERSION}
    return structure(data, Manifest, source=source)


def manifest_to_json(manifest: Manifest, line: Callable[[str], str] | None = None) -> str:
    """The manifest as JSON: a top-level key a line, and a list item (a command) a line.

    Readable in an editor and in diffs, and fast: ``json.dumps(indent=...)`` falls back to the
    pure-Python encoder, which made writing the manifest the costliest part of a stage. ``line``,
    when given, is applied to each of those lines (redaction, which works a line at a time).
    """
    return pretty_json(unstructure(manifest), line)


def pretty_json(data: dict[str, Any], line: Callable[[str], str] | None = None) -> str:
    keep = line or _same
    lines = []
    for key, value in data.items():
        if isinstance(value, list) and value:
            items = ",\n".join(keep(f"    {json.dumps(item)}") for item in value)
            lines.append(f"{keep(f'  {json.dumps(key)}: [')}\n{items}\n  ]")
        else:
            lines.append(keep(f"  {json.dumps(key)}: {json.dumps(value)}"))
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _same(text: str) -> str:
    return text


def read_manifest(path: Path) -> Manifest:
    """Load ``path``, with one clear error for a missing, unparsable or invalid file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"{path}: no such manifest") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    return manifest_from_dict(data, source=str(path))
