"""The spec index (``tasks/index.json``) and the front matter of the specs it lists.

The index is JSON::

    {
      "version": 1,
      "specs": [
        {"id": "0001-kernel", "title": "Kernel", "path": "tasks/specs/0001-kernel.md",
         "status": "in-progress"}
      ]
    }

``id`` and ``path`` (repo-relative, inside the repo) are required; ``title`` and ``status`` are
optional strings; other keys are kept for people and other tools. An index that breaks these
rules is bad input (:class:`SpecIndexError`, exit 2), reported with the file and the entry.

A spec is a text file (markdown, usually) that starts with YAML front matter between two ``---``
lines, read with PyYAML's safe loader (:func:`parse_front_matter`)::

    ---
    id: 0001-kernel
    status: in-progress            # a comment
    last_review: 2026-11-23
    approvals:
      - {name: lead, date: 2026-11-20}
    tags: [kernel, cli]
    ---

Any YAML works whose document is a mapping: nested mappings, lists, multi-line strings. The
guard reads ``id`` and ``status`` (strings), ``last_review`` (a date: YAML reads an unquoted
``2026-11-23`` as one, a quoted one stays a string that :mod:`.rules` checks) and leaves the
rest (``approvals``, a free-form list, and any other key) to people. Front matter that is not
YAML, that repeats a key, or whose document is not a mapping raises :class:`FrontMatterError`
naming the line where PyYAML gives one: an ``unparsable-front-matter`` finding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from codex_core.errors import PathEscapeError, UsageError
from codex_core.paths import contained_path

INDEX_VERSION = 1
FrontMatter = dict[Any, Any]  # a YAML mapping: keys are strings, usually


class SpecIndexError(UsageError):
    """``tasks/index.json`` is missing pieces, is not JSON, or points outside the repository."""

    code = "bad-spec-index"


class FrontMatterError(ValueError):
    """A spec's front matter is not YAML, or not a mapping; says which line where it can."""


@dataclass(frozen=True)
class SpecEntry:
    """One spec the index lists."""

    id: str
    path: str
    title: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class SpecIndex:
    path: str  # repo-relative
    specs: tuple[SpecEntry, ...]


def load_index(repo: Path, index: str) -> SpecIndex | None:
    """The index at ``repo/index``; None when there is none (the guard then has nothing to do)."""
    file = repo / index
    if not file.exists() and not file.is_symlink():
        return None
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise SpecIndexError(f"{file}: cannot be read ({why})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecIndexError(
            f"{file}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    return parse_index(data, file, repo, index)


def parse_index(data: Any, file: Path, repo: Path, index: str) -> SpecIndex:
    def bad(where: str, problem: str) -> SpecIndexError:
        return SpecIndexError(f"{file}: {where}{': ' if where else ''}{problem}")

    if not isinstance(data, dict):
        raise bad("", 'expected an object like {"version": 1, "specs": [...]}')
    version = data.get("version", INDEX_VERSION)
    if version != INDEX_VERSION or isinstance(version, bool):
        raise bad(
            "version", f"unsupported version {version!r} (this spec guard reads {INDEX_VERSION})"
        )
    specs = data.get("specs")
    if not isinstance(specs, list):
        raise bad("specs", "expected a list of specs")
    entries: list[SpecEntry] = []
    seen: set[str] = set()
    for position, raw in enumerate(specs):
        here = f"specs[{position}]"
        if not isinstance(raw, dict):
            raise bad(here, "expected an object with id and path")
        spec_id, path = raw.get("id"), raw.get("path")
        if not isinstance(spec_id, str) or not spec_id.strip():
            raise bad(f"{here}.id", f"expected a non-empty string, got {spec_id!r}")
        if spec_id in seen:
            raise bad(f"{here}.id", f"{spec_id!r} appears twice")
        seen.add(spec_id)
        if not isinstance(path, str) or not path.strip():
            raise bad(f"{here}.path", f"expected a repo-relative path, got {path!r}")
        if path.startswith("/") or "\\" in path or ".." in PurePosixPath(path).parts:
            raise bad(f"{here}.path", f"expected a repo-relative POSIX path, got {path!r}")
        try:
            contained_path(repo, path)
        except PathEscapeError:
            raise bad(f"{here}.path", f"{path!r} leaves the repository") from None
        for key in ("title", "status"):
            if raw.get(key) is not None and not isinstance(raw[key], str):
                raise bad(f"{here}.{key}", f"expected a string, got {raw[key]!r}")
        entries.append(
            SpecEntry(
                id=spec_id,
                path=PurePosixPath(path).as_posix(),
                title=raw.get("title"),
                status=raw.get("status"),
            )
        )
    return SpecIndex(path=index, specs=tuple(entries))


def parse_front_matter(text: str) -> FrontMatter | None:
    """The front matter of ``text``; None when it has none; FrontMatterError when malformed.

    Front matter is the YAML between a first line ``---`` and the next line ``---``; empty front
    matter is an empty mapping. Line numbers in errors are the file's (its line 1 is ``---``).
    """
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return None
    close = next((n for n, line in enumerate(lines[1:], start=1) if line.rstrip() == "---"), None)
    if close is None:
        raise FrontMatterError("line 1 opens the front matter with '---' but no line closes it")
    source = "".join(lines[1:close])
    try:
        data, line = _load(source)
    except yaml.MarkedYAMLError as exc:
        raise FrontMatterError(_yaml_problem(exc)) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        where = source.count("\n", 0, exc.position) + 2
        raise FrontMatterError(
            f"line {where}: not valid YAML: character #x{exc.character:04x} ({exc.reason})"
        ) from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(f"not valid YAML: {str(exc).splitlines()[0]}") from None
    except (ValueError, KeyError, TypeError) as exc:  # an explicit tag PyYAML cannot apply
        raise FrontMatterError(f"not valid YAML: a value its tag does not fit ({exc!r})") from None
    except RecursionError:
        raise FrontMatterError("not valid YAML: nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError(
            f"line {line}: expected a mapping ('key: value' lines), got a YAML {_yaml_kind(data)}"
        )
    return data


def _load(source: str) -> tuple[Any, int]:
    """The YAML document in ``source`` (None when empty) and the file line it starts on."""
    loader = _Loader(source)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, 2
        return loader.construct_document(node), node.start_mark.line + 2
    finally:
        loader.dispose()


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing repeated keys, keeping a date-like non-date as text."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value if isinstance(node, yaml.MappingNode) else ():
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: *base": the keys it merges in may be overridden
            key = self.construct_object(key_node, deep=deep)
            try:
                repeated = key in seen
            except TypeError:
                continue  # unhashable: the safe loader refuses it itself
            if repeated:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"{key!r} appears twice",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    # 2026-11-31 looks like a date to YAML, which then fails to build it: keep the text, and let
    # the last_review rule say what is wrong with it (unparsable-last-review), as for any text.
    text = loader.construct_scalar(node)
    if not isinstance(text, str) or not loader.timestamp_regexp.match(text):
        return text
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return text


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's error as ``line N: not valid YAML: problem (context from line M)``, file lines."""
    problem = exc.problem or exc.context or "cannot be read"
    context = (
        f" ({exc.context} from line {exc.context_mark.line + 2})"
        if (exc.problem and exc.context and exc.context_mark)
        else ""
    )
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 2}: " if mark else ""
    return f"{where}not valid YAML: {problem}{context}"


def _yaml_kind(data: object) -> str:
    if isinstance(data, list):
        return "list"
    if isinstance(data, str):
        return "string"
    return type(data).__name__
