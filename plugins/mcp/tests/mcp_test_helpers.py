"""Shared by codex-core-mcp's tests: the test servers, process checks, an HTTP server runner."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

SERVERS = Path(__file__).parent / "servers"
DEMO = SERVERS / "demo_server.py"
SILENT = SERVERS / "silent_server.py"
GARBAGE = SERVERS / "garbage_server.py"
DEMO_TOOLS = ["chatter", "crash", "echo", "fail", "hang", "progress"]


def python_command(script: Path, *args: str) -> list[str]:
    return [sys.executable, str(script), *args]


def toml_list(values: list[str]) -> str:
    """A TOML array of strings (JSON string syntax is valid TOML)."""
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def process_gone(pid: int) -> bool:
    """True when ``pid`` no longer runs. PID 1 here reaps nothing: a zombie counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    state = stat.rsplit(")", 1)[1].split()[0]
    return state in ("Z", "X")


def wait_gone(*pids: int, timeout: float = 5.0) -> list[int]:
    """Wait (bounded) for every pid to be gone; returns those still running."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [pid for pid in pids if not process_gone(pid)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def read_pids(path: Path, timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().endswith("\n"):
            return [int(p) for p in path.read_text().split()]
        time.sleep(0.05)
    raise AssertionError(f"{path} was never written")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def http_demo_server(env: dict[str, str] | None = None) -> Iterator[str]:
    """The demo server on streamable HTTP at 127.0.0.1:<free port>; yields its URL once it
    accepts connections (bounded wait), stops it afterwards."""
    with http_server(lambda port: python_command(DEMO, "--http", str(port)), env) as url:
        yield url


@contextmanager
def http_server(
    command: Callable[[int], list[str]], env: dict[str, str] | None = None
) -> Iterator[str]:
    """``command(port)`` serving MCP over streamable HTTP at 127.0.0.1:<free port>; yields its
    URL once it accepts connections (bounded wait), stops it afterwards."""
    port = free_port()
    proc = subprocess.Popen(
        command(port),
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"the HTTP server exited with {proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise AssertionError("the HTTP server never listened") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
