"""The native session file: byte layout shared by writer and reader.

See ``docs/format.md`` for the full description.  In short::

    file   = magic "GLUTESNS" | u16 format_version | u16 reserved | record*
    record = u8 type | u32 length | payload[length] | u32 crc32(type byte + payload)

All integers little-endian.  Record types: META (JSON, always first),
PACKET (i64 t_rx_ns, u8 device, u8 char, notification bytes), EVENT (JSON),
META_PATCH (JSON merged into the metadata, later keys win).
"""

from __future__ import annotations

import struct
import zlib
from enum import IntEnum

MAGIC = b"GLUTESNS"
FORMAT_VERSION = 1
FILE_HEADER = struct.Struct("<8sHH")
RECORD_HEADER = struct.Struct("<BI")
RECORD_CRC = struct.Struct("<I")
PACKET_HEAD = struct.Struct("<qBB")
MAX_RECORD_BYTES = 16 * 1024 * 1024
SUFFIX = ".gses"


class RecordType(IntEnum):
    META = 1
    PACKET = 2
    EVENT = 3
    META_PATCH = 4


def file_header() -> bytes:
    return FILE_HEADER.pack(MAGIC, FORMAT_VERSION, 0)


def pack_record(kind: RecordType, payload: bytes) -> bytes:
    """One framed record: header, payload and CRC-32 of type byte + payload."""
    head = RECORD_HEADER.pack(kind, len(payload))
    crc = zlib.crc32(payload, zlib.crc32(head[:1]))
    return head + payload + RECORD_CRC.pack(crc)


def pack_packet(t_rx_ns: int, device: int, char: int, payload: bytes) -> bytes:
    return pack_record(RecordType.PACKET, PACKET_HEAD.pack(t_rx_ns, device, char) + payload)
