"""A server's tool set: what is hashed into the manifest, and checking arguments before a call.

The hash is the sha256 of a canonical JSON text of the ``tools/list`` answer: for each tool its
``name``, ``description`` and ``inputSchema``, the list sorted by name, object keys sorted, no
insignificant whitespace, UTF-8. Two runs against the same tool set record the same hash whatever
order the server lists the tools in or the keys of their schemas; a tool added, removed, renamed,
re-described or given another schema changes it. (Titles, annotations and output schemas are left
out: they do not change what a call does.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs


@attrs.frozen
class ToolInfo:
    """One tool of a server's ``tools/list``."""

    name: str
    description: str | None = None
    input_schema: dict[str, Any] = attrs.field(factory=dict)


def canonical_tools_json(tools: Iterable[ToolInfo]) -> str:
    """The text :func:`tools_sha256` hashes."""
    entries = sorted(
        (
            {"name": t.name, "description": t.description, "inputSchema": t.input_schema}
            for t in tools
        ),
        key=lambda entry: entry["name"],
    )
    return json.dumps(entries, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def tools_sha256(tools: Iterable[ToolInfo]) -> str:
    """sha256 (hex) of the canonical JSON of ``tools``."""
    return hashlib.sha256(canonical_tools_json(tools).encode("utf-8")).hexdigest()


def argument_problems(schema: Mapping[str, Any] | None, arguments: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``arguments`` for a tool whose inputSchema is ``schema`` (empty: fine).

    Validated with jsonschema (the draft the schema names, else 2020-12). A schema that is itself
    invalid or cannot be resolved is not held against the arguments: the server decides then.
    """
    if not schema:
        return []
    import jsonschema
    from jsonschema.exceptions import SchemaError

    try:
        validator_class = jsonschema.validators.validator_for(
            schema, default=jsonschema.Draft202012Validator
        )
        validator_class.check_schema(schema)
        validator = validator_class(schema)
        errors = sorted(validator.iter_errors(dict(arguments)), key=lambda e: list(e.path))
    except SchemaError:
        return []
    except Exception:  # an unresolvable $ref and the like: leave it to the server
        return []
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '(arguments)'}: {error.message}"
        for error in errors
    ]
