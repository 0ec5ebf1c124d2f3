"""The reference firmware sketch agrees with the diy-v1 decoder (the sketch is not compiled here).

Parses ``firmware_notes/glutesense_diy_v1/glutesense_diy_v1.ino``: its ``constexpr`` constants,
``#define`` strings and the packed header struct, and checks them against
``glutesense.profiles.diy_v1`` (version, stream ids, flags, header layout, UUIDs, scales,
command bytes, rates, packet sizes against the MTU).
"""

from __future__ import annotations

import ast
import operator
import re
import struct

import numpy as np
import pytest
from support.paths import FIRMWARE_NOTES

from glutesense.model.records import StreamKind
from glutesense.profiles import diy_v1
from glutesense.transport.ble import match_profile

ROOT = FIRMWARE_NOTES
SKETCH = ROOT / "glutesense_diy_v1" / "glutesense_diy_v1.ino"
NOTES = ROOT / "reference-firmware.md"

_CTYPES = {"uint8_t": "B", "int8_t": "b", "uint16_t": "H", "int16_t": "h", "uint32_t": "I", "int32_t": "i"}
_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
}


def _eval(expr: str, names: dict[str, float]) -> float:
    """Evaluate a C constant expression of numbers, names and + - * / (``1.0f`` style floats)."""
    text = re.sub(r"(\d+(?:\.\d*)?)[fFuUlL]+\b", r"\1", expr.strip())

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.Name):
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Div) and isinstance(left, int) and isinstance(right, int):
                return left // right  # C integer division
            return _OPS[type(node.op)](left, right)
        raise ValueError(f"not a constant expression: {expr!r}")

    return walk(ast.parse(text, mode="eval").body)


@pytest.fixture(scope="module")
def sketch() -> dict[str, object]:
    src = SKETCH.read_text()
    src = re.sub(r"//[^\n]*", "", src)
    consts: dict[str, float] = {}
    for name, expr in re.findall(r"constexpr\s+\w+\s+(\w+)\s*=\s*([^;{]+);", src):
        consts[name] = _eval(expr, consts)
    defines = dict(re.findall(r'#define\s+(\w+)\s+"([^"]*)"', src))
    body = re.search(r"struct __attribute__\(\(packed\)\) Header \{([^}]*)\};", src)
    assert body is not None, "the sketch must declare the packed diy-v1 header struct"
    fields = re.findall(r"(u?int\d+_t)\s+(\w+);", body.group(1))
    return {"consts": consts, "defines": defines, "header": fields, "src": src}


def test_version_stream_ids_flags_and_commands(sketch: dict) -> None:
    c = sketch["consts"]
    assert c["DIY_VERSION"] == diy_v1.VERSION
    assert (c["STREAM_EMG"], c["STREAM_IMU"], c["STREAM_MARK"]) == (
        StreamKind.EMG,
        StreamKind.IMU,
        StreamKind.MARK,
    )
    assert (c["FLAG_SATURATED"], c["FLAG_CLOCK_RESTART"]) == (
        diy_v1.FLAG_SATURATED,
        diy_v1.FLAG_CLOCK_RESTART,
    )
    assert bytes([int(c["CMD_START"])]) == diy_v1.CMD_START
    assert bytes([int(c["CMD_STOP"])]) == diy_v1.CMD_STOP
    assert c["CMD_MARKER"] == diy_v1.CMD_MARKER
    assert len(diy_v1.marker_command(1, "x" * 40)) == 3 + c["MARKER_LABEL_MAX"]


def test_header_layout(sketch: dict) -> None:
    fields = sketch["header"]
    assert [n for _, n in fields] == [
        "version",
        "stream",
        "flags",
        "n_channels",
        "seq",
        "t_us",
        "fs_hz",
        "n_samples",
    ]
    fmt = "<" + "".join(_CTYPES[t] for t, _ in fields)
    assert fmt == diy_v1.HEADER.format
    assert struct.calcsize(fmt) == sketch["consts"]["HEADER_SIZE"] == diy_v1.HEADER_SIZE


def test_uuids_and_name(sketch: dict) -> None:
    d = sketch["defines"]
    assert (d["NUS_SERVICE_UUID"], d["NUS_RX_UUID"], d["NUS_TX_UUID"]) == (
        diy_v1.NUS_SERVICE,
        diy_v1.NUS_RX,
        diy_v1.NUS_TX,
    )
    profile = match_profile(d["DEVICE_NAME"], [d["NUS_SERVICE_UUID"]])
    assert profile is not None and profile.name == "diy-v1"
    assert "diy-v1" in d["FIRMWARE_REVISION"]


def test_scales(sketch: dict) -> None:
    c = sketch["consts"]
    assert c["EMG_UV_PER_COUNT"] == pytest.approx(diy_v1.EMG_UV_PER_COUNT)
    assert c["ACC_G_PER_COUNT"] == pytest.approx(diy_v1.ACC_G_PER_COUNT)
    assert c["GYR_DPS_PER_COUNT"] == pytest.approx(diy_v1.GYR_DPS_PER_COUNT)
    assert c["N_EMG"] <= len(diy_v1.EMG_CHANNELS) and c["N_IMU"] == len(diy_v1.IMU_CHANNELS)


def test_rates_packets_and_link_budget(sketch: dict) -> None:
    c = sketch["consts"]
    assert (c["EMG_FS_HZ"], c["IMU_FS_HZ"]) == (1000, 100)
    assert (c["EMG_PER_PACKET"], c["IMU_PER_PACKET"]) == (25, 10)
    assert c["TIMER_PERIOD_US"] == 1000 and c["IMU_DECIMATION"] == 10
    assert c["MTU"] == 247
    assert 7.5 <= c["CONN_INTERVAL_MIN"] * 1.25 <= c["CONN_INTERVAL_MAX"] * 1.25 <= 15.0
    # a packet the sketch builds is exactly what the encoder builds, and fits one notification
    emg = diy_v1.encode(diy_v1.Packet(StreamKind.EMG, 0, 0, 1000, np.zeros((25, int(c["N_EMG"])), np.int16)))
    imu = diy_v1.encode(diy_v1.Packet(StreamKind.IMU, 0, 0, 100, np.zeros((10, int(c["N_IMU"])), np.int16)))
    assert (len(emg), len(imu)) == (c["EMG_PACKET_SIZE"], c["IMU_PACKET_SIZE"])
    assert max(len(emg), len(imu)) <= c["MTU"] - 3
    # throughput budget: notifications per 15 ms connection interval stay few
    per_s = c["EMG_FS_HZ"] / c["EMG_PER_PACKET"] + c["IMU_FS_HZ"] / c["IMU_PER_PACKET"]
    assert per_s * 0.015 < 1.0
    assert c["QUEUE_DEPTH"] >= 2 * per_s * 0.050  # two 50 ms intervals of packets


def test_firmware_behaviour_the_host_relies_on(sketch: dict) -> None:
    src = sketch["src"]
    assert "timerAlarm" in src and "hw_timer_t" in src  # hardware-timer pacing
    assert "device_t_us(emg_first)" in src  # t_us is the first sample's time
    assert "seq_emg++" in src and "if (!streaming || !connected) return;" in src  # counters before sending
    assert "FLAG_CLOCK_RESTART" in src and "send_marker" in src


def test_notes_cover_wiring_placement_and_link(sketch: dict) -> None:
    text = NOTES.read_text()
    for needle in (
        "SENIAM",
        "greater trochanter",
        "ischial tuberosity",
        "MTU 247",
        "7.5",
        "GPIO 36",
        "MPU-6050",
    ):
        assert needle in text, needle
