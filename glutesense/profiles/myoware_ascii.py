"""MyoWare 2.0 Wireless Shield, official "BLE UART" example: ASCII lines over Nordic UART.

Advancer Technologies' examples for the MyoWare 2.0 Wireless Shield (ESP32) advertise
the Nordic UART service under the name ``MyoW1`` (``MyoW2``, ...) and notify text lines
on its TX characteristic.  glutesense reads lines of comma-separated numbers::

    env,raw\\n          (the layout this profile expects; columns are configurable)
    raw\\n              (one number: RAW only)

With the MyoWare library's ``setConvertOutput(false)`` (the examples' default) RAW is in
ADC counts of the shield's 12-bit, 3.3 V converter with the REF offset removed, after the
sensor's fixed RAW gain of 200: 3.3 V / 4096 / 200 = 4.028 µV at the electrodes per count.
ENV is the sensor's on-board envelope (its gain depends on the potentiometer), kept in
counts for reference, with no role.

There is no packet counter and no device clock: timing comes from arrival only, and a
lost notification cannot be detected.  ``fs_hz`` is nominal; the examples send as fast as
the loop runs.  A line may be split across notifications (the decoder keeps the partial
line), and a notification may hold several lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from glutesense.model.records import ChannelSpec, SampleBlock, StreamKind
from glutesense.model.roles import Role, SignalKind
from glutesense.profiles.base import DeviceProfile, MalformedPacket

NUS_SERVICE = "6e400001-b5a3-f393-e0a9-e50e24dcca9e"
NUS_RX = "6e400002-b5a3-f393-e0a9-e50e24dcca9e"
NUS_TX = "6e400003-b5a3-f393-e0a9-e50e24dcca9e"

ADC_VOLTS = 3.3
ADC_BITS = 12
RAW_GAIN = 200.0
RAW_UV_PER_COUNT = ADC_VOLTS / 2**ADC_BITS / RAW_GAIN * 1e6  # 4.028 µV
UV_PER_MV = 1000.0
ADC_MAX_COUNTS = 2**ADC_BITS  # |RAW| and ENV cannot exceed the 12-bit converter's span
RAW_MAX_MV = ADC_VOLTS / RAW_GAIN * 1000.0  # 16.5 mV at the electrodes: the converter's span
MAX_LINE = 128  # bytes; a longer partial line means the stream is not this format
NOMINAL_FS_HZ = 100.0

DESCRIPTION = (
    "MyoWare 2.0 Wireless Shield, official BLE UART example (ASCII 'env,raw' lines); "
    "no device clock: timing from arrival only"
)


@dataclass
class MyoWareAsciiDecoder:
    """Line-buffering decoder for ASCII MyoWare notifications.

    Parameters
    ----------
    columns : tuple of str
        Meaning of the comma-separated fields of a line, among ``"env"``, ``"raw"`` and
        ``"ref"``; a line with a single number is always RAW.
    raw_unit : {"adc", "mV"}
        ``"adc"``: counts (``setConvertOutput(false)``); ``"mV"``: millivolts at the
        electrodes (``setConvertOutput(true)``).
    fs_hz : float
        Nominal sample rate, Hz (arrival times are the real timing).

    Notes
    -----
    Output blocks are ``(n_lines, 2)``: RAW in µV, then ENV in counts (NaN when absent).
    """

    columns: tuple[str, ...] = ("env", "raw")
    raw_unit: str = "adc"
    fs_hz: float = NOMINAL_FS_HZ
    _partial: bytes = field(default=b"", init=False, repr=False)

    def __post_init__(self) -> None:
        if "raw" not in self.columns or not set(self.columns) <= {"env", "raw", "ref"}:
            raise ValueError(f"columns must include 'raw' and be among env, raw, ref: {self.columns}")
        if self.raw_unit not in ("adc", "mV"):
            raise ValueError(f"raw_unit must be 'adc' or 'mV', not {self.raw_unit!r}")

    @property
    def raw_scale(self) -> float:
        """µV at the electrodes per unit of the RAW field."""
        return RAW_UV_PER_COUNT if self.raw_unit == "adc" else UV_PER_MV

    def decode(self, char: int, payload: bytes) -> tuple[SampleBlock, ...]:
        """Decode the complete lines of one notification (plus any line left from before)."""
        if char != 0:
            raise MalformedPacket(f"MyoWare UART has no notify characteristic number {char}")
        buffer = self._partial + payload.replace(b"\r", b"")
        *lines, rest = buffer.split(b"\n")
        if len(rest) > MAX_LINE:
            self._partial = b""
            raise MalformedPacket(f"MyoWare line longer than {MAX_LINE} bytes without a newline")
        self._partial = rest
        rows = [self._parse_line(line) for line in lines if line.strip()]
        if not rows:
            return ()
        return (SampleBlock(StreamKind.EMG, None, None, self.fs_hz, np.array(rows, dtype=np.float64)),)

    def _parse_line(self, line: bytes) -> tuple[float, float]:
        try:
            values = [float(v) for v in line.decode("ascii").split(",")]
        except (UnicodeDecodeError, ValueError):
            raise MalformedPacket(f"MyoWare line {line[:40]!r} is not comma-separated numbers") from None
        if not all(math.isfinite(v) for v in values):
            raise MalformedPacket(f"MyoWare line {line[:40]!r} holds a non-finite number")
        if len(values) == 1:
            return self._raw(values[0], line), math.nan
        if len(values) != len(self.columns):
            raise MalformedPacket(
                f"MyoWare line has {len(values)} fields, expected 1 or {len(self.columns)} ({self.columns})"
            )
        named = dict(zip(self.columns, values, strict=True))
        env = named.get("env", math.nan)
        if abs(env) > ADC_MAX_COUNTS:
            raise MalformedPacket(f"MyoWare line {line[:40]!r}: ENV {env:g} is beyond the 12-bit ADC's range")
        return self._raw(named["raw"], line), env

    def _raw(self, value: float, line: bytes) -> float:
        """RAW in µV; a value beyond the 12-bit converter's span is a corrupted line, not a sample."""
        limit = ADC_MAX_COUNTS if self.raw_unit == "adc" else RAW_MAX_MV
        if abs(value) > limit:
            unit = "counts" if self.raw_unit == "adc" else "mV"
            raise MalformedPacket(
                f"MyoWare line {line[:40]!r}: RAW {value:g} {unit} is beyond the 12-bit ADC's range "
                f"(±{limit:g})"
            )
        return value * self.raw_scale


