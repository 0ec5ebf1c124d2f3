"""EDF/BDF header fields checked before any parser trusts them.

edfio reads what it is given: a record duration of ``0`` ends in an UnboundLocalError, a
physical minimum of ``abc`` silently leaves raw counts as if they were physical units.  These
checks read the ASCII header fields themselves and refuse, in one line naming the signal and
the field, what cannot be used: a record duration that is not a positive number, a signal
whose calibration (physical and digital minimum and maximum) is not four finite numbers with
distinct ends, a sample count per record that is not a positive whole number.
"""

from __future__ import annotations

import math

from glutesense.io.common import InputError

_FIXED = 256
_FIELDS = (  # per-signal header fields, in file order: name, width
    ("label", 16),
    ("transducer", 80),
    ("physical dimension", 8),
    ("physical minimum", 8),
    ("physical maximum", 8),
    ("digital minimum", 8),
    ("digital maximum", 8),
    ("prefiltering", 80),
    ("samples per data record", 8),
)
_CALIBRATION = ("physical minimum", "physical maximum", "digital minimum", "digital maximum")


def signal_fields(raw: bytes, n_signals: int) -> list[dict[str, str]]:
    """Every signal's header fields as stripped text, in signal order."""
    out: list[dict[str, str]] = [{} for _ in range(n_signals)]
    at = _FIXED
    for name, width in _FIELDS:
        for i in range(n_signals):
            out[i][name] = raw[at + i * width : at + (i + 1) * width].decode("ascii", "replace").strip()
        at += width * n_signals
    return out


def _number(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _check_signal(f: dict[str, str], fmt: str, src: str) -> None:
    label = f["label"] or "(no label)"
    values = {k: _number(f[k]) for k in _CALIBRATION}
    for k, v in values.items():
        if v is None:
            raise InputError(
                f"{src}: {fmt} signal {label!r} has {k} {f[k]!r}, not a number: its samples cannot be "
                "calibrated to physical units"
            )
    if values["physical minimum"] == values["physical maximum"] or not (
        values["digital minimum"] < values["digital maximum"]  # type: ignore[operator]
    ):
        raise InputError(
            f"{src}: {fmt} signal {label!r} has a calibration with equal or reversed ends "
            f"(physical {f['physical minimum']}..{f['physical maximum']}, "
            f"digital {f['digital minimum']}..{f['digital maximum']})"
        )
    spr = f["samples per data record"]
    if not spr.isdigit() or int(spr) < 1:
        raise InputError(f"{src}: {fmt} signal {label!r} has {spr!r} samples per data record")


def check_header(raw: bytes, fmt: str, n_signals: int, src: str) -> None:
    """Refuse a header whose record duration or any ordinary signal's calibration is unusable."""
    duration = raw[244:252].decode("ascii", "replace").strip()
    d = _number(duration)
    if d is None or d <= 0:
        raise InputError(
            f"{src}: {fmt} data record duration is {duration!r}; expected a positive number of seconds"
        )
    for f in signal_fields(raw, n_signals):
        if f["label"].endswith("Annotations"):
            continue
        _check_signal(f, fmt, src)
