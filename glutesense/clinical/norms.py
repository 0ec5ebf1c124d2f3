"""Normative ranges and verdict thresholds, as data, each with its source.

Every number a verdict rests on lives here, with the study it comes from or the
words ``judgement`` when no study fixes it.  The report prints these records
("how this was measured") so a reader can check each threshold.

What the literature says, in short:

* In healthy people the hamstrings usually fire *before* gluteus maximus in prone
  hip extension: medial hamstrings 195.5 ± 74.9 ms, lateral hamstrings 100.2 ± 70.3
  ms and gluteus maximus 11.5 ± 81.9 ms before the movement starts (Lewis & Sahrmann
  2009, 11 healthy women, no cue).  A cue to squeeze the glutes brings the three
  close together (131.3 ± 84.0, 38.8 ± 96.9, 45.1 ± 93.4 ms before movement).
* Sakamoto et al. 2009 (31 healthy adults) found the same order in four prone hip
  extension variants: semitendinosus, then erector spinae, then gluteus maximus.
* Suehiro et al. 2015 (21 healthy men) report gluteus maximus onset relative to the
  hamstrings directly: +108.4 ± 142.1 ms (neutral hip) in prone hip extension with
  the knee flexed; abducting the hip changes it to -32.4 ± 130.3 ms.

So "hamstring first" is the *usual* healthy order, and a verdict can only call a
glute "delayed" when it is later than the healthy range for the same test.  No
study we found gives onset norms for the supine glute bridge or the single-leg
stand; prone hip extension is the closest test with published onset norms, and
using them for the bridge is a judgement the report states.

All values are immutable module constants (frozen dataclasses, tuples).
"""

from __future__ import annotations

from dataclasses import dataclass

# The sources live in their own module; they are re-exported so that ``norms.JUDGEMENT`` and the
# like keep reading as "a norm and its source".
from glutesense.clinical.sources import (
    CAPPELLINI_2006,
    HODGES_BUI_1996,
    JUDGEMENT,
    LEWIS_SAHRMANN_2009,
    NOVACHECK_1998,
    PERRY_BURNFIELD_2010,
    ROBINSON_1987,
    SAKAMOTO_2009,
    SENIAM,
    SOURCES,
    SUEHIRO_2015,
    WEIR_2005,
    WINTER_2009,
    WINTER_YACK_1987,
    Source,
)

__all__ = [
    "CAPPELLINI_2006",
    "GAIT_NORMS",
    "GAIT_ORDER_NOTE",
    "GLUTE_FROM_MOVEMENT_GLUTE_CUE",
    "GLUTE_FROM_MOVEMENT_NO_CUE",
    "GLUTE_LAG_VS_HAMSTRING",
    "HODGES_BUI_1996",
    "JUDGEMENT",
    "LATERAL_HAMSTRING_FROM_MOVEMENT",
    "LEWIS_SAHRMANN_2009",
    "MEDIAL_HAMSTRING_FROM_MOVEMENT",
    "NORMAL_RANGES",
    "NOVACHECK_1998",
    "ORDER_NOTE",
    "PERRY_BURNFIELD_2010",
    "ROBINSON_1987",
    "RUN_CADENCE_SPM",
    "SAKAMOTO_2009",
    "SENIAM",
    "SOURCES",
    "SUEHIRO_2015",
    "TEST_TRANSFER_NOTE",
    "WEIR_2005",
    "WINTER_2009",
    "WINTER_YACK_1987",
    "GaitNorm",
    "NormalRange",
    "Source",
    "ThresholdDoc",
    "Thresholds",
    "gait_norm",
    "threshold_docs",
]

# ------------------------------------------------------------ normal ranges


