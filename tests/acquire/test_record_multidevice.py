"""Two devices in one recording from the command line (``--device`` repeated).

``glutesense record --device sim --device sim:polar-h10 --speed inf``: a diy-v1 EMG sensor
(device 0) and a Polar H10 on the pelvis (device 1) record into one session, in virtual time.
"""

from __future__ import annotations

import json
from html import escape as html_escape
from pathlib import Path

import pytest

from glutesense.cli.main import main
from glutesense.io import read_native
from glutesense.model.meta import ClockReport, DeviceClock, PacketReport, Timing
from glutesense.model.records import Recording
from glutesense.report.html import recording_notes
from glutesense.session import read_session


def _record(tmp_path: Path, *devices: str, extra: tuple[str, ...] = ()) -> Path:
    out = tmp_path / "two.gses"
    argv = ["record"]
    for d in devices:
        argv += ["--device", d]
    argv += ["--speed", "inf", "--reps", "3", "--subject", "M1", "--rest-s", "3", "--out", str(out), *extra]
    assert main(argv) == 0
    return out


def test_two_devices_record_into_one_session_and_analyze(tmp_path: Path) -> None:
    out = _record(tmp_path, "sim", "sim:polar-h10")
    data = read_session(out)
    devices = data.meta["devices"]
    assert [d["profile"] for d in devices] == ["diy-v1", "polar-h10"]
    assert [d["index"] for d in devices] == [0, 1]
    assert devices[0]["address"] != devices[1]["address"]
    assert {p.device for p in data.packets} == {0, 1}
    # the Polar's accelerometer roles are already carried by the diy-v1 IMU: left unmapped, and said so
    warnings = data.meta.get("setup_warnings", [])
    assert any(w.startswith("device 1 (polar-h10)") for w in warnings), warnings
    assert not any("records movement only" in w for w in warnings)  # device 0 carries the EMG pair
    # cues reach both: diy-v1 echoes markers, the Polar's person hears them through the cue hook
    cues = [e for e in data.events if e.trial_type == "cue"]
    assert len(cues) == 3
    rec = read_native(out)
    alignment = rec.clock.alignment
    assert alignment.reference_device == 0
    assert 0 <= alignment.residual_ms[1] < 50
    assert rec.meta["recorder"]["completed"] is True

    report = tmp_path / "report"
    assert main(["analyze", str(out), "--protocol", "bridge", "--out", str(report)]) == 0
    assert (report / "report.html").exists()


def test_one_device_still_records_as_before(tmp_path: Path) -> None:
    out = _record(tmp_path, "sim")
    data = read_session(out)
    assert len(data.meta["devices"]) == 1
    assert {p.device for p in data.packets} == {0}
    assert "setup_warnings" not in data.meta
    assert read_native(out).clock.alignment is None


def test_two_diy_sensors_map_only_the_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _record(tmp_path, "sim", "sim", extra=("--map", "glute_max_l=emg0,hamstring_l=emg1"))
    data = read_session(out)
    roles = [
        [c["role"] for specs in d["channels"].values() for c in specs if c["role"]]
        for d in data.meta["devices"]
    ]
    assert "glute_max_l" in roles[0]
    assert "glute_max_l" not in roles[1]
    assert "device 1 (diy-v1)" in capsys.readouterr().err
    json.dumps(data.meta)  # still plain JSON
    rec = read_native(out)
    assert rec.clock.alignment.residual_ms[1] < 50


def test_report_shows_timing_notes_setup_warnings_and_gap_counts(tmp_path: Path) -> None:
    out = _record(tmp_path, "sim", "sim:myoware-ble-uart", extra=("--sim-drop", "0.03"))
    report = tmp_path / "report"
    assert main(["analyze", str(out), "--protocol", "bridge", "--out", str(report)]) == 0
    html = (report / "report.html").read_text()
    quality = html[html.index("<h2>Signal quality</h2>") : html.index("<h2>How this was measured</h2>")]
    rec = read_native(out)
    assert any("no device clock: timing from arrival only" in n for n in rec.timing_notes)
    assert "Timing: device 1 (myoware-ble-uart): no device clock: timing from arrival only" in quality
    assert rec.meta["setup_warnings"]
    for warning in rec.meta["setup_warnings"]:
        assert f"Setup warning: {html_escape(warning)}" in quality
    pk = rec.packets
    assert pk.gaps > 0
    assert f"Packets: {pk.received} received, {pk.dropped} lost in {pk.gaps} gaps" in quality
    assert "Alignment: device 1 on the host clock with device 0, residual" in quality


def test_recording_notes_are_escaped() -> None:
    clock = DeviceClock("<b>late</b>", 0.0, 0.0, 1.0, 1.0, 10, 1, Timing.ARRIVAL)
    rec = Recording(
        (),
        meta={"setup_warnings": ["map <script>x</script>"]},
        clock=ClockReport({0: clock}),
        packets=PacketReport(received=10, malformed=0, dropped=1, duplicates=0, gaps=1),
    )
    html = recording_notes(rec)
    assert "<script>" not in html and "<b>" not in html
    assert "Timing: device 0 (&lt;b&gt;late&lt;/b&gt;)" in html
    assert "Setup warning: map &lt;script&gt;" in html
    assert "10 received, 1 lost in 1 gap," in html
    assert recording_notes(Recording(())) == ""
