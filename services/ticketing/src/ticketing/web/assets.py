"""The pages' static files, read once, fingerprinted and gzipped for a slow hall network."""

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STATIC = Path(__file__).parent / "static"
TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
}


@dataclass(frozen=True)
class Asset:
    """One file as served: its bytes, their gzip, a short content hash for the URL."""

    body: bytes
    gzipped: bytes
    media_type: str
    version: str


@cache
def assets() -> dict[str, Asset]:
    """Every servable file under static/, by name (templates excluded)."""
    out = {}
    for path in sorted(STATIC.iterdir()):
        if path.suffix not in TYPES or path.suffix == ".html":
            continue
        body = path.read_bytes()
        out[path.name] = Asset(
            body=body,
            gzipped=gzip.compress(body, 9, mtime=0),
            media_type=TYPES[path.suffix],
            version=hashlib.sha256(body).hexdigest()[:10],
        )
    return out


def url(name: str) -> str:
    """The asset's URL with its content hash, so browsers may keep it for a year."""
    return f"/web/{name}?v={assets()[name].version}"


@cache
def template(name: str) -> str:
    return (STATIC / f"{name}.html").read_text(encoding="utf-8")
