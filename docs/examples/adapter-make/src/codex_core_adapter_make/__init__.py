"""A codex-core adapter for repositories driven by a Makefile (the example of docs/adapters.md).

It recognises a ``Makefile`` (or ``GNUmakefile``) at the top of the repo and maps the targets it
defines: ``build`` (else ``all``) to the build stage, ``lint`` (else ``check``) to lint, ``test``
to test. A step whose target the Makefile lacks gets no command, so the kernel records the stage
skipped with ``no-command``. Targets are read from the file's text; make is never run to plan.
"""

from __future__ import annotations

import re
from pathlib import Path

from codex_core import StageSpec

MAKEFILES = ("GNUmakefile", "Makefile")
# A rule line: "name:" or "name other:" at the start of a line, not a variable ("x := y").
_TARGET = re.compile(r"^([A-Za-z0-9_.-]+(?:[ \t]+[A-Za-z0-9_.-]+)*)[ \t]*:(?!=)", re.MULTILINE)
STEPS = {"build": ("build", "all"), "lint": ("lint", "check"), "test": ("test",)}


class MakeAdapter:
    def _makefile(self, repo: Path) -> Path | None:
        return next((repo / name for name in MAKEFILES if (repo / name).is_file()), None)

    def matches(self, repo: Path) -> bool:
        return self._makefile(repo) is not None

    def stages(self, repo: Path) -> list[StageSpec]:
        makefile = self._makefile(repo)
        text = makefile.read_text(errors="replace") if makefile else ""
        targets = {name for line in _TARGET.findall(text) for name in line.split()}
        stages = []
        for step, candidates in STEPS.items():
            target = next((t for t in candidates if t in targets), None)
            stages.append(
                StageSpec(id=step, command=f"make {target}" if target else None, source="make")
            )
        return stages