@dataclass(frozen=True)
class NormalRange:
    """A healthy group's mean and SD of one timing, from one study.

    Attributes
    ----------
    name : str
        What is measured, in words.
    test : str
        The test the study used (``"prone hip extension, no cue"``).
    mean_ms, sd_ms : float
        Group mean and between-person SD, ms.  Sign convention as in glutesense:
        onsets relative to movement are negative *before* the movement; lags are
        glute minus hamstring (positive: the glute later).
    n_people : int
    population : str
    source : Source
    """

    name: str
    test: str
    mean_ms: float
    sd_ms: float
    n_people: int
    population: str
    source: Source

    def z(self, value_ms: float) -> float:
        """How many SDs ``value_ms`` lies from the mean (positive: later)."""
        return (value_ms - self.mean_ms) / self.sd_ms

    def band_ms(self, n_sd: float) -> tuple[float, float]:
        """``(mean - n_sd * sd, mean + n_sd * sd)``, ms."""
        return self.mean_ms - n_sd * self.sd_ms, self.mean_ms + n_sd * self.sd_ms

    def describe(self) -> str:
        """``"-11.5 ± 81.9 ms (prone hip extension, no cue; 11 healthy women; Lewis & Sahrmann 2009)"``."""
        return (
            f"{self.mean_ms:+.1f} ± {self.sd_ms:.1f} ms ({self.test}; {self.n_people} {self.population}; "
            f"{self.source.key})"
        )


GLUTE_FROM_MOVEMENT_NO_CUE = NormalRange(
    "gluteus maximus onset relative to movement onset",
    "prone hip extension, no cue",
    -11.5,
    81.9,
    11,
    "healthy women",
    LEWIS_SAHRMANN_2009,
)
GLUTE_FROM_MOVEMENT_GLUTE_CUE = NormalRange(
    "gluteus maximus onset relative to movement onset",
    "prone hip extension, cue to contract the glutes",
    -45.1,
    93.4,
    11,
    "healthy women",
    LEWIS_SAHRMANN_2009,
)
MEDIAL_HAMSTRING_FROM_MOVEMENT = NormalRange(
    "medial hamstrings onset relative to movement onset",
    "prone hip extension, no cue",
    -195.5,
    74.9,
    11,
    "healthy women",
    LEWIS_SAHRMANN_2009,
)
LATERAL_HAMSTRING_FROM_MOVEMENT = NormalRange(
    "lateral hamstrings onset relative to movement onset",
    "prone hip extension, no cue",
    -100.2,
    70.3,
    11,
    "healthy women",
    LEWIS_SAHRMANN_2009,
)
GLUTE_LAG_VS_HAMSTRING = NormalRange(
    "gluteus maximus onset minus hamstrings onset",
    "prone hip extension with knee flexion, hip neutral",
    108.4,
    142.1,
    21,
    "healthy men",
    SUEHIRO_2015,
)

NORMAL_RANGES: tuple[NormalRange, ...] = (
    GLUTE_FROM_MOVEMENT_NO_CUE,
    GLUTE_FROM_MOVEMENT_GLUTE_CUE,
    MEDIAL_HAMSTRING_FROM_MOVEMENT,
    LATERAL_HAMSTRING_FROM_MOVEMENT,
    GLUTE_LAG_VS_HAMSTRING,
)

ORDER_NOTE = (
    "In healthy people the hamstrings usually switch on before gluteus maximus in prone hip extension "
    "(Lewis & Sahrmann 2009; Sakamoto et al. 2009: semitendinosus, then erector spinae, then gluteus "
    "maximus), and a cue to squeeze the glutes changes the order; so 'hamstring first' on its own is "
    "not a sign of a problem."
)
TEST_TRANSFER_NOTE = (
    "No published onset norms were found for the supine glute bridge or the single-leg stand; the "
    "ranges come from prone hip extension, the closest test with published onset norms (judgement)."
)

# ------------------------------------------------------------ walking norms


@dataclass(frozen=True)
class GaitNorm:
    """When a muscle typically switches on in healthy gait, % of the cycle from initial contact.

    Attributes
    ----------
    muscle : str
        ``"glute_max"``, ``"glute_med"`` or ``"hamstring"``.
    gait : str
        ``"walk"`` or ``"run"``.
    onset_pct : (float, float)
        Typical onset, % of the gait cycle (0 = initial contact; negative: in the swing before it).
    phase : str
        The phase in words.
    sources : tuple of Source
    """

    muscle: str
    gait: str
    onset_pct: tuple[float, float]
    phase: str
    sources: tuple[Source, ...]

    def describe(self) -> str:
        lo, hi = self.onset_pct
        keys = "; ".join(s.key for s in self.sources)
        return f"{self.phase} ({lo:+.0f} to {hi:+.0f} % of the cycle; {keys})"


