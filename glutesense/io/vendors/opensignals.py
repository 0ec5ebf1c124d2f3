"""PLUX OpenSignals (r)evolution text files (biosignalsplux, BITalino).

Layout: line 1 ``# OpenSignals Text File Format`` (optionally ``. Version 1``), line 2 ``#`` and
a JSON object with one entry per device (keyed by its MAC address: ``sampling rate``,
``column`` (``nSeq``, ``DI`` or ``I1..O2``, then ``CH1..`` / ``A1..``), ``label``,
``sensor``, ``resolution``, ``device``, ``date``, ``time``), line 3 ``# EndOfHeader``, then
one tab-separated row of raw ADC values per sample, the devices' columns side by side.

* Channels are named by their label (``CH1``, ``A1``); a second device's as ``NAME:CH1``.
* ``EMG`` channels are converted from ADC counts with PLUX's transfer function
  ``EMG = (ADC / 2**n - 1/2) * VCC / G`` (``n`` the channel's resolution in bits;
  biosignalsplux: VCC 3 V, G 1000; BITalino: VCC 3.3 V, G 1009), giving mV.
  Other sensors need per-unit calibration (accelerometers) or are not muscles, and are
  left out (said in the notes).
* Time comes from ``nSeq`` (wrapping at 16 on BITalino): a jump leaves the lost samples empty.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from glutesense.io.common import InputError
from glutesense.io.vendors.base import TIME_COLUMN, ParsedTable, numeric_block, times_from_counter

MAGIC = "# OpenSignals"
_EMG_SENSORS = {"EMG", "EMGV2", "EMG_V2"}


def _transfer(device: str) -> tuple[float, float]:
    """(VCC in V, gain) of PLUX's EMG sensor on this device family."""
    return (3.3, 1009.0) if device.lower().startswith("bitalino") else (3.0, 1000.0)


def parse(text: str, source: str) -> ParsedTable:
    """Parse an OpenSignals text file (see the module docstring)."""
    import pandas as pd

    lines = text.splitlines()
    try:
        end = next(i for i, ln in enumerate(lines) if ln.strip().lower().startswith("# endofheader"))
    except StopIteration:
        raise InputError(f"{source}: OpenSignals file without '# EndOfHeader'") from None
    header = _header(lines[1:end], source)
    rows = [ln.split("\t") for ln in lines[end + 1 :] if ln.strip()]
    if not rows:
        raise InputError(f"{source}: OpenSignals file without samples")
    block = numeric_block([[c for c in r if c.strip() != ""] for r in rows], source, "OpenSignals samples")
    out: dict[str, Any] = {}
    units: dict[str, str] = {}
    notes: list[str] = []
    offset = 0
    fs_hz = None
    t_s = None
    for k, (name, dev) in enumerate(header.items()):
        columns = [str(c) for c in dev.get("column", [])]
        if offset + len(columns) > block.shape[1]:
            raise InputError(
                f"{source}: OpenSignals header lists {len(columns)} columns for {name}; rows are shorter"
            )
        data = block[:, offset : offset + len(columns)]
        offset += len(columns)
        rate = float(dev.get("sampling rate", 0) or 0)
        if rate <= 0:
            raise InputError(f"{source}: OpenSignals header of {name} has no 'sampling rate'")
        if fs_hz is None:
            fs_hz = rate
            seq = (
                data[:, columns.index("nSeq")] if "nSeq" in columns else np.arange(data.shape[0], dtype=float)
            )
            modulus = 16 if np.nanmax(seq) < 16 else 1 << int(np.ceil(np.log2(np.nanmax(seq) + 1)))
            t_s, lost = times_from_counter(seq, rate, modulus)
            if lost:
                notes.append(f"nSeq skips {lost} samples ({lost / rate:.2f} s); they are left empty")
        elif rate != fs_hz:
            notes.append(f"device {name} samples at {rate:g} Hz, not {fs_hz:g} Hz; left out")
            continue
        prefix = f"{dev.get('device name') or name}:" if k else ""
        _channels(dev, columns, data, prefix, out, units, notes)
    assert fs_hz is not None and t_s is not None
    frame = pd.DataFrame({TIME_COLUMN: t_s, **out})
    first = next(iter(header.values()))
    meta = {
        "device": str(first.get("device", "PLUX")),
        "recorded": f"{first.get('date', '')} {first.get('time', '')}",
    }
    return ParsedTable("OpenSignals", frame, units, fs_hz, (), tuple(notes), meta)


def _header(lines: list[str], source: str) -> dict[str, dict[str, Any]]:
    text = "".join(ln.lstrip("#").strip() for ln in lines if ln.lstrip("#").strip().startswith("{"))
    try:
        header = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{source}: OpenSignals header is not valid JSON ({e.msg})") from None
    if not isinstance(header, dict) or not header or not all(isinstance(v, dict) for v in header.values()):
        raise InputError(f"{source}: OpenSignals header holds no device")
    return header


def _channels(
    dev: dict[str, Any],
    columns: list[str],
    data: np.ndarray[Any, np.dtype[np.float64]],
    prefix: str,
    out: dict[str, Any],
    units: dict[str, str],
    notes: list[str],
) -> None:
    labels = [str(x) for x in dev.get("label", [])]
    sensors = [str(x).upper() for x in dev.get("sensor", [])]
    resolution = [int(x) for x in dev.get("resolution", [])]
    vcc, gain = _transfer(str(dev.get("device", "")))
    for i, label in enumerate(labels):
        if label not in columns:
            continue
        j = columns.index(label)
        sensor = sensors[i] if i < len(sensors) else "RAW"
        if sensor not in _EMG_SENSORS:
            notes.append(f"{prefix}{label} ({sensor}) is raw ADC without a calibration; left out")
            continue
        bits = (
            resolution[j] if len(resolution) == len(columns) else resolution[i] if i < len(resolution) else 16
        )
        out[prefix + label] = (data[:, j] / 2.0**bits - 0.5) * vcc / gain * 1e3
        units[prefix + label] = "mV"
