"""Each codemod: before/after, idempotence, byte-for-byte untouched unrelated code, a sound precheck.

Every case runs twice, through libcst's own path (``transform_module``, what ``libcst.tool``
does) and through the runner's path (a fresh tree marked ``FRESH_TREE``), which must agree.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import libcst as cst
import pytest
from codex_core_patterns import codemods
from codex_core_patterns.codemods.base import FRESH_TREE
from libcst.codemod import CodemodContext

ASSETS = {
    a.id: a
    for a in (
        codemods.EVENT_EMIT,
        codemods.RUN_SUMMARY_FIELDS,
        codemods.SUPER_CALL,
        codemods.OPEN_MODE,
        codemods.EMPTY_COLLECTION_CALL,
        codemods.PERCENT_FORMAT,
    )
}


def run(asset_id: str, source: str, **options: object) -> str:
    command = ASSETS[asset_id].load()
    by_libcst = command(CodemodContext(), **options).transform_module(cst.parse_module(source)).code
    tree = cst.parse_module(source)
    context = CodemodContext(scratch={FRESH_TREE: tree})
    by_runner = command(context, **options).transform_module(tree).code
    assert by_runner == by_libcst, "the runner's no-copy path and libcst's path disagree"
    return by_runner


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


CHANGED = {
    "percent-format": [
        ('msg = "hello %s" % name\n', 'msg = f"hello {name}"\n'),
        ('msg = "%s and %s" % (a, b)\n', 'msg = f"{a} and {b}"\n'),
        ('x = "at %s: %s" % (self.path, err.args[0])\n', 'x = f"at {self.path}: {err.args[0]}"\n'),
        ("x = r'a\\%s' % y\n", "x = fr'a\\{y}'\n"),
        (
            # the first converts; the second would need Python 3.12 (a quote reused in the braces)
            "a = 'id %s' % key\nr = '\"%s\"' % v.replace('\"', '\\\\\"')\n",
            "a = f'id {key}'\nr = '\"%s\"' % v.replace('\"', '\\\\\"')\n",
        ),
    ],
    "event-emit": [
        (
            'bus.emit("user.created", payload)\n',
            'bus.emit({"type": "user.created", "payload": payload})\n',
        ),
        ("self.bus.emit('x', {'a': 1})\n", "self.bus.emit({'type': 'x', 'payload': {'a': 1}})\n"),
        (
            'app.events.emit("saved", obj.to_dict())\n',
            'app.events.emit({"type": "saved", "payload": obj.to_dict()})\n',
        ),
        (
            d("""
            bus.emit(
                "multi",
                compute(a, b),
            )
            """),
            d("""
            bus.emit(
                {"type": "multi", "payload": compute(a, b)},
            )
            """),
        ),
        (
            'bus.emit("#tag", p)  # a comment after the call stays\n',
            'bus.emit({"type": "#tag", "payload": p})  # a comment after the call stays\n',
        ),
    ],
    "run-summary-fields": [
        (
            'summary = {"run_id": rid, "status": "ok"}\n',
            'summary = {"run_id": rid, "status": "ok", "started_at": None, "completed_at": None, "summary": None}\n',
        ),
        (
            d("""
            record = {
                "run_id": run.id,  # the id
                "status": run.status,  # the status
            }
            """),
            d("""
            record = {
                "run_id": run.id,  # the id
                "status": run.status,  # the status
                "started_at": None,
                "completed_at": None,
                "summary": None,
            }
            """),
        ),
        (
            d("""
            record = {
                "run_id": run.id,
                "status": run.status  # no trailing comma
            }
            """),
            d("""
            record = {
                "run_id": run.id,
                "status": run.status,  # no trailing comma
                "started_at": None,
                "completed_at": None,
                "summary": None
            }
            """),
        ),
        (
            "r = {'run_id':i,'status':s,'summary':text}\n",
            "r = {'run_id':i,'status':s,'summary':text,'started_at':None,'completed_at':None}\n",
        ),
        (
            'outer = {"runs": [{"status": s, "run_id": r, "completed_at": t}]}\n',
            'outer = {"runs": [{"status": s, "run_id": r, "completed_at": t, "started_at": None, "summary": None}]}\n',
        ),
    ],
    "super-call": [
        (
            d("""
            class A(Base):
                def __init__(self, value):
                    super(A, self).__init__(value)
            """),
            d("""
            class A(Base):
                def __init__(self, value):
                    super().__init__(value)
            """),
        ),
        (
            d("""
            class A(Base):
                @classmethod
                def make(cls):
                    return super( A , cls ).make()
            """),
            d("""
            class A(Base):
                @classmethod
                def make(cls):
                    return super().make()
            """),
        ),
        (
            d("""
            class Outer:
                class Inner(Base):
                    async def run(this, *args):
                        await super(Inner, this).run(*args)
            """),
            d("""
            class Outer:
                class Inner(Base):
                    async def run(this, *args):
                        await super().run(*args)
            """),
        ),
    ],
    "open-mode": [
        ('with open(path, "r") as f:\n    pass\n', "with open(path) as f:\n    pass\n"),
        (
            "data = open(p, 'rt', encoding='utf-8').read()\n",
            "data = open(p, encoding='utf-8').read()\n",
        ),
        ('open(p, mode="r")\n', "open(p)\n"),
        (
            'open(p, encoding="x", mode="r", errors="strict")\n',
            'open(p, encoding="x", errors="strict")\n',
        ),
        (
            d("""
            open(
                os.path.join(a, b),
                "r",
            )
            """),
            d("""
            open(
                os.path.join(a, b),
            )
            """),
        ),
        ('def f():\n    return open(p, "r")\n', "def f():\n    return open(p)\n"),
    ],
    "empty-collection-call": [
        ("a = dict()\nb = list()\nc = tuple()\n", "a = {}\nb = []\nc = ()\n"),
        ("x = (dict())\nf(tuple())\ny = [list( ), tuple()]\n", "x = ({})\nf(())\ny = [[], ()]\n"),
        ("for _ in tuple(): pass\n", "for _ in (): pass\n"),
    ],
}

UNTOUCHED = {
    "percent-format": [
        'x = "%d items" % n\n',
        'x = "%(a)s" % {"a": 1}\n',
        'x = "100%% %s" % n\n',
        'x = b"%s" % y\n',
        'x = "%s %s" % (a,)\n',
        "x = template % values\n",
        "r = '\"%s\"' % v.replace('\"', '\\\\\"')\n",
        "x = 'tab: %s' % '\\t'.join(parts)\n",
        'y = "%s" % {"k": x}\n',
        'y = "%s" % {x}\n',
        'y = "%s and %s" % ({"a": 1}, b)\n',
        'y = "%s" % {k: v for k, v in items}\n',
    ],
    "event-emit": [
        "bus.emit(name, payload)\n",
        'socketio.emit("message", data)\n',
        'emit("message", data)\n',
        'bus.emit("only-a-name")\n',
        'bus.emit(f"user.{kind}", payload)\n',
        'bus.emit(b"raw", payload)\n',
        'bus.emit("k", payload=p)\n',
        "bus.emit(*args)\n",
        'bus.emit("c",  # why\n    p)\n',
        'bus.publish("x", p)\n',
        'bus.emit({"type": "x", "payload": p})\n',
    ],
    "run-summary-fields": [
        'r = {"run_id": i, "status": s, **rest}\n',
        'r = {"run_id": i, "state": s}\n',
        'r = {"run_id": i, "status": s, "started_at": a, "completed_at": b, "summary": c}\n',
        "r = dict(run_id=i, status=s)\n",
        "r = {run_id: i, status: s}\n",
        'r = {k: v for k, v in [("run_id", 1), ("status", 2)]}\n',
    ],
    "super-call": [
        "class A(B):\n    def f(self):\n        return lambda: super(A, self).f()\n",
        "class A(B):\n    def f(self):\n        def g():\n            return super(A, self).f()\n",
        "class A(B):\n    def f(self):\n        return [super(A, self).f() for _ in range(2)]\n",
        "class A(B):\n    @staticmethod\n    def f(self):\n        return super(A, self).f()\n",
        "class A(B):\n    def f(self):\n        return super(B, self).f()\n",
        "class A(B):\n    def f(self, other):\n        return super(A, other).f()\n",
        "class A(B):\n    def f(self):\n        return super(A,  # why\n            self).f()\n",
        "class A(B):\n    def f(self):\n        return super(type(self), self).f()\n",
        "class A(B):\n    def f(self):\n        return super().f()\n",
        "def f(self):\n    return super(A, self).f()\n",
        "class A(B):\n    def f(*args):\n        return super(A, args[0]).f()\n",
        "class A(B):\n    x = super(A, A)\n",
    ],
    "open-mode": [
        'open(p, "rb")\n',
        'open(p, "w")\n',
        'open(p, "r", 1)\n',
        'os.open(p, "r")\n',
        'path.open("r")\n',
        'open(*args, "r")\n',
        'open(p, "r", **kw)\n',
        'open(p, "r"  # read it\n)\n',
        'def f(open):\n    return open(p, "r")\n',
        'from io import open\nopen(p, "r")\n',
        'open = opener\nopen(p, "r")\n',
        "open(p, mode)\n",
        'open(p, f"r")\n',
        'from compat import *\nopen(p, "r")\n',
        'for open in openers:\n    pass\nopen(p, "r")\n',
        'with opener() as open:\n    pass\nopen(p, "r")\n',
        'def later():\n    global open\n    open = None\nopen(p, "r")\n',
    ],
    "empty-collection-call": [
        "a = dict(x=1)\nb = list(items)\nc = tuple(xs)\n",
        "a = dict(  # empty on purpose\n)\n",
        "def f(list):\n    return list()\n",
        "from mylib import dict\nx = dict()\n",
        "x = set()\ny = frozenset()\n",
        "x = collections.OrderedDict()\n",
        "from compat import *\nx = dict()\n",
        "import dict\nx = dict()\n",
        "x = [list() for list in makers]\n",
    ],
}

# Code every codemod must leave byte for byte: odd spacing, comments, tabs, unicode, near-misses.
UNRELATED = d('''
    # -*- coding: utf-8 -*-
    """A module none of the codemods should touch: Ünïcödé, tabs, odd spacing."""
    import os ,sys   # spaced oddly on purpose
    from typing import (  # a comment in the parentheses
        Any,
    )

    VALUE = { 'a' :1,'b':[ 1,2 ,3 ] }   # dict with odd spacing
    class Thing(object):
    \tdef method(self, other):  # tab-indented
    \t\treturn super().method(other) + len ( other )
    def outer():
        text = "super(A, self) emit('x', y) open(p, 'r') dict() inside a string"
        return {"status": text, "run": 1}  ,  None
    async def later():
        async with lock:
            await thing.emitter_call("x", 1)
    if __name__ == "__main__":
        print(outer())
''')


@pytest.mark.parametrize(
    "asset_id,before,after",
    [(a, b, c) for a, cases in CHANGED.items() for b, c in cases],
    ids=[f"{a}-{i}" for a, cases in CHANGED.items() for i in range(len(cases))],
)
def test_before_after_idempotent_and_precheck(asset_id, before, after):
    assert run(asset_id, before) == after
    assert run(asset_id, after) == after, "a second run changed something"
    assert ASSETS[asset_id].could_match(before.encode()), (
        "the precheck would skip a file it changes"
    )


@pytest.mark.parametrize(
    "asset_id,source",
    [(a, s) for a, sources in UNTOUCHED.items() for s in sources],
    ids=[f"{a}-{i}" for a, sources in UNTOUCHED.items() for i in range(len(sources))],
)
def test_leaves_near_misses_alone(asset_id, source):
    assert run(asset_id, source) == source


@pytest.mark.parametrize("asset_id", sorted(ASSETS))
def test_leaves_unrelated_code_byte_for_byte(asset_id):
    assert run(asset_id, UNRELATED) == UNRELATED


@pytest.mark.parametrize("asset_id", sorted(ASSETS))
def test_changes_only_the_matching_lines_of_a_bigger_module(asset_id):
    before, after = CHANGED[asset_id][0]
    source = UNRELATED + before + UNRELATED
    assert run(asset_id, source) == UNRELATED + after + UNRELATED


@pytest.mark.parametrize(
    "asset_id,source",
    [
        (
            "super-call",
            "class A(B):\n    def f(self):\n        return (super  # odd\n            (A, self).f())\n",
        ),
        (
            "super-call",
            "class A(B):\n    def f(self):\n        return super \\\n            (A, self).f()\n",
        ),
        ("open-mode", 'x = (open  # odd\n     (p, "r"))\n'),
    ],
)
def test_the_precheck_admits_legal_oddities(asset_id, source):
    """Comments and line continuations before the parenthesis: the file must still be parsed."""
    assert ASSETS[asset_id].could_match(source.encode())


def test_crlf_files_keep_their_line_endings():
    before = "class A(B):\r\n    def f(self):\r\n        return super(A, self).f()\r\n"
    assert run("super-call", before) == before.replace("super(A, self)", "super()")
    summary = '{\r\n    "run_id": r,\r\n    "status": s,\r\n}\r\n'
    out = run("run-summary-fields", summary)
    assert "\n" not in out.replace("\r\n", "") and out.count('"summary": None,\r\n') == 1


def test_event_emit_receivers_option():
    source = 'hub.emit("x", p)\nbus.emit("y", q)\n'
    assert run("event-emit", source, receivers=("hub",)) == (
        'hub.emit({"type": "x", "payload": p})\nbus.emit("y", q)\n'
    )


def test_an_unknown_option_is_refused():
    with pytest.raises(TypeError, match="unknown option"):
        ASSETS["super-call"].load()(CodemodContext(), colour="red")


def test_the_same_classes_run_under_libcst_tool(tmp_path):
    """`python -m libcst.tool codemod` loads the codemods from a .libcst.codemod.yaml."""
    (tmp_path / ".libcst.codemod.yaml").write_text(
        "formatter: []\nblacklist_patterns: []\nmodules:\n  - 'codex_core_patterns.codemods'\nrepo_root: '.'\n"
    )
    before, after = CHANGED["super-call"][0]
    (tmp_path / "a.py").write_text(before)
    done = subprocess.run(
        [sys.executable, "-m", "libcst.tool", "codemod", "super_call.SuperCall", ".", "--no-format", "--hide-progress"],
        cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "a.py").read_text() == after
    emit_before, emit_after = CHANGED["event-emit"][0]
    (tmp_path / "b.py").write_text(emit_before.replace("bus", "hub"))
    done = subprocess.run(
        [sys.executable, "-m", "libcst.tool", "codemod", "event_emit.EventEmitPayload", "b.py",
         "--no-format", "--hide-progress", "--receivers", "hub"],
        cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "b.py").read_text() == emit_after.replace("bus", "hub")