_WALK = (PERRY_BURNFIELD_2010, WINTER_2009)
_RUN = (NOVACHECK_1998, CAPPELLINI_2006)
GAIT_NORMS: tuple[GaitNorm, ...] = (
    GaitNorm("hamstring", "walk", (-25.0, -8.0), "in terminal swing, before touchdown", _WALK),
    GaitNorm("glute_max", "walk", (-12.0, 2.0), "just before touchdown, into the loading response", _WALK),
    GaitNorm("glute_med", "walk", (-12.0, 3.0), "at touchdown, through mid-stance", _WALK),
    GaitNorm("hamstring", "run", (-35.0, -12.0), "in the second half of swing", _RUN),
    GaitNorm("glute_max", "run", (-22.0, 0.0), "in late swing, before touchdown", _RUN),
    GaitNorm("glute_med", "run", (-18.0, 2.0), "in late swing, into stance", _RUN),
)
RUN_CADENCE_SPM = 75.0
"""Strides per minute above which a walk reads as running (walking 40-65, running 75-95; judgement)."""
GAIT_ORDER_NOTE = (
    "In healthy walking the hamstrings switch on first, in terminal swing, to slow the swinging leg, and "
    "gluteus maximus follows shortly before touchdown and carries the loading response (Perry & "
    "Burnfield 2010; Winter 2009): 'hamstrings first' is the usual order in gait, not a sign of a problem."
)


def gait_norm(muscle: str, gait: str) -> GaitNorm | None:
    """The typical onset of ``muscle`` in ``gait``, or None."""
    return next((n for n in GAIT_NORMS if n.muscle == muscle and n.gait == gait), None)


# --------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class Thresholds:
    """Thresholds of the verdicts and trend summaries.

    Attributes
    ----------
    typical_sd : float
        Within ``mean ± typical_sd * SD`` of a normal range: "typical".
    delayed_sd : float
        Later than ``mean + delayed_sd * SD``: "later than the healthy range" (about the latest
        2.5 % of healthy people if timings are normally distributed).  Judgement: the usual
        2-SD convention.
    min_reps : int
        Fewer reps with both onsets: "cannot tell" (judgement).
    min_consistency : float
        Share of reps that must agree on the firing order (excluding ``simultaneous``) for a
        verdict; fewer: "contradictory reps, cannot tell" (judgement: two thirds).
    max_lag_uncertainty_ms : float
        Half-width of the 95 % CI of the median lag, or the median per-rep lag uncertainty,
        above this: "cannot tell" (judgement: a third of the healthy between-person SD).
    min_snr_db : float
        Glute or hamstring channel SNR below this: "poor signal quality, cannot tell"
        (judgement; the default detector's confidence is 0.5 at 6 dB).
    max_gap_fraction : float
        More of a channel lost than this: "cannot tell" (judgement).
    asymmetry_pct : float
        ``|symmetry index|`` above this is called asymmetric (judgement; Robinson et al. 1987
        define the index, not a cut-off).
    erector_over_glute : float
        Erector spinae hold activation (normalised) above this multiple of the glute's: "the
        lower back may be doing the work" (judgement).
    mdc_z : float
        z of the minimal detectable change, ``MDC95 = 1.96 * sqrt(SEM1^2 + SEM2^2)`` (Weir 2005).
    min_strides : int
        Walk: fewer strides with a glute onset: "cannot tell" (judgement).
    max_stride_spread_pct : float
        Walk: a stride-to-stride spread (robust SD) of the glute onset above this share of the cycle:
        "inconsistent, cannot tell" (judgement: healthy walkers vary by a few %; Winter & Yack 1987).
    gait_late_pct : float
        Walk: a glute max onset this far (% of the cycle) past the typical range is "late" (judgement).
    bootstrap_n : int
        Bootstrap resamples for confidence intervals.
    """

    typical_sd: float = 1.0
    delayed_sd: float = 2.0
    min_reps: int = 3
    min_consistency: float = 2.0 / 3.0
    max_lag_uncertainty_ms: float = 50.0
    min_snr_db: float = 6.0
    max_gap_fraction: float = 0.2
    asymmetry_pct: float = 15.0
    erector_over_glute: float = 1.0
    mdc_z: float = 1.96
    bootstrap_n: int = 2000
    min_strides: int = 10
    max_stride_spread_pct: float = 8.0
    gait_late_pct: float = 10.0


