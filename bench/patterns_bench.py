"""Each codemod through codex-core's runner against ``python -m libcst.tool codemod``: same
corpus, same codemod class, same ``--jobs``, one run each.

The corpus is real code: the installed sources of pure-Python packages from this venv (rich and
click by default; ``--packages rich,trio,_pytest,click`` for a bigger one), copied into a temp
dir. For each codemod, two variants of it:

(a) most files match: a few lines the codemod rewrites are appended to every file;
(b) few files match: the same lines are appended to one file in ``--few-every`` (default 20).

Both tools run the same ``libcst.codemod.VisitorBasedCodemodCommand`` (for ``super-call``,
``codex_core_patterns.codemods.super_call.SuperCall``): codex-core as
``codex-core patterns apply super-call . --jobs N``; libcst.tool as
``python -m libcst.tool codemod super_call.SuperCall . --jobs N --no-format --include-generated``
with a ``.libcst.codemod.yaml`` listing ``codex_core_patterns.codemods``. Each run gets a fresh
copy of the variant (the copy is not timed), and afterwards the two trees are compared file by
file: both tools must have produced the same bytes.

Targets: (a) at least as fast as libcst.tool (ratio >= 1.0); (b) at least 5x faster. The ratio
is libcst.tool's wall time over codex-core's. Nothing is asserted: the script prints figures.

    uv run --all-packages python bench/patterns_bench.py [--jobs N] [--packages rich,click]
        [--codemods super-call,open-mode] [--few-every 20]
"""

from __future__ import annotations

import argparse
import filecmp
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKSPACE = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLI = str(Path(sys.executable).with_name("codex-core"))
# Lines each codemod rewrites, appended to the corpus files that should match.
SNIPPETS = {
    "super-call": """

class _BenchOldStyleSuper(object):
    def __init__(self, value):
        super(_BenchOldStyleSuper, self).__init__()
        self.value = value

    def __repr__(self):
        return super(_BenchOldStyleSuper, self).__repr__() + repr(self.value)
""",
    "open-mode": """

def _bench_read(path):
    with open(path, "r") as handle:
        return handle.read()
""",
    "empty-collection-call": """

def _bench_empty():
    return dict(), list(), tuple()
""",
    "percent-format": """

def _bench_message(name, count):
    return "bench %s: %s" % (name, count)
""",
    "event-emit": """

def _bench_emit(bus, payload):
    bus.emit("bench.event", payload)
""",
    "run-summary-fields": """

def _bench_summary(run):
    return {"run_id": run.id, "status": run.status}
""",
}
LIBCST_CONFIG = """\
generated_code_marker: '@generated'
formatter: []
blacklist_patterns: []
modules:
  - 'codex_core_patterns.codemods'
repo_root: '.'
"""


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {name!r} is not installed in this venv")
    return Path(next(iter(spec.submodule_search_locations)))


def build_corpus(base: Path, packages: list[str]) -> list[Path]:
    files = []
    for name in packages:
        source = package_dir(name)
        for path in sorted(source.rglob("*.py")):
            target = base / name / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            files.append(target)
    return files


def make_variant(corpus: Path, target: Path, snippet: str, every: int) -> int:
    """Copy the corpus to ``target``, appending ``snippet`` to one file in ``every``."""
    shutil.copytree(corpus, target)
    files = sorted(target.rglob("*.py"))
    for i, path in enumerate(files):
        if i % every == 0:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(snippet)
    return len(files[::every])


def libcst_command(codemod: str) -> str:
    """``super_call.SuperCall``: the implementation's module (under the configured package)."""
    from codex_core_patterns.assets import find_asset

    module, _, cls = find_asset("codemod", codemod).implementation.partition(":")
    return f"{module.removeprefix('codex_core_patterns.codemods.')}.{cls}"


def timed(argv: list[str], cwd: Path) -> float:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    began = time.perf_counter()
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    return wall


def same_trees(left: Path, right: Path) -> bool:
    for path in left.rglob("*.py"):
        if not filecmp.cmp(path, right / path.relative_to(left), shallow=False):
            return False
    return True


