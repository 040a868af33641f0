"""The report's data, embedded once: a JSON header and typed columns, gzipped, base64.

Layout of the decompressed bytes: a 4-byte little-endian header length, the header (UTF-8
JSON), padding to a multiple of 4, then the columns back to back (each a multiple of 4
bytes). The header's ``cols`` gives each column's type, byte offset (from the first column)
and length. 4-byte columns are stored byte-shuffled (all first bytes, then all second
bytes, ...), which lets gzip find the repetition in numbers; the page undoes it.

Points are sorted by series key, then time: ``koff[k]:koff[k+1]`` are the rows of series
``k``, so the page draws any series without scanning the others.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import numpy as np

TYPES = {"u4": np.uint32, "f4": np.float32}


def _shuffle(arr: np.ndarray) -> bytes:
    return np.ascontiguousarray(arr.view(np.uint8).reshape(-1, 4).T).tobytes()


def encode(header: dict[str, Any], columns: dict[str, tuple[str, Any]]) -> str:
    """Base64 text of the gzipped header + ``columns`` ({name: (type, array-like)})."""
    blobs, spec, off = [], {}, 0
    for name, (kind, values) in columns.items():
        arr = np.ascontiguousarray(np.asarray(values, dtype=TYPES[kind]))
        raw = _shuffle(arr) if arr.size else b""
        spec[name] = [kind, off, int(arr.size)]
        blobs.append(raw)
        off += len(raw)
    head = json.dumps({**header, "cols": spec}, separators=(",", ":"), allow_nan=False).encode("utf-8")
    pad = b" " * (-(4 + len(head)) % 4)
    body = len(head).to_bytes(4, "little") + head + pad + b"".join(blobs)
    return base64.b64encode(gzip.compress(body, compresslevel=6, mtime=0)).decode("ascii")


def decode(text: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """What the page decodes (for tests): the header and each column as an array."""
    body = gzip.decompress(base64.b64decode(text))
    n = int.from_bytes(body[:4], "little")
    header = json.loads(body[4:4 + n])
    start = 4 + n + (-(4 + n) % 4)
    cols = {}
    for name, (kind, off, length) in header["cols"].items():
        raw = np.frombuffer(body, dtype=np.uint8, count=4 * length, offset=start + off)
        cols[name] = np.ascontiguousarray(raw.reshape(4, length).T).view(TYPES[kind]).reshape(-1)
    return header, cols
