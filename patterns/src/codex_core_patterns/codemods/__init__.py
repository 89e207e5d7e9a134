"""The built-in codemods, as light descriptors (the entry points of ``codex_core.codemods``).

Each descriptor names its libcst implementation in a sibling module, imported only when a file
passes the precheck. The modules here are also a ``libcst.tool`` codemod package: with
``modules: [codex_core_patterns.codemods]`` in ``.libcst.codemod.yaml``,
``python -m libcst.tool codemod super_call.SuperCall src/`` runs the same class.

Two codemods port the original learning library (they assume an event-bus codebase); the other
four are modernisations most Python projects can merge as they are.
"""

from __future__ import annotations

from ..assets import CodemodAsset

__all__ = [
    "EMPTY_COLLECTION_CALL",
    "EVENT_EMIT",
    "OPEN_MODE",
    "PERCENT_FORMAT",
    "RUN_SUMMARY_FIELDS",
    "SUPER_CALL",
]

#: receiver names whose ``.emit(...)`` counts as an event bus (the ``receivers`` option)
DEFAULT_RECEIVERS = ("bus", "event_bus", "eventbus", "events", "emitter", "event_emitter")

EVENT_EMIT = CodemodAsset(
    id="event-emit",
    version="1.0.0",
    description=(
        'Event-bus calls emit("name", payload) become emit({"type": "name", "payload": payload}).'
    ),
    usage="codex-core patterns apply event-emit src/ --option receivers=bus,hub --dry-run",
    implementation="codex_core_patterns.codemods.event_emit:EventEmitPayload",
    precheck=(rb"\bemit\b",),
    options={"receivers": DEFAULT_RECEIVERS},
)

RUN_SUMMARY_FIELDS = CodemodAsset(
    id="run-summary-fields",
    version="1.0.0",
    description=(
        'Run-summary dict literals (with "run_id" and "status" keys) get the missing '
        '"started_at", "completed_at" and "summary" keys, set to None.'
    ),
    usage="codex-core patterns apply run-summary-fields src/ --dry-run",
    implementation="codex_core_patterns.codemods.run_summary:RunSummaryFields",
    precheck=(rb"run_id", rb"status"),
)

SUPER_CALL = CodemodAsset(
    id="super-call",
    version="1.0.0",
    description="super(Class, self) inside a method of Class becomes super().",
    usage="codex-core patterns apply super-call src/",
    implementation="codex_core_patterns.codemods.super_call:SuperCall",
    # "super(" followed by something other than ")": the call has arguments. Whitespace, line
    # continuations and comments are allowed where Python allows them: no candidate is missed.
    precheck=(rb"super(?:[\s\\]|#[^\n]*)*\((?![\s\\]*\))",),
)

OPEN_MODE = CodemodAsset(
    id="open-mode",
    version="1.0.0",
    description='The redundant default mode of the builtin open(): open(p, "r") becomes open(p).',
    usage="codex-core patterns apply open-mode src/",
    implementation="codex_core_patterns.codemods.open_mode:RedundantOpenMode",
    # a call of `open` (whitespace, continuations, comments allowed before its parenthesis) and
    # a literal "r" / "rt" somewhere
    precheck=(rb"\bopen(?:[\s\\]|#[^\n]*)*\(", rb"""['"]rt?['"]"""),
)

EMPTY_COLLECTION_CALL = CodemodAsset(
    id="empty-collection-call",
    version="1.0.0",
    description="Calls of the builtins dict(), list() and tuple() with no arguments become {}, [] and ().",
    usage="codex-core patterns apply empty-collection-call src/",
    implementation="codex_core_patterns.codemods.empty_collection:EmptyCollectionCall",
    precheck=(rb"\b(?:dict|list|tuple)\s*\(\s*\)",),
)

PERCENT_FORMAT = CodemodAsset(
    id="percent-format",
    version="1.0.0",
    description=(
        'printf-style "%s" formatting of a string literal becomes an f-string, where the f-string '
        "compiles on the running Python."
    ),
    usage="codex-core patterns apply percent-format src/ --dry-run",
    implementation="codex_core_patterns.codemods.percent_format:PercentFormat",
    # a string literal ending right before a % operator, with a %s inside it somewhere
    precheck=(rb"%s", rb"""['"][\s\\]*%"""),
)
