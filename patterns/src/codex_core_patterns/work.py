"""What a worker does with one file: apply a codemod, or run lint rules. Never raises.

These functions run in the runner's worker processes (or in-process with ``--jobs 1``). Every
exception, including ``SystemExit`` from a misbehaving codemod, becomes that file's ``failed``
result with the traceback's last line as ``error`` and the whole traceback kept; only
``KeyboardInterrupt`` propagates, so Ctrl-C still stops a run.

A changed file is written with :func:`codex_core.write_atomic` (temp file, fsync, rename), so a
file is either the old one or the new one even if the process is killed mid-write; the
directory fsync is left to the parent, once per directory, when the run ends. The file keeps
its permission bits. Bytes in, bytes out: libcst honours the file's encoding declaration and
line endings, and an unchanged file is never rewritten (its mtime does not move).

A change is compiled (``compile()``, no code runs) before it is written: a codemod whose output
is not valid Python *on the interpreter running it* fails that file with reason
``invalid-output`` and nothing is written. The evaluation harness found why this matters:
libcst's own percent-format-to-f-string codemod emits f-strings that reuse their quote inside
a replacement field, valid from Python 3.12 only, a SyntaxError on 3.11 (webob 1.8.9).
"""

from __future__ import annotations

import difflib
import os
import signal
import stat
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .results import (
    CODEMOD_ERROR,
    INVALID_OUTPUT,
    PARSE_ERROR,
    READ_ERROR,
    RULE_ERROR,
    SKIP_FILE,
    WRITE_ERROR,
    FileResult,
)

__all__ = ["apply_file", "error_line", "lint_file"]

#: Set by the pool in a worker process: called once a change is on disk, while SIGTERM is still
#: held back, so a worker terminated because *another* worker died never leaves a temp file
#: behind, and the pool knows the file was applied even though its result is lost.
on_written: Callable[[], None] | None = None


def error_line(exc: BaseException) -> str:
    """The last line of ``exc``'s traceback (``ValueError: boom``), on one line."""
    from libcst import ParserSyntaxError

    if isinstance(exc, ParserSyntaxError):
        return f"ParserSyntaxError: {exc.message}"  # the message holds the position
    text = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return " ".join(text.split("\n"))


def _failed(rel: str, reason: str, exc: BaseException) -> FileResult:
    return FileResult(
        rel, "failed", reason=reason, error=error_line(exc), traceback=traceback.format_exc()
    )


def _diff(rel: str, before: bytes, after: bytes, encoding: str) -> str:
    old = before.decode(encoding, errors="replace").splitlines(keepends=True)
    new = after.decode(encoding, errors="replace").splitlines(keepends=True)
    lines = difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}")
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def apply_file(
    command: type, options: Mapping[str, Any], path: str, rel: str, dry_run: bool, diff: bool
) -> FileResult:
    """Run the codemod class ``command`` on the file at ``path`` (reported as ``rel``)."""
    import libcst as cst
    from libcst.codemod import CodemodContext, SkipFile

    try:
        with open(path, "rb") as handle:
            source = handle.read()
            mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
    except OSError as exc:
        return _failed(rel, READ_ERROR, exc)
    try:
        tree = cst.parse_module(source)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        return _failed(rel, PARSE_ERROR, exc)
    from .codemods.base import FRESH_TREE

    context = CodemodContext(filename=path, scratch={FRESH_TREE: tree})
    try:
        transformer = command(context, **options)
        new_tree = transformer.transform_module(tree)
        new = new_tree.bytes
    except SkipFile as exc:
        return FileResult(rel, "skipped", reason=SKIP_FILE, error=str(exc) or None)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        return _failed(rel, CODEMOD_ERROR, exc)
    notes = tuple(context.warnings)
    if new == source:
        return FileResult(rel, "unchanged", warnings=notes)
    try:
        with warnings.catch_warnings():  # a SyntaxWarning is not invalid output, whatever -W says
            warnings.simplefilter("ignore")
            compile(new, path, "exec", dont_inherit=True)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        return _failed(rel, INVALID_OUTPUT, exc)
    text = _diff(rel, source, new, new_tree.encoding) if (dry_run or diff) else None
    if not dry_run:
        try:
            _write(path, new, mode)
        except OSError as exc:
            return _failed(rel, WRITE_ERROR, exc)
    return FileResult(rel, "applied", diff=text, warnings=notes)


def _write(path: str, data: bytes, mode: int) -> None:
    from codex_core.atomic import write_atomic

    in_worker = on_written is not None
    if in_worker:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        write_atomic(path, data, mode=mode, durable=True, sync_directory=False)
        if stat.S_IMODE(os.stat(path).st_mode) != mode:  # the umask narrowed the temp file's mode
            os.chmod(path, mode)
        if on_written is not None:
            on_written()
    finally:
        if in_worker:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def lint_file(rules: Sequence[type], path: str, rel: str) -> FileResult:
    """Run the lint rule classes ``rules`` on the file at ``path`` (one parse for all)."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper

    try:
        with open(path, "rb") as handle:
            source = handle.read()
    except OSError as exc:
        return _failed(rel, READ_ERROR, exc)
    try:
        wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        return _failed(rel, PARSE_ERROR, exc)
    findings = []
    for rule in rules:
        try:
            instance = rule(rel)
            wrapper.visit_batched([instance])
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            result = _failed(rel, RULE_ERROR, exc)
            return FileResult(
                rel, "failed", reason=RULE_ERROR,
                error=f"{getattr(rule, 'NAME', rule.__name__)}: {result.error}",
                traceback=result.traceback,
            )  # fmt: skip
        findings.extend(instance.findings)
    findings.sort(key=lambda f: (f.line, f.column, f.rule))
    return FileResult(rel, "findings" if findings else "clean", findings=tuple(findings))
