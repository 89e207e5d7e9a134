"""codex-core-mcp's tests: one targeted warning filter, for a leak in the ``mcp`` SDK itself.

The SDK's streamable HTTP client (mcp 2.3.0, ``mcp/client/streamable_http.py``) iterates httpx2's
async generators (``EventSource.__aiter__``, ``Response.aiter_bytes``/``aiter_text``, httpcore2's
``PoolByteStream.__aiter__``) with a bare ``async for`` and returns from, or is cancelled inside,
the loop without closing them. Under trio the async-generator finalizer then issues a
ResourceWarning when they are garbage collected, which ``filterwarnings = error`` turns into a
failure of whichever test happens to be running at that moment. Nothing in codex-core-mcp can close
the SDK's generators, so exactly those warnings are ignored, for the whole session (garbage
collection can run during any later test). Python ignores ResourceWarning by default, so users of
the CLI never see them.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    for package in ("httpx2", "httpcore2"):
        config.addinivalue_line(
            "filterwarnings", rf"ignore:Async generator '{package}\.:ResourceWarning"
        )
