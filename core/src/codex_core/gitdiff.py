"""Reading ``git diff --numstat -z``: which files a change touches and by how many lines.

Shared by every plugin that measures a change (the builder's diff stat, the diff budget, the
evaluation harness), so renames and binary files are read one way everywhere. ``-z`` keeps
paths byte-exact (no quoting of unusual names); a rename or copy comes as an empty path
followed by the old and the new name, and counts under the new one; a binary file's counts
are ``-`` and read as 0.
"""

from __future__ import annotations

import os
from typing import Any

import attrs

__all__ = ["DiffStat", "NumstatEntry", "parse_numstat"]


@attrs.frozen
class NumstatEntry:
    path: str
    added: int
    deleted: int
    binary: bool = False


def parse_numstat(out: bytes) -> list[NumstatEntry]:
    """The entries of ``git diff --numstat -z`` output, in git's order."""
    fields = out.split(b"\0")
    entries, i = [], 0
    while i < len(fields) and fields[i]:
        added, deleted, path = fields[i].split(b"\t", 2)
        if not path:  # a rename or copy: the new path is the second name
            path, i = fields[i + 2], i + 3
        else:
            i += 1
        binary = added == b"-"
        entries.append(
            NumstatEntry(
                path=os.fsdecode(path),
                added=0 if binary else int(added),
                deleted=0 if binary else int(deleted),
                binary=binary,
            )
        )
    return entries


@attrs.frozen
class DiffStat:
    """The totals of a change: files, lines added and deleted, and the paths."""

    files: int
    insertions: int
    deletions: int
    paths: tuple[str, ...]

    @classmethod
    def from_numstat(cls, out: bytes) -> DiffStat:
        entries = parse_numstat(out)
        return cls(
            files=len(entries),
            insertions=sum(e.added for e in entries),
            deletions=sum(e.deleted for e in entries),
            paths=tuple(e.path for e in entries),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "insertions": self.insertions,
            "deletions": self.deletions,
            "paths": list(self.paths),
        }

    @property
    def line(self) -> str:
        return f"{self.files} file(s) changed, +{self.insertions} -{self.deletions}"
