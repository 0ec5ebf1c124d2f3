"""Report sections of their own for the single-leg stand and the walk (escaped HTML strings).

Kept apart from the report's first screen: each is ``(title, html)``, placed after the key numbers.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from glutesense.clinical import SessionClinical, norms
from glutesense.clinical.gait import GAIT_MUSCLES
from glutesense.model.roles import Protocol
from glutesense.report.html import table_html

_NAMES = {"glute_max": "glute max", "glute_med": "glute med", "hamstring": "hamstrings"}


def stance_table(clin: SessionClinical) -> pd.DataFrame:
    """One row per squeeze: latency, tries, firm-up, stance and hanging glute, the rise at lift."""
    by_rep = {(r.side, r.rep): r.result for r in clin.reps}
    rows = []
    for s in clin.stance:
        for x in s.reps:
            r = by_rep[(x.side, x.rep)]
            cue = r.cue_s
            tries = ", ".join(f"{t - cue:.2f}" for t in r.false_starts_s) if cue is not None else ""
            rows.append(
                {
                    "stance": x.side.value,
                    "squeeze": x.rep,
                    "latency (ms)": r.squeeze_latency_ms,
                    "false starts": r.false_starts,
                    "tries at (s after cue)": tries,
                    "firm up (ms)": r.firm_up_ms,
                    "stance glute (% ref)": x.stance_hold_pct,
                    "hanging glute (% ref)": x.hanging_hold_pct,
                    "before lift (% ref)": x.before_lift_pct,
                    "after lift (% ref)": x.after_lift_pct,
                    "lift from": x.lift_source,
                }
            )
    return pd.DataFrame(rows)


def _stance_section(clin: SessionClinical) -> str:
    words = "".join(f"<p>{escape(line)}</p>" for s in clin.stance for line in s.sentences)
    table = table_html(stance_table(clin), text_cols=("stance", "tries at (s after cue)", "lift from"))
    return (
        words
        + table
        + "<p class='small'>The stance glute should firm up when you squeeze while the glute of the leg "
        "that hangs stays soft. Both are the mean envelope over the same seconds (the squeeze's hold), "
        f"each as % of its own reference ({escape(clin.reference_kind)}). A false start is a try that rose "
        "clearly above the level before the cue and died back before the squeeze that held; firm up is the "
        "time from the sustained onset to 90 % of the hold level.</p>"
    )


def gait_table(clin: SessionClinical) -> pd.DataFrame:
    """One row per side and muscle: median onset and its stride-to-stride spread, the typical range."""
    rows = []
    for g in clin.gait:
        for m in GAIT_MUSCLES:
            t = g.timing(m)
            if t is None or not t.n_found:
                continue
            rows.append(
                {
                    "side": g.side.value,
                    "muscle": _NAMES[m.value],
                    "strides with onset": f"{t.n_found} of {t.n_strides}",
                    "onset (% of cycle)": t.onset_pct_median,
                    "stride to stride (± %)": t.onset_pct_spread,
                    "onset (ms from touchdown)": t.onset_ms_median,
                    "stride to stride (± ms)": t.onset_ms_spread,
                    "typical (% of cycle)": ""
                    if t.norm is None
                    else f"{t.norm.onset_pct[0]:+.0f} to {t.norm.onset_pct[1]:+.0f}",
                }
            )
    return pd.DataFrame(rows)


def _gait_section(clin: SessionClinical) -> str:
    lines = []
    for g in clin.gait:
        cad = f"{g.cadence_spm:.0f} strides per minute" if g.cadence_spm else "cadence unknown"
        lines.append(f"{g.side.value.capitalize()}: {g.n_strides} strides, {cad}, read as {g.gait}ing.")
    text = "".join(f"<p>{escape(x)}</p>" for x in lines)
    table = table_html(
        gait_table(clin), text_cols=("side", "muscle", "strides with onset", "typical (% of cycle)")
    )
    return (
        text
        + table
        + f"<p class='small'>0 % is the foot's touchdown, negative values lie in the swing before it. "
        f"{escape(norms.GAIT_ORDER_NOTE)}</p>"
    )


def protocol_sections(protocol: Protocol, clin: SessionClinical) -> tuple[tuple[str, str], ...]:
    """``(title, html)`` of the protocol's own sections (none for the bridge)."""
    if protocol is Protocol.SINGLE_LEG_STAND and clin.stance:
        return (("Single-leg stand: stance side and hanging side", _stance_section(clin)),)
    if protocol is Protocol.WALK and clin.gait:
        return (("Walking: when each muscle switches on", _gait_section(clin)),)
    return ()
