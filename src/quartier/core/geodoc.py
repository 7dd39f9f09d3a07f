"""The map's geometry document as one binary: a JSON header and little-endian typed arrays.

The browser maps the arrays straight onto the received bytes (``Int32Array`` over the
buffer) instead of parsing millions of numbers out of JSON text: at 80,000 blocks
JSON.parse and walking its nested arrays took about 0.3 s of the first map (Chromium
profile, issue 15). Layout::

    b"QGD1"  uint32 header length  header (UTF-8 JSON, space-padded to 4 bytes)  arrays …

The header lists the arrays as ``[name, dtype, shape]`` in the order they follow; each
array starts 4-byte aligned (2-byte arrays are padded), as a typed array over the
buffer must start at a multiple of its item size.
"""

from __future__ import annotations

import json
import struct

import numpy as np

MAGIC = b"QGD1"
CONTENT_TYPE = "application/vnd.quartier.geometry"
DTYPES = {"int16": "<i2", "uint16": "<u2", "int32": "<i4", "uint32": "<u4", "float32": "<f4"}


def pack(header: dict, arrays: dict[str, np.ndarray]) -> bytes:
    """One document of ``header`` (JSON-able) and ``arrays`` (2- or 4-byte numbers)."""
    listed = []
    blobs = []
    for name, array in arrays.items():
        dtype = array.dtype.name
        if dtype not in DTYPES:
            raise ValueError(f"{name}: {dtype} is not a 2- or 4-byte number type")
        listed.append([name, dtype, list(array.shape)])
        blob = np.ascontiguousarray(array, dtype=DTYPES[dtype]).tobytes()
        blobs.append(blob + bytes(-len(blob) % 4))
    text = json.dumps({**header, "arrays": listed}, separators=(",", ":"), ensure_ascii=False)
    raw = text.encode()
    raw += b" " * (-len(raw) % 4)
    return b"".join([MAGIC, struct.pack("<I", len(raw)), raw, *blobs])


def unpack(body: bytes) -> dict:
    """The header's fields and the arrays (numpy, read-only views of ``body``)."""
    if body[:4] != MAGIC:
        raise ValueError("not a Quartier geometry document")
    (size,) = struct.unpack_from("<I", body, 4)
    header = json.loads(body[8 : 8 + size])
    offset = 8 + size
    doc = {k: v for k, v in header.items() if k != "arrays"}
    for name, dtype, shape in header["arrays"]:
        count = int(np.prod(shape))
        doc[name] = np.frombuffer(body, DTYPES[dtype], count, offset).reshape(shape)
        size = count * np.dtype(DTYPES[dtype]).itemsize
        offset += size + (-size % 4)
    if offset != len(body):
        raise ValueError("the geometry document has trailing bytes")
    return doc
