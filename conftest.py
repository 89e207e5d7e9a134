"""Repository-wide pytest setup: codex-core's own testing fixtures are the ones plugins get."""

pytest_plugins = ["codex_core.testing"]
