"""The print-logger lint rule: what it flags, what it leaves, where it points."""

from __future__ import annotations

import textwrap

import pytest
from codex_core_patterns.linters import PRINT_LOGGER
from codex_core_patterns.linters.base import lint_source

RULE = PRINT_LOGGER.load()


def findings(source: str):
    source = textwrap.dedent(source).lstrip("\n")
    assert PRINT_LOGGER.could_match(source.encode()) or not lint_source(source, [RULE])
    return [(f.line, f.column) for f in lint_source(source, [RULE], "m.py")]


def test_flags_prints_in_a_module_that_imports_logging():
    assert findings(
        """
        import logging
        print("top level")
        def work(x):
            print("working on", x)
            print(x, file=sys.stderr)
        """
    ) == [(2, 1), (4, 5), (5, 5)]


@pytest.mark.parametrize(
    "logs",
    [
        "import logging.handlers",
        "from logging import getLogger",
        "import structlog",
        "from loguru import logger",
        "logger = make_logger()",
        "LOG = something()",
        "_log: Logger = get()",
    ],
)
def test_each_way_a_module_logs(logs):
    assert findings(f"{logs}\nprint('x')\n") == [(2, 1)]


def test_a_module_that_does_not_log_may_print():
    assert findings("import os\nprint(os.getcwd())\ndef log_it(): print('not a logger')\n") == []


def test_main_guards_and_cli_entry_points_may_print():
    assert (
        findings(
            """
        import logging
        import click

        def main():
            print("usage")
            def helper():
                print("nested in main")

        @click.command()
        def run():
            print("a click command")

        @app.command()
        def typer_command():
            print("a typer command")

        @cli.group
        def group():
            print("a group")

        if __name__ == "__main__":
            print("guarded")
        if "__main__" == __name__:
            print("guarded the other way round")
        """
        )
        == []
    )


def test_a_module_that_rebinds_print_anywhere_is_not_checked_for_it():
    assert findings("import logging\nfrom rich import print\nprint('x')\n") == []
    assert findings("import logging\nfrom compat import *\nprint('x')\n") == []


def test_prints_to_a_file_and_shadowed_print_are_not_findings():
    assert (
        findings(
            """
        import logging
        def save(fh, report):
            print(report, file=fh)
            print(report, **options)
        def shadow(print):
            print("not the builtin")
        """
        )
        == []
    )


def test_the_message_names_the_module_logger_and_the_position_spans_the_call():
    [finding] = lint_source(
        "import logging\nlogger = logging.getLogger(__name__)\nif x:\n    print('a',\n          'b')\n",
        [RULE],
        "pkg/m.py",
    )
    assert (finding.rule, finding.rule_version, finding.path) == (
        "print-logger",
        PRINT_LOGGER.version,
        "pkg/m.py",
    )
    assert (finding.line, finding.column, finding.end_line, finding.end_column) == (4, 5, 5, 15)
    assert "logger.info()" in finding.message


def test_precheck_skips_modules_without_print_or_log():
    assert not PRINT_LOGGER.could_match(b"import os\nos.getcwd()\n")
    assert not PRINT_LOGGER.could_match(b"print('x')\n")
    assert PRINT_LOGGER.could_match(b"import logging\nprint('x')\n")
