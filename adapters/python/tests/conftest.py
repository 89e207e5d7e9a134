from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from python_adapter_helpers import make_venv, tools_bin


@pytest.fixture(scope="session")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with nothing installed: the ``python3`` on PATH for repos without their own env."""
    return make_venv(tmp_path_factory.mktemp("bare") / "venv")


@pytest.fixture
def use_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bare_python: Path
) -> Callable[..., None]:
    """Make PATH hold exactly ``python3`` from ``bare_python`` and the given real tools.

    Call it after the repo is made (making one runs git from the real PATH).
    """

    def use(*tools: str) -> None:
        tools_dir = tools_bin(tmp_path / "tools", *tools)
        monkeypatch.setenv("PATH", os.pathsep.join([str(bare_python / "bin"), str(tools_dir)]))

    return use