def format_lines(raw_counts: npt.ArrayLike, env_counts: npt.ArrayLike) -> bytes:
    """``env,raw\\n`` lines as the official example prints them (integer ADC counts)."""
    raw = np.rint(np.asarray(raw_counts, dtype=np.float64)).astype(np.int64)
    env = np.rint(np.asarray(env_counts, dtype=np.float64)).astype(np.int64)
    return "".join(f"{e},{r}\n" for e, r in zip(env, raw, strict=True)).encode("ascii")


EMG_CHANNELS = (
    ChannelSpec("raw", SignalKind.EMG, Role.GLUTE_MAX_L, RAW_UV_PER_COUNT),
    ChannelSpec("env", SignalKind.EMG, None, 1.0),
)

PROFILE = DeviceProfile(
    name="myoware-ble-uart",
    service_uuids=(NUS_SERVICE,),
    name_prefixes=("MyoW",),
    notify_chars=(NUS_TX,),
    control_char=None,
    start_commands=(),
    stop_commands=(),
    channels={StreamKind.EMG: EMG_CHANNELS},
    new_decoder=MyoWareAsciiDecoder,
    has_device_clock=False,
    description=DESCRIPTION,
    extra={
        "seq": "none: lost notifications cannot be detected",
        "env_unit": "ADC counts (envelope, not EMG)",
        "identify_by": "name prefix (the Nordic UART service is shared with diy-v1)",
    },
)
