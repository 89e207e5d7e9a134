"""The public surface: every exported name resolves, and importing codex_core stays cheap."""

import subprocess
import sys

import codex_core


def test_every_public_name_resolves():
    for name in codex_core.__all__:
        assert getattr(codex_core, name) is not None, name


def test_importing_codex_core_imports_nothing_heavy():
    code = "import sys, codex_core; print(sorted(m for m in ('trio', 'cattrs', 'click', 'stevedore', 'libcst', 'mcp', 'agents') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_version_and_status_paths_do_not_import_trio():
    code = (
        "import sys\n"
        "from codex_core.cli import cli\n"
        "from codex_core.cli import inspect_cmds, plugin_cmds, control_cmds\n"
        "import codex_core.status\n"
        "print(sorted(m for m in ('trio', 'libcst', 'mcp', 'agents', 'rich') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
