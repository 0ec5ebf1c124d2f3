"""The demo says when the machine fell behind a fast virtual sensor (instead of silently bad timing)."""

from __future__ import annotations

import math
from pathlib import Path

from glutesense.acquire.recorder import build_schedule, schedule_duration_s
from glutesense.cli.cmd_demo import _fell_behind
from glutesense.cli.cmd_record import RecordRequest
from glutesense.model.roles import Protocol, Side


def _request(speed: float) -> RecordRequest:
    return RecordRequest(
        device="sim",
        out=Path("x.gses"),
        subject="s1",
        protocol=Protocol.BRIDGE,
        reps=6,
        sides=(Side.LEFT, Side.RIGHT),
        rest_s=5.0,
        rep_period_s=6.0,
        hold_s=2.5,
        speed=speed,
        channel_map={},
        sim={},
        scan_timeout_s=1.0,
    )


def test_a_session_far_longer_than_planned_is_flagged() -> None:
    planned = schedule_duration_s(build_schedule(Protocol.BRIDGE, 6, (Side.LEFT, Side.RIGHT), 5.0, 6.0, 2.5))
    assert 30.0 < planned < 60.0
    assert _fell_behind(185.0, _request(64.0)) == planned  # the case seen on a loaded 2-core machine
    assert _fell_behind(planned + 1.0, _request(64.0)) is None  # on pace
    assert _fell_behind(185.0, _request(math.inf)) is None  # virtual time cannot fall behind
    assert _fell_behind(185.0, _request(1.0)) is None  # real time: a long session is the person's pace
