"""Reading a command line the way ``/bin/sh`` splits it, for the command policy.

:func:`parse_command` returns every pipeline a line would run, each a tuple of
:class:`SimpleCommand` (words after quote removal, and redirections). It follows POSIX sh
(quotes, backslashes, comments, here-documents, line continuations, ``;`` ``&&`` ``||`` ``|``
``&`` newlines and parentheses) plus what bash adds that changes which words a command gets:
``$'...'`` strings, ``<(...)``, ``&>`` and brace expansion (``{rm,-rf,/}`` is three words).
Command substitutions (``$(...)``, backticks, ``<(...)``, unquoted here-document bodies) and the
scripts of ``sh -c``, ``bash -c``, ``eval``, ``env -S`` and ``watch`` are parsed as pipelines of
their own. What cannot be read raises :class:`CommandParseError` (the policy then denies).

:func:`candidate_commands` and :func:`judged_command` say which program a simple command runs,
looking past assignments, keywords and wrappers (``sudo``, ``env``, ``timeout``...).

It never expands variables, globs or aliases: those are only known when the shell runs.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Sequence
from itertools import pairwise

import attrs

__all__ = [
    "WRITE_REDIRECTS",
    "CommandParseError",
    "Pipeline",
    "SimpleCommand",
    "candidate_commands",
    "judged_command",
    "parse_command",
    "program_name",
]


class CommandParseError(ValueError):
    """A command line the policy cannot read (unbalanced quotes, too deeply nested, ...)."""


@attrs.frozen
class SimpleCommand:
    """One simple command: its words after quote removal, and its redirections."""

    words: tuple[str, ...]
    redirects: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return " ".join(shlex.quote(w) for w in self.words)


Pipeline = tuple[SimpleCommand, ...]

_OPERATORS = (
    "&>>", ";;&", "<<<", "<<-", "&&", "||", ";;", ";&", "|&", ">>", ">|", "<>", "<<", "<&", ">&",
    "&>", ";", "&", "|", "(", ")", "<", ">",
)  # fmt: skip
_PIPES = frozenset({"|", "|&"})
_REDIRECTS = frozenset({"<", ">", ">>", ">|", "<>", "<<", "<<-", "<<<", "<&", ">&", "&>", "&>>"})
#: Redirections that write to their target.
WRITE_REDIRECTS = frozenset({">", ">>", ">|", "<>", ">&", "&>", "&>>"})
_WORD_END = frozenset(" \t\r\n;&|()<>")
_OPERATOR_START = frozenset(";&|()<>")
_PLAIN = re.compile(r"[^ \t\r\n;&|()<>\\'\"$`{},]+")
_MAX_DEPTH = 8
_MAX_WORDS = 50_000
# Unquoted brace characters, kept apart from quoted ones until brace expansion is done.
_LB, _COMMA, _RB = "\ue000", "\ue001", "\ue002"
_UNMARK = str.maketrans({_LB: "{", _COMMA: ",", _RB: "}"})
_ANSI_C = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r",
           "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}  # fmt: skip


def parse_command(text: str, *, _depth: int = 0) -> list[Pipeline]:
    """Every pipeline ``text`` would run, including those inside substitutions and ``sh -c``.

    Raises :class:`CommandParseError` for a line the shell would reject or that nests deeper
    than the policy follows.
    """
    if _depth > _MAX_DEPTH:
        raise CommandParseError("commands nested too deeply")
    scanner = _Scanner(text)
    scanner.scan()
    pipelines = _group(scanner.tokens)
    found = list(pipelines)
    for inner in scanner.nested:
        found.extend(parse_command(inner, _depth=_depth + 1))
    for pipeline in pipelines:
        for command in pipeline:
            for argv in candidate_commands(command.words):
                script = _inner_script(argv)
                if script is not None:
                    found.extend(parse_command(script, _depth=_depth + 1))
    return found


class _Scanner:
    """Splits a command line into operator and word tokens (POSIX sh rules, plus bash's
    ``$'...'``, ``<(...)``, ``&>`` and brace expansion); collects the text of every command
    substitution in :attr:`nested`."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.tokens: list[tuple[str, str]] = []  # ("op", operator) or ("word", text)
        self.nested: list[str] = []
        self._heredocs: list[tuple[str, bool, bool]] = []  # delimiter, strip tabs, expands

    def scan(self) -> None:
        s, n = self.s, len(self.s)
        delimiter_next = ""
        while self.i < n:
            c = s[self.i]
            if c in " \t\r":
                self.i += 1
            elif s.startswith("\\\n", self.i):
                self.i += 2
            elif c == "#":  # a comment: only where a word would start
                end = s.find("\n", self.i)
                self.i = n if end < 0 else end
            elif c == "\n":
                self.tokens.append(("op", "\n"))
                self.i += 1
                self._read_heredocs()
            elif s.startswith(("<(", ">("), self.i):
                end = self._balanced(self.i + 2)
                self.nested.append(s[self.i + 2 : end - 1])
                self.tokens.append(("word", s[self.i : end]))
                self.i = end
            elif c in _OPERATOR_START and (
                op := next((o for o in _OPERATORS if s.startswith(o, self.i)), None)
            ):
                self.tokens.append(("op", op))
                self.i += len(op)
                if op in ("<<", "<<-"):
                    delimiter_next = op
            else:
                marked, quoted = self._word()
                if not quoted and marked.isdigit() and self.i < n and s[self.i] in "<>":
                    continue  # an IO number (2>file): a descriptor, not an argument
                if delimiter_next:
                    word = marked.translate(_UNMARK)
                    self._heredocs.append((word, delimiter_next == "<<-", not quoted))
                    self.tokens.append(("word", word))
                    delimiter_next = ""
                    continue
                for word in _expand_braces(marked):
                    self.tokens.append(("word", word))
                if len(self.tokens) > _MAX_WORDS:
                    raise CommandParseError("command line too long to check")
        if self._heredocs:
            self._read_heredocs()

    def _word(self) -> tuple[str, bool]:
        s, n = self.s, len(self.s)
        out: list[str] = []
        quoted = False
        while self.i < n and s[self.i] not in _WORD_END:
            c = s[self.i]
            plain = _PLAIN.match(s, self.i)
            if plain:  # a run of ordinary characters, taken at once
                out.append(plain.group())
                self.i = plain.end()
            elif c == "\\":
                if self.i + 1 < n and s[self.i + 1] != "\n":
                    out.append(s[self.i + 1])
                self.i += 2
                quoted = True
            elif c == "'":
                end = s.find("'", self.i + 1)
                if end < 0:
                    raise CommandParseError("unterminated single quote")
                out.append(s[self.i + 1 : end])
                self.i = end + 1
                quoted = True
            elif c == '"' or s.startswith('$"', self.i):
                self.i += 1 if c == '"' else 2
                out.append(self._expanding_text('"'))
                quoted = True
            elif s.startswith("$'", self.i):
                out.append(self._ansi_c())
                quoted = True
            elif c in "$`":
                out.append(self._expansion())
            else:
                out.append({"{": _LB, ",": _COMMA, "}": _RB}.get(c, c))
                self.i += 1
        return "".join(out), quoted

    def _expanding_text(self, terminator: str | None) -> str:
        """Text up to ``terminator`` (None: the end) where only ``\\``, ``$`` and backticks
        are special: double-quoted strings and unquoted here-document bodies."""
        s, n = self.s, len(self.s)
        out: list[str] = []
        while self.i < n:
            c = s[self.i]
            if terminator is not None and c == terminator:
                self.i += 1
                return "".join(out)
            if c == "\\" and self.i + 1 < n and s[self.i + 1] in '\\"$`\n':
                if s[self.i + 1] != "\n":
                    out.append(s[self.i + 1])
                self.i += 2
            elif c in "$`":
                out.append(self._expansion())
            else:
                out.append(c)
                self.i += 1
        if terminator is not None:
            raise CommandParseError("unterminated double quote")
        return "".join(out)

    def _expansion(self) -> str:
        """``$(...)``, ``$((...))``, ``${...}``, backticks or a lone ``$``: kept as written;
        command substitutions are also recorded for parsing."""
        s, start = self.s, self.i
        if s.startswith("$(", start):
            self.i = self._balanced(start + 2)
            self.nested.append(s[start + 2 : self.i - 1])
        elif s.startswith("${", start):
            self.i = self._braced(start + 2)
        elif s[start] == "`":
            end = start + 1
            while end < len(s) and s[end] != "`":
                end += 2 if s[end] == "\\" else 1
            if end >= len(s):
                raise CommandParseError("unterminated backquote")
            self.nested.append(re.sub(r"\\([\\`$])", r"\1", s[start + 1 : end]))
            self.i = end + 1
        else:
            self.i += 1
        return s[start : self.i]

    def _balanced(self, i: int) -> int:
        """The index just past the ``)`` closing a ``(`` that ends right before ``i``."""
        s, n, depth = self.s, len(self.s), 1
        while i < n:
            c = s[i]
            if c == "\\":
                i += 2
                continue
            if c == "'":
                i = s.find("'", i + 1)
                if i < 0:
                    break
            elif c == '"':
                i = self._skip_double(i + 1)
                continue
            elif c == "`":
                i = s.find("`", i + 1)
                if i < 0:
                    break
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise CommandParseError("unterminated $( or <(")

    def _skip_double(self, i: int) -> int:
        s, n = self.s, len(self.s)
        while i < n:
            if s[i] == "\\":
                i += 2
            elif s[i] == '"':
                return i + 1
            elif s.startswith("$(", i):
                i = self._balanced(i + 2)
            else:
                i += 1
        raise CommandParseError("unterminated double quote")

    def _braced(self, i: int) -> int:
        s, n, depth = self.s, len(self.s), 1
        while i < n:
            if s[i] == "\\":
                i += 1
            elif s[i] == "{":
                depth += 1
            elif s[i] == "}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise CommandParseError("unterminated ${")

    def _ansi_c(self) -> str:
        s, n = self.s, len(self.s)
        i, out = self.i + 2, []
        while i < n and s[i] != "'":
            if s[i] != "\\" or i + 1 >= n:
                out.append(s[i])
                i += 1
                continue
            kind = s[i + 1]
            if kind in _ANSI_C:
                out.append(_ANSI_C[kind])
                i += 2
            elif kind in "xuU01234567":
                digits, base, width = (
                    ("0123456789abcdefABCDEF", 16, {"x": 2, "u": 4, "U": 8}[kind])
                    if kind in "xuU"
                    else ("01234567", 8, 3)
                )
                j = i + (2 if kind in "xuU" else 1)
                end = j
                while end < n and end - j < width and s[end] in digits:
                    end += 1
                out.append(chr(int(s[j:end], base)) if end > j else "\\" + kind)
                i = end
            else:
                out.append("\\" + kind)
                i += 2
        if i >= n:
            raise CommandParseError("unterminated $'...'")
        self.i = i + 1
        return "".join(out)

    def _read_heredocs(self) -> None:
        """Skip the bodies of the here-documents started on the line just ended; an unquoted
        delimiter's body is expanded by the shell, so its substitutions are recorded."""
        s, n = self.s, len(self.s)
        for delimiter, strip_tabs, expands in self._heredocs:
            start = self.i
            while self.i < n:
                end = s.find("\n", self.i)
                end = n if end < 0 else end
                line = s[self.i : end]
                self.i = min(end + 1, n)
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
            if expands:
                body = _Scanner(s[start : self.i])
                body._expanding_text(None)
                self.nested.extend(body.nested)
        self._heredocs.clear()


def _expand_braces(marked: str, limit: int = 1024) -> list[str]:
    """Bash brace expansion of one word (``{a,b}``, ``{1..3}``), on unquoted braces only."""
    words = _braces(marked)
    if len(words) > limit:
        raise CommandParseError("brace expansion too large to check")
    return [w.translate(_UNMARK) for w in words]


def _braces(word: str) -> list[str]:
    for start, ch in enumerate(word):
        if ch != _LB:
            continue
        depth, commas, end = 0, [], -1
        for j in range(start, len(word)):
            if word[j] == _LB:
                depth += 1
            elif word[j] == _RB:
                depth -= 1
                if depth == 0:
                    end = j
                    break
            elif word[j] == _COMMA and depth == 1:
                commas.append(j)
        if end < 0:
            continue
        if commas:
            bounds = [start, *commas, end]
            pieces = [word[a + 1 : b] for a, b in pairwise(bounds)]
        else:
            pieces = _sequence(word[start + 1 : end].translate(_UNMARK))
            if pieces is None:
                continue
        out: list[str] = []
        for piece in pieces:
            out.extend(_braces(word[:start] + piece + word[end + 1 :]))
            if len(out) > 4096:
                raise CommandParseError("brace expansion too large to check")
        return out
    return [word]


def _sequence(body: str) -> list[str] | None:
    m = re.fullmatch(r"(-?\d+|[A-Za-z])\.\.(-?\d+|[A-Za-z])(?:\.\.(-?\d+))?", body)
    if not m:
        return None
    a, b, step = m.group(1), m.group(2), abs(int(m.group(3) or 1)) or 1
    if a.lstrip("-").isdigit() and b.lstrip("-").isdigit():
        lo, hi = int(a), int(b)
        values = range(lo, hi + 1, step) if lo <= hi else range(lo, hi - 1, -step)
        return [str(v) for v in values][:4097]
    if a.isalpha() and b.isalpha():
        lo, hi = ord(a), ord(b)
        values = range(lo, hi + 1, step) if lo <= hi else range(lo, hi - 1, -step)
        return [chr(v) for v in values]
    return None


def _group(tokens: Sequence[tuple[str, str]]) -> list[Pipeline]:
    pipelines: list[Pipeline] = []
    stages: list[SimpleCommand] = []
    words: list[str] = []
    redirects: list[tuple[str, str]] = []
    pending = ""

    def end_command() -> None:
        if words or redirects:
            stages.append(SimpleCommand(tuple(words), tuple(redirects)))
        words.clear()
        redirects.clear()

    for kind, value in tokens:
        if kind == "word":
            if pending:
                redirects.append((pending, value))
                pending = ""
            else:
                words.append(value)
        elif value in _REDIRECTS:
            pending = value
        elif value in _PIPES:
            end_command()
        else:
            end_command()
            if stages:
                pipelines.append(tuple(stages))
                stages.clear()
    end_command()
    if stages:
        pipelines.append(tuple(stages))
    return pipelines


# -------------------------------------------------------------------------------------------
# Which program a simple command runs
# -------------------------------------------------------------------------------------------

_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")
_KEYWORDS = frozenset(
    "if then elif else fi do done while until for in case esac select function coproc "
    "! { } [[ ]]".split()
)
#: Commands that run another command given as their arguments.
_WRAPPERS = frozenset(
    "sudo doas env command builtin exec nice nohup time timeout stdbuf setsid ionice xargs chroot "
    "nsenter unshare watch flock su runuser chronic caffeinate strace ltrace busybox "
    "parallel".split()
)
#: Wrappers an allow rule looks through: they change how, not what, a command runs.
_TRANSPARENT = frozenset("env command builtin exec nice nohup time timeout stdbuf".split())
_VALUE_OPTIONS = frozenset({"-n", "-s", "-k", "-u", "-i", "-o", "-e", "--signal", "--kill-after"})
_SHELLS = frozenset("sh bash zsh dash ksh mksh ash yash fish su runuser".split())


def program_name(word: str) -> str:
    return posixpath.basename(word) or word


def _stripped(words: Sequence[str]) -> list[str]:
    """``words`` without leading keywords (``if``, ``!``, ``{``) and ``VAR=value`` assignments."""
    i = 0
    while i < len(words) and (words[i] in _KEYWORDS or _ASSIGNMENT.match(words[i])):
        i += 1
    return list(words[i:])


def candidate_commands(words: Sequence[str]) -> list[list[str]]:
    """Every command ``words`` might run: itself, and after a wrapper every later suffix (so
    ``sudo -u x rm -rf /`` is also checked as ``rm -rf /``). Errs toward seeing more."""
    base = _stripped(words)
    if not base:
        return []
    found = [base]
    if program_name(base[0]) in _WRAPPERS:
        for j in range(1, len(base)):
            suffix = _stripped(base[j:])
            if suffix and suffix not in found:
                found.append(suffix)
    return found


def judged_command(words: Sequence[str]) -> list[str]:
    """The command an allow rule judges: after keywords, assignments and transparent wrappers
    with their options (``timeout 60 pytest -x`` is judged as ``pytest -x``)."""
    argv = _stripped(words)
    while argv and program_name(argv[0]) in _TRANSPARENT:
        wrapper, argv = program_name(argv[0]), argv[1:]
        while argv and (argv[0].startswith("-") or _ASSIGNMENT.match(argv[0])):
            option, argv = argv[0], argv[1:]
            if option == "--":
                break
            if option in _VALUE_OPTIONS and argv:
                argv = argv[1:]
        if wrapper == "timeout" and argv:
            argv = argv[1:]  # the duration
        argv = _stripped(argv)
    return argv


def _inner_script(argv: Sequence[str]) -> str | None:
    """The script a command runs from its arguments: ``sh -c SCRIPT``, ``eval ARGS``,
    ``env -S STRING``, ``watch ARGS``."""
    name = program_name(argv[0])
    if name in _SHELLS:
        for k, word in enumerate(argv[1:], start=1):
            if word == "--" or not word.startswith(("-", "+")):
                return None
            if not word.startswith("--") and "c" in word[1:]:
                rest = [w for w in argv[k + 1 :] if not w.startswith(("-", "+"))]
                return rest[0] if rest else None
        return None
    if name == "eval":
        return " ".join(argv[1:]) or None
    if name == "watch":  # watch hands its arguments to sh -c; skip its own options
        rest = list(argv[1:])
        while rest and rest[0].startswith("-"):
            rest = rest[2:] if rest[0] in ("-n", "--interval") else rest[1:]
        return " ".join(rest) or None
    if name == "env":
        for k, word in enumerate(argv[1:], start=1):
            if word in ("-S", "--split-string"):
                return " ".join(argv[k + 1 :]) or None
            if word.startswith("--split-string="):
                return " ".join([word.partition("=")[2], *argv[k + 1 :]])
            if word.startswith("-S"):
                return " ".join([word[2:], *argv[k + 1 :]])
    return None