@dataclass(frozen=True)
class ThresholdDoc:
    """One threshold as the report prints it."""

    name: str
    value: str
    source: Source
    rule: str


def threshold_docs(t: Thresholds) -> tuple[ThresholdDoc, ...]:
    """Every threshold with its source, for the report's method section."""
    g, lag = GLUTE_FROM_MOVEMENT_NO_CUE, GLUTE_LAG_VS_HAMSTRING
    return (
        ThresholdDoc(
            "glute onset relative to movement: typical",
            f"{g.band_ms(t.typical_sd)[0]:+.0f} to {g.band_ms(t.typical_sd)[1]:+.0f} ms",
            g.source,
            f"healthy mean ± {t.typical_sd:g} SD, {g.describe()}",
        ),
        ThresholdDoc(
            "glute onset relative to movement: later than the healthy range",
            f"> {g.band_ms(t.delayed_sd)[1]:+.0f} ms",
            g.source,
            f"healthy mean + {t.delayed_sd:g} SD (the {t.delayed_sd:g}-SD cut-off is a judgement)",
        ),
        ThresholdDoc(
            "glute minus hamstring lag: typical",
            f"{lag.band_ms(t.typical_sd)[0]:+.0f} to {lag.band_ms(t.typical_sd)[1]:+.0f} ms",
            lag.source,
            f"healthy mean ± {t.typical_sd:g} SD, {lag.describe()}",
        ),
        ThresholdDoc(
            "glute minus hamstring lag: later than the healthy range",
            f"> {lag.band_ms(t.delayed_sd)[1]:+.0f} ms",
            lag.source,
            f"healthy mean + {t.delayed_sd:g} SD (the {t.delayed_sd:g}-SD cut-off is a judgement)",
        ),
        ThresholdDoc("too few reps", f"< {t.min_reps} reps with both onsets", JUDGEMENT, "cannot tell"),
        ThresholdDoc(
            "contradictory reps",
            f"< {100 * t.min_consistency:.0f} % of reps agree on the order",
            JUDGEMENT,
            "cannot tell",
        ),
        ThresholdDoc(
            "lag uncertainty too large",
            f"> {t.max_lag_uncertainty_ms:g} ms",
            JUDGEMENT,
            "half-width of the 95 % bootstrap CI of the median lag, or median per-rep uncertainty",
        ),
        ThresholdDoc("poor signal quality", f"SNR < {t.min_snr_db:g} dB", JUDGEMENT, "cannot tell"),
        ThresholdDoc(
            "lost data", f"> {100 * t.max_gap_fraction:.0f} % of a channel", JUDGEMENT, "cannot tell"
        ),
        ThresholdDoc(
            "left/right asymmetry",
            f"|SI| > {t.asymmetry_pct:g} %",
            JUDGEMENT,
            "SI = 100 (L - R) / ((L + R) / 2), Robinson et al. 1987",
        ),
        ThresholdDoc(
            "lower back takes over",
            f"erector > {t.erector_over_glute:g} x glute (normalised hold)",
            JUDGEMENT,
            "no published cut-off found",
        ),
        ThresholdDoc(
            "change between sessions",
            "95 % bootstrap CI excludes 0 and |change| > MDC95",
            WEIR_2005,
            f"MDC95 = {t.mdc_z:g} x sqrt(SEM1^2 + SEM2^2), SEM of each session's median from its "
            "rep-to-rep SD",
        ),
    )
