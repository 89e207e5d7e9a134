"""Fetching a pinned sdist: a real HTTP client against a local server speaking the package
index's Simple API (PEP 691 JSON, and the PEP 503 HTML page some mirrors serve), a real cache
on disk. The digest pin is the whole point: a mismatch is an error and nothing is cached."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import tarfile
import threading
from collections.abc import Iterator

import pytest
from codex_core_eval.fetch import FetchError, fetch_sdist


def sdist_bytes() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = b"def f():\n    return dict()\n"
        info = tarfile.TarInfo("demo_pkg-1.0/demo_pkg.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


SDIST = sdist_bytes()
SHA = hashlib.sha256(SDIST).hexdigest()


class Index(http.server.BaseHTTPRequestHandler):
    """``/simple/demo-pkg/`` (JSON or HTML by the server's ``mode``) and the file itself."""

    mode = "json"

    def do_GET(self) -> None:
        if self.path == "/simple/demo-pkg/":
            url = f"http://{self.headers['Host']}/files/demo_pkg-1.0.tar.gz"
            if self.mode == "relative":  # a mirror's relative link, as PEP 691 allows
                url = "../../files/demo_pkg-1.0.tar.gz#sha256=" + SHA
            if self.mode in ("json", "relative"):
                body = json.dumps({"meta": {"api-version": "1.0"}, "name": "demo-pkg", "files": [
                    {"filename": "demo_pkg-1.0.tar.gz", "url": url, "hashes": {"sha256": SHA}},
                ]}).encode()  # fmt: skip
                kind = "application/vnd.pypi.simple.v1+json"
            else:
                body = f'<html><body><a href="/files/demo_pkg-1.0.tar.gz#sha256={SHA}">demo_pkg-1.0.tar.gz</a></body></html>'.encode()  # fmt: skip
                kind = "text/html"
        elif self.path == "/files/demo_pkg-1.0.tar.gz":
            body, kind = SDIST, "application/octet-stream"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(params=["json", "html", "relative"])
def index(request) -> Iterator[str]:
    handler = type("Handler", (Index,), {"mode": request.param})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/simple"
    finally:
        server.shutdown()
        server.server_close()


def test_fetches_once_then_serves_from_the_cache(index, tmp_path):
    path = fetch_sdist("demo_pkg", "1.0", SHA, cache=tmp_path, index=index)
    assert path == tmp_path / "sdists" / SHA / "demo_pkg-1.0.tar.gz"
    assert path.read_bytes() == SDIST
    again = fetch_sdist(
        "demo_pkg", "1.0", SHA, cache=tmp_path, index="http://127.0.0.1:9/unreachable"
    )
    assert again == path  # the cache answered: the unreachable index was never asked


def test_a_tampered_cache_entry_is_fetched_again(index, tmp_path):
    path = fetch_sdist("demo-pkg", "1.0", SHA, cache=tmp_path, index=index)
    path.write_bytes(b"not the sdist")
    assert fetch_sdist("demo-pkg", "1.0", SHA, cache=tmp_path, index=index).read_bytes() == SDIST


def test_a_digest_that_is_not_the_pinned_one_is_refused_and_nothing_is_cached(index, tmp_path):
    wrong = "0" * 64
    with pytest.raises(FetchError, match=f"the scenario pins {wrong}"):
        fetch_sdist("demo_pkg", "1.0", wrong, cache=tmp_path, index=index)
    assert list(tmp_path.rglob("*.tar.gz")) == []


def test_an_unknown_version_or_project_is_a_clear_error(index, tmp_path):
    with pytest.raises(FetchError, match=r"has no sdist of demo_pkg 2\.0"):
        fetch_sdist("demo_pkg", "2.0", SHA, cache=tmp_path, index=index)
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_sdist("other", "1.0", SHA, cache=tmp_path, index=index)
