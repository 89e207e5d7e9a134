"""Fetching a pinned sdist from the package index into a cache, checked against its sha256.

The index is asked through its Simple API (PEP 691 JSON, with the PEP 503 HTML page as the
fallback some mirrors serve), with the standard library's HTTP client: the same request pip and
uv make, and nothing else is contacted. The index is ``CODEX_CORE_INDEX_URL``, else
``UV_INDEX_URL`` / ``PIP_INDEX_URL``, else PyPI.

The cache (``CODEX_CORE_CACHE``, else ``$XDG_CACHE_HOME/codex-core``, else
``~/.cache/codex-core``) holds ``sdists/<sha256>/<file name>``. A file is stored only after its
digest matched the scenario's pin, with an atomic write, and it is hashed again every time it is
used: a cache someone edited is refetched, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from codex_core.errors import CodexCoreError

__all__ = ["FetchError", "cache_root", "fetch_sdist", "index_url"]

PYPI = "https://pypi.org/simple"
ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
TIMEOUT_SECONDS = 60
_HREF = re.compile(r'<a\s[^>]*href="([^"]+)"', re.IGNORECASE)


class FetchError(CodexCoreError):
    """The sdist could not be fetched, or its digest is not the pinned one."""

    code = "fetch-failed"


def index_url() -> str:
    for name in ("CODEX_CORE_INDEX_URL", "UV_INDEX_URL", "PIP_INDEX_URL"):
        if os.environ.get(name):
            return os.environ[name].rstrip("/")
    return PYPI


def cache_root() -> Path:
    if os.environ.get("CODEX_CORE_CACHE"):
        return Path(os.environ["CODEX_CORE_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "codex-core"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _sdist_names(name: str, version: str) -> set[str]:
    """File names the sdist may have: PEP 625's normalised one and the older spellings."""
    stems = {name, name.lower(), re.sub(r"[-_.]+", "_", name).lower(), _normalise(name)}
    return {f"{stem}-{version}.tar.gz" for stem in stems}


def _get(url: str, accept: str | None = None) -> tuple[bytes, str]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"{url}: {reason}") from None
    except ValueError as exc:  # not a URL urllib can open (unknown scheme, ...)
        raise FetchError(f"{url}: {exc}") from None


def _find(name: str, version: str, index: str) -> tuple[str, str, str | None]:
    """The sdist's URL on the index, its file name, and the sha256 the index gives (if any).

    URLs may be relative to the project page (PEP 691 and 503 both allow it; devpi-style
    mirrors use it); the file name is the one matched, never taken from the URL.
    """
    page_url = f"{index}/{_normalise(name)}/"
    body, content_type = _get(page_url, ACCEPT)
    wanted = _sdist_names(name, version)
    if "json" in content_type:
        try:
            files = json.loads(body).get("files", [])
        except (ValueError, AttributeError):
            raise FetchError(f"{page_url}: not a Simple API answer") from None
        for entry in files:
            if isinstance(entry, dict) and entry.get("filename") in wanted and entry.get("url"):
                url = urllib.parse.urljoin(page_url, str(entry["url"])).partition("#")[0]
                return url, entry["filename"], (entry.get("hashes") or {}).get("sha256")
    else:
        for href in _HREF.findall(body.decode("utf-8", "replace")):
            url = urllib.parse.urljoin(page_url, href)
            path, _, fragment = url.partition("#")
            filename = urllib.parse.unquote(path.rsplit("/", 1)[-1].partition("?")[0])
            if filename in wanted:
                digest = fragment[len("sha256=") :] if fragment.startswith("sha256=") else None
                return path, filename, digest
    raise FetchError(f"{index} has no sdist of {name} {version} (looked for {sorted(wanted)[0]})")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_sdist(
    name: str, version: str, sha256: str, *, cache: Path | None = None, index: str | None = None
) -> Path:
    """The path of ``name``'s ``version`` sdist in the cache, fetched first if need be."""
    from codex_core.atomic import write_atomic

    folder = (cache or cache_root()) / "sdists" / sha256
    for cached in sorted(folder.glob("*.tar.gz")) if folder.is_dir() else []:
        if _sha256(cached) == sha256:
            return cached
        cached.unlink()  # not what was pinned: fetch it again
    url, filename, listed = _find(name, version, index or index_url())
    if listed is not None and listed != sha256:
        raise FetchError(
            f"{name} {version}: the index lists sha256 {listed}, the scenario pins {sha256}"
        )
    data, _ = _get(url)
    got = hashlib.sha256(data).hexdigest()
    if got != sha256:
        raise FetchError(f"{name} {version}: downloaded sha256 {got}, the scenario pins {sha256}")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / filename
    write_atomic(target, data)
    return target
