"""The native session file: byte layout shared by writer and reader.

See ``docs/format.md`` for the full description.  In short (format 2)::

    file   = magic "GLUTESNS" | u16 format_version | u16 reserved | record*
    record = sync "\\xa5\\x5aGR" | u8 type | u32 length | payload[length]
             | u32 crc32(type byte + length + payload)

Format 1 (still read) had no sync marker and its CRC covered type byte + payload only.
All integers little-endian.  Record types: META (JSON, always first),
PACKET (i64 t_rx_ns, u8 device, u8 char, notification bytes), EVENT (JSON),
META_PATCH (JSON merged into the metadata, later keys win).
"""

from __future__ import annotations

import struct
import zlib
from enum import IntEnum

MAGIC = b"GLUTESNS"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
FILE_HEADER = struct.Struct("<8sHH")
SYNC = b"\xa5\x5aGR"
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


def file_header(version: int = FORMAT_VERSION) -> bytes:
    return FILE_HEADER.pack(MAGIC, version, 0)


def record_crc(head: bytes, payload: bytes, version: int = FORMAT_VERSION) -> int:
    """CRC-32 of a record: type + length + payload (format 2) or type + payload (format 1)."""
    covered = head if version >= 2 else head[:1]
    return zlib.crc32(payload, zlib.crc32(covered))


def pack_record(kind: RecordType, payload: bytes, version: int = FORMAT_VERSION) -> bytes:
    """One framed record: [sync,] header, payload and CRC-32."""
    head = RECORD_HEADER.pack(kind, len(payload))
    sync = SYNC if version >= 2 else b""
    return sync + head + payload + RECORD_CRC.pack(record_crc(head, payload, version))


def pack_packet(t_rx_ns: int, device: int, char: int, payload: bytes, version: int = FORMAT_VERSION) -> bytes:
    return pack_record(RecordType.PACKET, PACKET_HEAD.pack(t_rx_ns, device, char) + payload, version)
