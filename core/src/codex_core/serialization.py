"""JSON for the run model, through one cattrs converter.

Unknown fields are kept: structuring puts every key a class does not declare into its ``extra``
dict and unstructuring writes them back. Validation failures become one line per problem naming
the file and the field (``manifest.json: invalid value for type, expected int @ $.commands[0].index``).
Readers accept older manifest versions (the original tool wrote none: version 0).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .errors import ManifestError
from .model import MANIFEST_VERSION, Manifest

T = TypeVar("T")

converter = cattrs.Converter(omit_if_default=False)


def _keeps_unknown_fields(cls: Any) -> bool:
    """Model classes with an ``extra`` field keep the fields they do not declare."""
    return isinstance(cls, type) and attrs.has(cls) and "extra" in attrs.fields_dict(cls)


# Hook factories, so cattrs generates a class's functions on first use rather than at import:
# ``status`` and ``--version`` should not pay for classes they never touch.
def _structure_factory(cls: type) -> Any:
    known = set(attrs.fields_dict(cls)) - {"extra"}
    structure = make_dict_structure_fn(cls, converter, extra=override(omit=True))

    def structure_keeping_extra(data: Any, _: type) -> Any:
        if not isinstance(data, dict):
            raise TypeError(f"expected an object, got {type(data).__name__}")
        obj = structure({k: v for k, v in data.items() if k in known}, cls)
        obj.extra = {k: v for k, v in data.items() if k not in known}
        return obj

    return structure_keeping_extra


def _unstructure_factory(cls: type) -> Any:
    unstructure = make_dict_unstructure_fn(cls, converter, extra=override(omit=True))

    def unstructure_with_extra(obj: Any) -> dict[str, Any]:
        data = unstructure(obj)
        for key, value in obj.extra.items():
            data.setdefault(key, value)
        return data

    return unstructure_with_extra


converter.register_structure_hook_factory(_keeps_unknown_fields, _structure_factory)
converter.register_unstructure_hook_factory(_keeps_unknown_fields, _unstructure_factory)


def structure(data: Any, cls: type[T], *, source: str) -> T:
    """Build ``cls`` from JSON-shaped ``data``, raising ManifestError that names ``source``."""
    try:
        return converter.structure(data, cls)
    except Exception as exc:  # cattrs raises ExceptionGroups of many kinds
        problems = (
            cattrs.transform_error(exc, path="$")
            if isinstance(exc, cattrs.BaseValidationError)
            else [str(exc)]
        )
        raise ManifestError(f"{source}: " + "; ".join(problems)) from None


def unstructure(obj: Any) -> Any:
    return converter.unstructure(obj)


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


def manifest_to_json(manifest: Manifest) -> str:
    """The manifest as JSON: a top-level key a line, and a list item (a command) a line.

    Readable in an editor and in diffs, and fast: ``json.dumps(indent=...)`` falls back to the
    pure-Python encoder, which made writing the manifest the costliest part of a stage.
    """
    return pretty_json(unstructure(manifest))


def pretty_json(data: dict[str, Any]) -> str:
    lines = []
    for key, value in data.items():
        if isinstance(value, list) and value:
            items = ",\n".join(f"    {json.dumps(item)}" for item in value)
            lines.append(f"  {json.dumps(key)}: [\n{items}\n  ]")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


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
