"""Report figures (matplotlib, Agg backend, no display needed): :func:`all_figures` in report order.

The figures themselves live in :mod:`~glutesense.report.figures_reps` (per rep),
:mod:`~glutesense.report.figures_sides` (lag and left/right) and
:mod:`~glutesense.report.figures_session` (whole session, squeezes); the palette and helpers in
:mod:`~glutesense.report.figure_base`.
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.figure import Figure

from glutesense.analysis.pipeline import AnalysisResult
from glutesense.clinical import SessionClinical
from glutesense.model.records import Recording
from glutesense.model.roles import Protocol
from glutesense.report.figure_base import (
    MAX_PANELS,
    MUSCLE_COLOR,
    OKABE_ITO,
    SIDE_COLOR,
    SIDE_MARKER,
    FigureOut,
    png_bytes,
)
from glutesense.report.figures_reps import overlay_figure, rep_panels_figure
from glutesense.report.figures_session import minmax_decimate, nan_spans, session_figure, squeeze_figure
from glutesense.report.figures_sides import lag_figure, left_right_figure

__all__ = [
    "MAX_PANELS",
    "MUSCLE_COLOR",
    "OKABE_ITO",
    "SIDE_COLOR",
    "SIDE_MARKER",
    "FigureOut",
    "all_figures",
    "lag_figure",
    "left_right_figure",
    "minmax_decimate",
    "nan_spans",
    "overlay_figure",
    "png_bytes",
    "rep_panels_figure",
    "session_figure",
    "squeeze_figure",
]


_Spec = tuple[str, str, Callable[[], Figure | None], Callable[[], Figure | None] | None]


def _rep_caption(clin: SessionClinical, side_value: str, n_reps: int) -> str:
    shown = (
        f"reps 1-{MAX_PANELS} of {n_reps} shown (every rep is in the rep table and reps.csv)"
        if n_reps > MAX_PANELS
        else f"all {n_reps} reps"
    )
    return (
        f"{side_value.capitalize()} side, rep by rep ({shown}): glute max (vermillion) and hamstring (blue) "
        "envelopes aligned on movement onset (or the cue), onsets dashed, the lag shaded yellow."
    )


def _side_specs(result: AnalysisResult, clin: SessionClinical) -> list[_Spec]:
    specs: list[_Spec] = []
    for s in clin.sides:
        side = s.side
        n = sum(1 for r in clin.reps if r.side is side)
        specs.append(
            (
                f"reps_{side.value}.png",
                _rep_caption(clin, side.value, n),
                lambda side=side: rep_panels_figure(result, clin, side),  # type: ignore[misc]
                lambda side=side: rep_panels_figure(result, clin, side, max_cols=2),  # type: ignore[misc]
            )
        )
        specs.append(
            (
                f"overlay_{side.value}.png",
                f"{side.value.capitalize()} side: every rep overlaid (glute max vermillion, hamstring blue), "
                f"normalised to the {clin.reference_kind}, with the median in black.",
                lambda side=side: overlay_figure(result, clin, side),  # type: ignore[misc]
                lambda side=side: overlay_figure(result, clin, side, stacked=True),  # type: ignore[misc]
            )
        )
    return specs


def all_figures(result: AnalysisResult, clin: SessionClinical, recording: Recording) -> tuple[FigureOut, ...]:
    """Every report figure, in report order (multi-panel ones with a phone-width copy)."""
    specs: list[_Spec] = []
    if result.protocol is Protocol.SINGLE_LEG_STAND:
        specs.append(
            (
                "squeeze.png",
                "Each squeeze: the glute envelope (vermillion) from the squeeze cue (dotted), the sustained "
                "onset (black dashed) and any false starts (orange).",
                lambda: squeeze_figure(result, clin),
                None,
            )
        )
    specs += _side_specs(result, clin)
    specs.append(
        (
            "lag_per_rep.png",
            "Glute lag per rep, left orange circles and right sky-blue squares, with its uncertainty (± 1 SD "
            "where the detector reports one); shaded: the typical healthy range (green) and 'later than "
            "healthy' (vermillion), bridge only (see the method section).",
            lambda: lag_figure(result, clin),
            None,
        )
    )
    specs.append(
        (
            "left_right.png",
            "Left (orange) versus right (sky blue): the lag per rep with the median as a black bar, and the "
            "glute hold activation (bars: median, black dots: reps).",
            lambda: left_right_figure(result, clin),
            None,
        )
    )
    specs.append(
        (
            "session.png",
            "The whole session: raw EMG per channel (glute max vermillion, hamstring blue, glute med green, "
            "erector purple) with cues (dotted), detected bursts (green bars) and lost data (grey).",
            lambda: session_figure(result, recording),
            None,
        )
    )
    out = []
    for name, caption, build, narrow in specs:
        fig = build()
        if fig is not None:
            small = narrow() if narrow is not None else None
            out.append(
                FigureOut(name, caption, png_bytes(fig), png_bytes(small) if small is not None else None)
            )
    return tuple(out)
