"""The command policy: deny and allow rules voting on every command before it runs.

:class:`CommandPolicy` implements ``codex_guardrail_vote``: for an action of kind ``command`` it
parses the command line the way ``/bin/sh`` would split it, matches the rules word by word, and
returns a :class:`~codex_core.Veto` naming the rule that said no (the kernel then fails the stage
with ``reason: policy-denied`` and records the veto). Configuration, in ``codex-core.toml``::

    [guardrails.policy]
    defaults = true                       # the built-in deny rules below (false: none of them)
    disable = ["force-push"]              # or switch off single built-in rules by name
    deny = ["git reset --hard", "docker *", "re:^terraform\\s+destroy\\b"]
    allow = ["pytest *", "ruff check *", "git status", "git diff *"]

**Deny rules** are shell-like words. The first word matches the command's name (or its basename:
``/usr/bin/git`` is ``git``); every other word must match some argument, in any position and
order. Words are ``fnmatch`` globs (``*``, ``?``, ``[rR]``; ``[*]`` is a literal star). A word
``-rf`` means the short flags ``-r`` and ``-f`` however they are spelled (``-fr``, ``-r -f``).
``a | b`` denies a pipeline in which a command matching ``a`` feeds, sooner or later, one
matching ``b``. ``re:PATTERN`` is a regular expression searched in the command line as written
and in each simple command (its words joined by single spaces).

**Allow rules**, when there are any, restrict commands to those that match one: the words match
the command's words in order and all of them (``git status`` allows only ``git status``); a last
word ``*`` allows any further arguments; ``re:PATTERN`` must match a simple command entirely.
Every simple command of a line must be allowed (``pytest; curl x`` needs both), including those
in ``$(...)`` and ``sh -c '...'``. The deny rules still apply to allowed commands.

**How commands are read** (:mod:`.command_line`): the line is split into simple commands at
``;``, ``&&``, ``||``, ``|``, ``&``, newlines and parentheses, with the shell's quoting, comments,
here-documents, brace expansion and line continuations applied, so ``g'i't  push  -f``,
``git push -f;true``, ``{git,push,-f}`` and ``\\git push --force`` are all the force push they
are. Assignments, keywords and wrappers (``sudo``, ``env``, ``timeout``, ``xargs``...) are looked
through; ``$(...)``, backticks, ``<(...)``, ``sh -c``, ``eval`` and ``env -S`` are checked as
commands of their own. A line that cannot be read is denied.

**Limits.** A shell is a programming language: variables (``x=-f; git push $x``), aliases
configured in git (``git -c alias.p='push -f' p``), scripts written to a file and run later,
``make`` targets and interpreters (``python -c "os.system(...)"``) all reach beyond what a
policy reading one command line can know. The policy stops mistakes and obvious misuse; the path
sandbox (:mod:`.sandbox`) and process isolation are the real boundaries.

Why the policy reads ``load_config(action.repo)`` itself: the vote hook receives only the action,
votes also come from outside any run (backends asking for approval, ``check_guardrail``), and
``action.repo`` is exactly the repository being acted on. The policy is loaded on the first vote
for a repository and kept for the plugin object's life (one kernel: one command, one run), so a
run keeps the policy it started with even if an agent edits ``codex-core.toml`` meanwhile.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import posixpath
import re
import shlex
from collections.abc import Callable, Iterator, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import attrs
from codex_core import Veto, hookimpl
from codex_core.config import Config, load_config
from codex_core.errors import ConfigError
from codex_core.hookspecs import Action, DoctorCheck

from .command_line import (
    WRITE_REDIRECTS,
    CommandParseError,
    Pipeline,
    SimpleCommand,
    candidate_commands,
    judged_command,
    parse_command,
    program_name,
)
from .sandbox import names_git_dir

__all__ = [
    "DEFAULT_RULES",
    "CommandParseError",
    "CommandPolicy",
    "Policy",
    "SimpleCommand",
    "parse_command",
]

# -------------------------------------------------------------------------------------------
# Rules
# -------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _arg_forms(args: tuple[str, ...]) -> frozenset[str]:
    """Each argument as written, as a normalised path (``//``, ``/tmp/..`` are ``/``), the
    short flags of a cluster (``-rf``: ``-r``, ``-f``) and both halves of ``--opt=value``.
    Cached: every deny rule asks about the same command."""
    forms: set[str] = set()
    for arg in args:
        forms.add(arg)
        if "/" in arg or arg.startswith(("~", ".")):
            forms.add(re.sub(r"^/+", "/", posixpath.normpath(arg)))
        if re.fullmatch(r"-[A-Za-z0-9]{2,}", arg):
            forms.update(f"-{ch}" for ch in arg[1:])
        if arg.startswith("-") and "=" in arg:
            forms.update(arg.split("=", 1))
    return frozenset(forms)


@functools.lru_cache(maxsize=1024)
def _glob(word: str) -> Callable[[str], object]:
    """A compiled test for one rule word: set membership for a literal, a regex for a glob."""
    if not any(c in word for c in "*?["):
        return word.__eq__
    return re.compile(fnmatch.translate(word)).match


@functools.lru_cache(maxsize=256)
def _candidates(words: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """:func:`candidate_commands`, cached: every deny rule asks about the same command."""
    return tuple(map(tuple, candidate_commands(words)))


def _matches_some(word: str, forms: frozenset[str]) -> bool:
    if not any(c in word for c in "*?["):
        return word in forms
    return any(map(_glob(word), forms))


@attrs.frozen
class Hit:
    """What a deny rule matched: the command text shown in the veto."""

    shown: str


@attrs.frozen
class GlobRule:
    """Shell-like words (see the module docstring); ``stages`` holds one word list per stage
    of a pipeline rule (``curl | sh``)."""

    text: str
    origin: str
    stages: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, text: str, origin: str, *, for_allow: bool = False) -> GlobRule:
        lexer = shlex.shlex(text, posix=True, punctuation_chars="|")
        lexer.whitespace_split, lexer.commenters = True, ""
        try:
            words = list(lexer)
        except ValueError as err:
            raise ValueError(f"cannot be split into words ({err})") from None
        stages: list[list[str]] = [[]]
        for word in words:
            if word in ("|", "||", "|&"):
                stages.append([])
            else:
                stages[-1].append(word)
        if any(not stage for stage in stages):
            raise ValueError("empty command in rule")
        if for_allow and len(stages) > 1:
            raise ValueError("an allow rule names one command (allow each stage of a pipeline)")
        if not for_allow:
            stages = [[s[0], *[w for word in s[1:] for w in _rule_flags(word)]] for s in stages]
        return cls(text, origin, tuple(tuple(s) for s in stages))

    def denies(self, line: str, pipelines: Sequence[Pipeline]) -> Hit | None:
        for pipeline in pipelines:
            found = self._in_pipeline(pipeline, 0, 0)
            if found is not None:
                shown = pipeline[found] if len(self.stages) == 1 else " | ".join(map(str, pipeline))
                return Hit(str(shown))
        return None

    def _in_pipeline(self, pipeline: Pipeline, stage: int, start: int) -> int | None:
        """The index of the command matching this rule's first stage (``stage`` 0), when the
        later stages match later commands in order; None when the pipeline does not match."""
        for k in range(start, len(pipeline)):
            if any(_mentions(self.stages[stage], a) for a in _candidates(pipeline[k].words)):
                if stage + 1 == len(self.stages) or (
                    self._in_pipeline(pipeline, stage + 1, k + 1) is not None
                ):
                    return k
        return None

    def allows(self, argv: Sequence[str]) -> bool:
        words = self.stages[0]
        if not (fnmatchcase(argv[0], words[0]) or fnmatchcase(program_name(argv[0]), words[0])):
            return False
        pattern, args = words[1:], argv[1:]
        if pattern and pattern[-1] == "*":
            pattern = pattern[:-1]
            if len(args) < len(pattern):
                return False
            args = args[: len(pattern)]
        return len(args) == len(pattern) and all(
            fnmatchcase(a, p) for a, p in zip(args, pattern, strict=True)
        )


def _rule_flags(word: str) -> list[str]:
    return [f"-{ch}" for ch in word[1:]] if re.fullmatch(r"-[A-Za-z0-9]{2,}", word) else [word]


def _mentions(words: Sequence[str], argv: Sequence[str]) -> bool:
    """Deny matching: the name matches, and each further word matches some argument."""
    name_matches = _glob(words[0])
    if not (name_matches(argv[0]) or name_matches(program_name(argv[0]))):
        return False
    forms = _arg_forms(tuple(argv[1:]))
    return all(_matches_some(word, forms) for word in words[1:])


@attrs.frozen
class RegexRule:
    """``re:PATTERN``: searched in the line and each simple command (deny), or matching a
    whole simple command (allow)."""

    text: str
    origin: str
    pattern: re.Pattern[str]

    @classmethod
    def parse(cls, text: str, origin: str) -> RegexRule:
        try:
            return cls(text, origin, re.compile(text[3:]))
        except re.error as err:
            raise ValueError(f"not a valid regular expression ({err})") from None

    def denies(self, line: str, pipelines: Sequence[Pipeline]) -> Hit | None:
        if self.pattern.search(line):
            return Hit(line)
        for pipeline in pipelines:
            for command in pipeline:
                for argv in candidate_commands(command.words):
                    if self.pattern.search(" ".join(argv)):
                        return Hit(str(command))
        return None

    def allows(self, argv: Sequence[str]) -> bool:
        return self.pattern.fullmatch(" ".join(argv)) is not None


#: Commands that write to (or remove, or enter) every path they are given.
_WRITES_ANY = frozenset(
    "rm rmdir unlink shred touch truncate tee mv ln chmod chown chgrp chattr mkdir mkfifo mknod "
    "cd pushd patch".split()
)
#: Commands whose last path (or ``-t DIR``) is the one written: reading from .git is fine.
_WRITES_LAST = frozenset("cp install rsync scp".split())
#: Options naming the file a command writes (``curl -o``, ``wget -O``, ``gcc -o``, ``sort -o``).
_OUTPUT_OPTIONS = frozenset({"-o", "-O", "--output", "--output-document"})
_TARGET_OPTIONS = frozenset({"-t", "--target-directory"})
_FIND_ACTIONS = frozenset({"-delete", "-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fls"})


@attrs.frozen
class GitDirRule:
    """Writing into ``.git``: a redirection there, or a file-writing command (``rm``, ``mv``,
    ``tee``, ``cp`` ... ``DEST``, ``sed -i``, ``dd of=``, ``-o FILE``) naming a path there."""

    text: str = "writes into .git/"
    origin: str = "git-dir-write"

    def denies(self, line: str, pipelines: Sequence[Pipeline]) -> Hit | None:
        for pipeline in pipelines:
            for command in pipeline:
                if any(
                    op in WRITE_REDIRECTS and names_git_dir(target)
                    for op, target in command.redirects
                ):
                    return Hit(_with_redirects(command))
                for argv in candidate_commands(command.words):
                    if _writes_git(argv):
                        return Hit(str(command))
        return None


def _with_redirects(command: SimpleCommand) -> str:
    return " ".join([str(command), *(f"{op} {shlex.quote(t)}" for op, t in command.redirects)])


def _writes_git(argv: Sequence[str]) -> bool:
    name, args = program_name(argv[0]), list(argv[1:])

    def values(arg: str) -> list[str]:
        return [arg, arg.split("=", 1)[1]] if arg.startswith("-") and "=" in arg else [arg]

    options = _OUTPUT_OPTIONS | (_TARGET_OPTIONS if name in _WRITES_LAST else frozenset())
    for k, arg in enumerate(args):
        if arg in options and k + 1 < len(args) and names_git_dir(args[k + 1]):
            return True
        if "=" in arg and arg.split("=", 1)[0] in options and names_git_dir(values(arg)[1]):
            return True
    positional = [a for a in args if not a.startswith("-")]
    if name in _WRITES_ANY:
        return any(names_git_dir(v) for arg in args for v in values(arg))
    if name in _WRITES_LAST:
        return bool(positional) and names_git_dir(positional[-1])
    if name in ("sed", "perl", "ruby") and any(a.startswith(("-i", "--in-place")) for a in args):
        return any(names_git_dir(a) for a in positional)
    if name == "dd":
        return any(a.startswith("of=") and names_git_dir(a[3:]) for a in args)
    if name == "find" and _FIND_ACTIONS.intersection(args):
        return any(names_git_dir(a) for a in positional)
    return False


Rule = GlobRule | RegexRule | GitDirRule

_SHELL_NAMES = ("sh", "bash", "zsh", "dash", "ksh")
#: The built-in deny rules, by name (``disable = [name]`` switches one off).
DEFAULT_RULES: dict[str, tuple[str, ...]] = {
    "force-push": ("git push --force*", "git push -f", "git push +*"),
    "delete-root": tuple(
        f"rm {flag} {target}"
        for flag in ("-[rR]", "--recursive")
        for target in ("/", "/[*]", "~", "~/[*]", "$HOME", "$HOME/[*]", "${HOME}", "${HOME}/[*]")
    ),
    "pipe-to-shell": (
        *(f"{fetch} | {shell}" for fetch in ("curl", "wget") for shell in _SHELL_NAMES),
        r"re:^(?:\S*/)?(?:sh|bash|zsh|dash|ksh|source|\.)\s.*(?:<\(|\$\(|`)\s*(?:\S*/)?(?:curl|wget)\b",
    ),
    "git-dir-write": (GitDirRule().text,),
}


def _rule(text: str, origin: str, *, for_allow: bool = False) -> Rule:
    if origin == "git-dir-write":
        return GitDirRule()
    if text.startswith("re:"):
        return RegexRule.parse(text, origin)
    return GlobRule.parse(text, origin, for_allow=for_allow)


# -------------------------------------------------------------------------------------------
# The policy and the plugin
# -------------------------------------------------------------------------------------------

_KEYS = frozenset({"defaults", "disable", "deny", "allow"})


@attrs.frozen
class Policy:
    """A parsed ``[guardrails.policy]``: deny rules (built-in first), then the allow-list."""

    deny: tuple[Rule, ...]
    allow: tuple[Rule, ...] = ()

    @classmethod
    def default(cls) -> Policy:
        return cls.from_table({}, where="defaults")

    @classmethod
    def from_config(cls, config: Config) -> Policy:
        """The policy ``config`` asks for; ConfigError naming the file and key if malformed."""
        prefix = "tool.codex-core." if config.path and config.path.name == "pyproject.toml" else ""
        where = f"{config.path}: {prefix}guardrails.policy"
        guardrails = config.section("guardrails")
        table = guardrails.get("policy", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: expected a table")
        return cls.from_table(table, where=where)

    @classmethod
    def from_table(cls, table: dict[str, Any], *, where: str) -> Policy:
        unknown = set(table) - _KEYS
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(_KEYS))})"
            )
        defaults = table.get("defaults", True)
        if not isinstance(defaults, bool):
            raise ConfigError(f"{where}.defaults: expected true or false, got {defaults!r}")
        disable = _strings(table, "disable", where)
        for position, name in enumerate(disable):
            if name not in DEFAULT_RULES:
                raise ConfigError(
                    f"{where}.disable[{position}]: no built-in rule {name!r} (known: {', '.join(DEFAULT_RULES)})"
                )
        deny: list[Rule] = []
        if defaults:
            for name, texts in DEFAULT_RULES.items():
                if name not in disable:
                    deny.extend(_rule(text, name) for text in texts)
        deny.extend(_configured(table, "deny", where))
        return cls(deny=tuple(deny), allow=tuple(_configured(table, "allow", where)))

    def check(self, command: str) -> Veto | None:
        """None when ``command`` may run, else the Veto of the first rule against it."""
        try:
            pipelines = parse_command(command)
        except CommandParseError as err:
            return Veto(
                reason=f"the command policy cannot read this command ({err}), so it does not allow it",
                rule="unparseable",
            )
        for rule in self.deny:
            hit = rule.denies(command, pipelines)
            if hit is not None:
                return Veto(
                    reason=f"`{_shorten(hit.shown)}` is denied by {_describe(rule)}",
                    rule=_label(rule),
                )
        if self.allow:
            for argv in _allow_argvs(pipelines):
                if not any(rule.allows(argv) for rule in self.allow):  # type: ignore[union-attr]
                    shown = _shorten(" ".join(shlex.quote(w) for w in argv))
                    return Veto(
                        reason=f"`{shown}` matches no rule of the allow-list", rule="allow-list"
                    )
        return None

    def describe(self) -> str:
        builtin = sorted({r.origin for r in self.deny if r.origin != "deny"})
        own = sum(r.origin == "deny" for r in self.deny)
        allow = f"{len(self.allow)} allow rule(s)" if self.allow else "no allow-list"
        return f"built-in rules: {', '.join(builtin) or 'none'}; {own} deny rule(s); {allow}"


def _allow_argvs(pipelines: Sequence[Pipeline]) -> Iterator[list[str]]:
    for pipeline in pipelines:
        for command in pipeline:
            argv = judged_command(command.words)
            if argv:
                yield argv


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _label(rule: Rule) -> str:
    return rule.text if rule.origin == "deny" else f"{rule.origin}: {rule.text}"


def _describe(rule: Rule) -> str:
    if rule.origin == "deny":
        return f"the deny rule `{rule.text}`"
    return f"the built-in rule {rule.origin} (`{rule.text}`)"


def _configured(table: dict[str, Any], key: str, where: str) -> list[Rule]:
    rules: list[Rule] = []
    for position, text in enumerate(_strings(table, key, where)):
        try:
            rules.append(_rule(text, key, for_allow=key == "allow"))
        except ValueError as err:
            raise ConfigError(f"{where}.{key}[{position}]: {text!r} {err}") from None
    return rules


def _strings(table: dict[str, Any], key: str, where: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}.{key}: expected a list of non-empty strings, got {value!r}")
    return value


class CommandPolicy:
    """The ``policy`` guardrail (entry point ``codex_core.guardrails:policy``).

    Votes on actions of kind ``command`` with the policy of ``action.repo``'s configuration,
    read on the first vote for that repository and kept for this object's life. Pass a
    :class:`Policy` to use that one for every repository instead (embedding, tests).
    """

    def __init__(self, policy: Policy | None = None) -> None:
        self._fixed = policy
        self._by_repo: dict[Path, Policy] = {}

    def policy_for(self, repo: Path) -> Policy:
        if self._fixed is not None:
            return self._fixed
        key = Path(os.path.realpath(repo))
        if key not in self._by_repo:
            self._by_repo[key] = Policy.from_config(load_config(key))
        return self._by_repo[key]

    @hookimpl
    def codex_guardrail_vote(self, action: Action) -> Veto | None:
        if action.kind != "command" or action.command is None:
            return None
        return self.policy_for(action.repo).check(action.command)

    @hookimpl
    def codex_doctor_checks(self, repo: Path, config: Config) -> list[DoctorCheck]:
        try:
            return [DoctorCheck("command policy", True, Policy.from_config(config).describe())]
        except ConfigError as err:
            return [DoctorCheck("command policy", False, str(err))]
