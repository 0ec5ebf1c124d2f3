"""Native sessions as analysis input: read, decode, map ground truth."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from glutesense.decode.decoder import SessionDecoder, SessionSetupError
from glutesense.io.common import InputError
from glutesense.model.records import Recording
from glutesense.session import SessionData, SessionError, read_session


def recording_from_session(data: SessionData) -> Recording:
    """Decode a read session exactly as the live path decodes it."""
    try:
        dec = SessionDecoder(data.meta)
        dec.push_all(data.packets)
        rec = dec.recording(data.events, source=data.path)
    except SessionSetupError as e:
        raise InputError(f"{data.path}: {e}") from None
    if data.damage:
        rec = dataclasses.replace(rec, meta={**rec.meta, **data.damage_meta()})
    return rec


def read_native(path: str | Path) -> Recording:
    try:
        data = read_session(path)
    except SessionError as e:
        raise InputError(str(e)) from None
    if not data.packets:
        raise InputError(f"{path}: the session holds no data packets")
    return recording_from_session(data)
