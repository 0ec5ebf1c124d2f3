"""Packet loss and gaps agree everywhere, for every profile the virtual sensor speaks (issue 16, item 4).

One lossy virtual recording per profile (5 % of packets dropped over the air, one disconnect):
the record summary line, the decoder's packet report, the ``gap`` events and the report's
recording notes give the same figures; the report names the disconnect; and the figures match
what the sensor itself lost: packet for packet where the profile has a counter or a device
clock, and, for the MyoWare (ASCII lines, neither), a gap as long as the silence at the
disconnect, measured from arrival times.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_faults import Run, _record

from glutesense.cli.cmd_record import decoded_counts
from glutesense.cli.main import main
from glutesense.io import read_native
from glutesense.model.records import StreamKind
from glutesense.report.html import recording_notes
from glutesense.session import SessionWriter

PROFILES = ["sim", "sim:ganglion", "sim:myo", "sim:polar-h10", "sim:myoware-ble-uart"]
# the stream whose every lost packet the decoder must find (counter or device clock); the MyoWare has neither
COUNTED = {"sim": "emg", "sim:ganglion": "emg", "sim:myo": "emg", "sim:polar-h10": "imu"}
# the Myo's EMG counter cycles 0-1-2-3: four lost in a row alias to a repeat (docs of profiles/myo.py)
ALIASED = {"sim:myo": 4}
DISCONNECT_S = 9.0


@pytest.fixture(scope="module", params=PROFILES)
def lossy(request: pytest.FixtureRequest) -> tuple[str, Run]:
    profile = str(request.param)
    return profile, _record(
        reps=2, profile=profile, drop_probability=0.05, disconnects_at_s=(DISCONNECT_S,), down_s=0.5
    )


def _kept(run: Run) -> list[str]:
    return [f"0.{s.name}" for s in run.rec.streams]


def test_gap_events_agree_with_the_packet_report(lossy: tuple[str, Run]) -> None:
    _, run = lossy
    pk = run.rec.packets
    assert pk is not None and pk.dropped == sum(s.dropped for s in pk.by_stream.values()) > 0
    gaps = [e for e in run.rec.events if e.trial_type == "gap"]
    kept = [pk.by_stream[k] for k in _kept(run)]  # gap events are those of the streams with roles
    assert len(gaps) == sum(s.gaps for s in kept)
    assert sum(e.duration_s for e in gaps) == pytest.approx(sum(s.lost_s for s in kept), abs=1e-3)


def test_summary_line_and_report_give_the_decoders_figures(lossy: tuple[str, Run], tmp_path: Path) -> None:
    profile, run = lossy
    path = tmp_path / "s.gses"
    with SessionWriter(path, run.writer.meta) as w:
        for p in run.writer.packets:
            w.add_packet(p)
        for e in run.writer.events:
            w.add_event(e)
    pk = run.rec.packets
    assert pk is not None
    gaps = f"{pk.gaps} gap" + ("" if pk.gaps == 1 else "s")
    line = decoded_counts(path, len(run.writer.packets))
    assert f"{pk.received} packets, {pk.dropped} lost in {gaps}" in line, (profile, line)
    notes = recording_notes(read_native(path))
    assert f"{pk.received} received, {pk.dropped} lost in {gaps}" in notes
    assert f"Link: 1 disconnect (at {DISCONNECT_S:.1f} s), 1 reconnect" in notes


def test_the_decoder_finds_what_the_sensor_lost(lossy: tuple[str, Run]) -> None:
    profile, run = lossy
    pk = run.rec.packets
    assert pk is not None
    if profile in COUNTED:
        name = COUNTED[profile]
        truth = [p for p in run.sensor.lost if p.stream is StreamKind[name.upper()]]
        assert abs(pk.by_stream[f"0.{name}"].dropped - len(truth)) <= ALIASED.get(profile, 0)
        return
    # MyoWare: no counter, no clock.  Lone lost lines cannot be seen; the disconnect's silence can.
    t_rx = np.array([p.t_rx_ns for p in run.writer.packets]) / 1e9 - run.writer.meta["start_ns"] / 1e9
    i = int(np.argmax(np.diff(t_rx)))
    silence_s = t_rx[i + 1] - t_rx[i]
    assert t_rx[i] == pytest.approx(DISCONNECT_S, abs=0.1) and silence_s > 0.5
    emg = run.rec.streams[0]
    per_packet_s = 10 / emg.fs_hz  # 10 lines a notification
    (gap,) = [e for e in run.rec.events if e.trial_type == "gap"]
    assert gap.onset_s == pytest.approx(t_rx[i], abs=0.1)
    assert gap.duration_s == pytest.approx(silence_s - per_packet_s, abs=0.1)
    unsent = sum(p.reason == "unsent" for p in run.sensor.lost)
    assert abs(pk.dropped - unsent) <= 3  # the packets not sent while the link was down


def test_record_prints_the_decoders_loss_for_a_device_without_counters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: "0 lost" for polar-h10 and myoware-ble-uart while the decoder counted hundreds."""
    out = tmp_path / "m.gses"
    argv = ["record", "--device", "sim:myoware-ble-uart", "--speed", "inf", "--reps", "1", "--rest-s", "3"]
    argv += ["--subject", "L1", "--sim-drop", "0.05", "--sim-disconnect-at-s", "6", "--plain"]
    argv += ["--out", str(out)]
    assert main(argv) == 0
    pk = read_native(out).packets
    assert pk is not None and pk.dropped > 20
    summary = [x for x in capsys.readouterr().out.splitlines() if x.startswith("session: ")]
    assert len(summary) == 1 and f", {pk.dropped} lost in {pk.gaps} gap" in summary[0], summary