def run_case(tmp: Path, corpus: Path, codemod: str, every: int, jobs: int) -> dict[str, object]:
    label = f"{codemod}-{every}"
    variant = tmp / f"variant-{label}"
    matching = make_variant(corpus, variant, SNIPPETS[codemod], every)
    ours_dir, theirs_dir = tmp / f"ours-{label}", tmp / f"libcst-{label}"
    shutil.copytree(variant, ours_dir)
    shutil.copytree(variant, theirs_dir)
    (theirs_dir / ".libcst.codemod.yaml").write_text(LIBCST_CONFIG)
    ours = timed(
        [CLI, "patterns", "apply", codemod, ".", "--jobs", str(jobs), "--repo", "."], ours_dir
    )
    theirs = timed(
        [PYTHON, "-m", "libcst.tool", "codemod", libcst_command(codemod), ".", "--jobs", str(jobs),
         "--no-format", "--include-generated", "--hide-progress"],
        theirs_dir,
    )  # fmt: skip
    result = {
        "files": sum(1 for _ in variant.rglob("*.py")),
        "matching": matching,
        "ours": ours,
        "theirs": theirs,
        "identical": same_trees(ours_dir, theirs_dir),
    }
    for path in (variant, ours_dir, theirs_dir):
        shutil.rmtree(path)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument(
        "--jobs",
        type=int,
        default=available_cpus(),
        help="--jobs for both tools (default: CPUs available)",
    )
    parser.add_argument(
        "--packages",
        default="rich,click",
        help="installed packages whose sources form the corpus",
    )
    parser.add_argument(
        "--codemods",
        default=",".join(SNIPPETS),
        help="the codemods to measure, comma-separated (default: all built-in ones)",
    )
    parser.add_argument(
        "--few-every",
        type=int,
        default=20,
        help="in (b), one file in this many matches (default 20)",
    )
    args = parser.parse_args()
    # This machine sets PYTHONDONTWRITEBYTECODE=1 and the workspace is installed editable:
    # compile the sources once so neither side pays for the compiler.
    subprocess.run(
        [PYTHON, "-m", "compileall", "-q", "core/src", "patterns/src"], cwd=WORKSPACE, check=True
    )
    with tempfile.TemporaryDirectory(prefix="codex-patterns-bench-") as raw:
        tmp = Path(raw)
        corpus = tmp / "corpus"
        files = build_corpus(corpus, args.packages.split(","))
        size = sum(p.stat().st_size for p in files)
        print(
            f"corpus: {len(files)} files, {size / 1e6:.1f} MB from {args.packages}; --jobs {args.jobs}"
        )
        cases = [("(a) most match", 1, 1.0), (f"(b) 1 in {args.few_every}", args.few_every, 5.0)]
        rows = []
        for codemod in args.codemods.split(","):
            if codemod not in SNIPPETS:
                raise SystemExit(f"no benchmark snippet for codemod {codemod!r}")
            for label, every, target in cases:
                result = run_case(tmp, corpus, codemod, every, args.jobs)
                ratio = result["theirs"] / result["ours"]  # type: ignore[operator]
                rows.append((codemod, label, result, ratio, target))
                print(f"  {codemod} {label}: {ratio:.2f}x", flush=True)
        print()
        print(
            f"{'codemod':<22} {'case':<15} {'matching':>9} {'libcst.tool':>12} {'codex-core':>11}"
            f" {'ratio':>7} {'target':>7}  result"
        )
        for codemod, label, result, ratio, target in rows:
            verdict = "met" if ratio >= target else "NOT MET"
            same = "" if result["identical"] else "  (OUTPUTS DIFFER)"
            print(
                f"{codemod:<22} {label:<15} {result['matching']:>4}/{result['files']:<4}"
                f" {result['theirs']:>11.2f}s {result['ours']:>10.2f}s {ratio:>6.2f}x"
                f" {target:>6.1f}x  {verdict}{same}"
            )
        print(
            "\nratio = libcst.tool wall time / codex-core wall time (higher is faster); one run each."
        )


if __name__ == "__main__":
    main()
