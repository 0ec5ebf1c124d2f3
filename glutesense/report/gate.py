"""The signal-quality gate's table in the report (escaped HTML), from ``Recording.info.gate``."""

from __future__ import annotations

from html import escape

from glutesense.model.gate import GateReport, Level
from glutesense.model.records import Recording

_NOTE = (
    "<p class='small'>Checked before the test, per channel: a live signal (not flat, not at the "
    "amplifier's limits), the resting noise floor (µV RMS in the EMG band, mains lines left out), mains "
    "hum (50/60 Hz and harmonics), movement at rest, a test contraction rising clearly above rest, and "
    "that the glute and hamstring channels answered their own cues.</p>"
)


def gate_html(recording: Recording | None) -> str:
    """'Signal check before the test': one row per check, worst first ('' when no gate ran)."""
    report: GateReport | None = None if recording is None else recording.info.gate
    if report is None:
        return ""
    checks = sorted(report.checks, key=lambda c: -c.level.rank)
    rows = "".join(
        f"<tr><td class='t'>{escape(c.channel or 'sensor')}</td><td class='t'>{escape(c.kind.value)}</td>"
        f"<td class='t'>{escape(c.level.value)}</td><td class='t'>{escape(c.detail)}</td>"
        f"<td class='t'>{escape(c.fix)}</td></tr>"
        for c in checks
        if c.level is not Level.PASS or len(checks) <= 12
    )
    passed = sum(c.level is Level.PASS for c in checks)
    summary = f"Outcome: {report.level.value}; {passed} of {len(checks)} checks passed."
    if report.note:
        summary += f" {report.note}."
    head = "<tr><th class='t'>channel</th><th class='t'>check</th><th class='t'>result</th>"
    head += "<th class='t'>measured</th><th class='t'>what to do</th></tr>"
    table = f"<div class='scroll'><table>{head}{rows}</table></div>" if rows else ""
    return f"<h3>Signal check before the test</h3><p>{escape(summary)}</p>{table}{_NOTE}"
