"""A small XDF writer for tests (the format LabRecorder writes; spec: github.com/sccn/xdf wiki).

Chunks: ``[NumLengthBytes][Length][Tag u16][content]``; tags 1 FileHeader, 2 StreamHeader,
3 Samples, 6 StreamFooter.  Samples chunks hold ``[StreamId u32][varlen count]`` then per
sample ``[8][timestamp f64][values]`` (strings: varlen length + UTF-8 bytes).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np


@dataclass(frozen=True)
class XdfStream:
    name: str
    type: str
    fs_hz: float
    labels: Sequence[str]
    units: Sequence[str]
    time_stamps: np.ndarray
    values: Sequence[Sequence[float]] | Sequence[Sequence[str]]
    strings: bool = False


def _varlen(n: int) -> bytes:
    if n < 256:
        return struct.pack("<BB", 1, n)
    return struct.pack("<BI", 4, n)


def _chunk(tag: int, content: bytes) -> bytes:
    body = struct.pack("<H", tag) + content
    return struct.pack("<BQ", 8, len(body)) + body


def _header(s: XdfStream) -> str:
    chans = "".join(
        f"<channel><label>{escape(lab)}</label><unit>{escape(u)}</unit></channel>"
        for lab, u in zip(s.labels, s.units, strict=True)
    )
    fmt = "string" if s.strings else "float32"
    return (
        f'<?xml version="1.0"?><info><name>{escape(s.name)}</name><type>{s.type}</type>'
        f"<channel_count>{len(s.labels)}</channel_count><nominal_srate>{s.fs_hz}</nominal_srate>"
        f"<channel_format>{fmt}</channel_format><created_at>0</created_at>"
        f"<desc><channels>{chans}</channels></desc></info>"
    )


def write_xdf(path: Path, streams: Sequence[XdfStream]) -> None:
    out = bytearray(b"XDF:")
    out += _chunk(1, b'<?xml version="1.0"?><info><version>1.0</version></info>')
    for sid, s in enumerate(streams, start=1):
        out += _chunk(2, struct.pack("<I", sid) + _header(s).encode())
    for sid, s in enumerate(streams, start=1):
        for a in range(0, len(s.time_stamps), 500):
            body = bytearray(struct.pack("<I", sid))
            ts = s.time_stamps[a : a + 500]
            body += _varlen(len(ts))
            for t, row in zip(ts, s.values[a : a + 500], strict=True):
                body += struct.pack("<Bd", 8, float(t))
                if s.strings:
                    for v in row:
                        b = str(v).encode()
                        body += _varlen(len(b)) + b
                else:
                    body += struct.pack(f"<{len(row)}f", *row)
            out += _chunk(3, bytes(body))
    for sid, s in enumerate(streams, start=1):
        footer = (
            f'<?xml version="1.0"?><info><first_timestamp>{s.time_stamps[0]}</first_timestamp>'
            f"<last_timestamp>{s.time_stamps[-1]}</last_timestamp>"
            f"<sample_count>{len(s.time_stamps)}</sample_count></info>"
        )
        out += _chunk(6, struct.pack("<I", sid) + footer.encode())
    path.write_bytes(bytes(out))
