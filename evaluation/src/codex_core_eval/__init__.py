"""codex-core-eval: learning assets and agent goals tried on pinned real projects.

``codex-core eval`` runs each scenario (:mod:`.scenario`) as one stage of a run
(:mod:`.stage`), through :func:`.harness.evaluate`; see docs/evaluation.md.
"""

__all__ = ["SCENARIOS"]

from pathlib import Path

#: the scenarios shipped with this distribution
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
