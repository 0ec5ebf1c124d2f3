"""Plain-words sentences for verdicts: the firing order, and a number against a healthy range.

Every range sentence names the range's numbers, the population and its source
(:mod:`glutesense.clinical.norms`), so a reader gets the number, the range and the reason at once.
"""

from __future__ import annotations

from glutesense.analysis.metrics import Order
from glutesense.clinical import norms


def order_words(
    order: str,
    n: int,
    of: int,
    noun: str,
    lag_ms: float,
    spread_ms: float | None,
    ci95_ms: tuple[float, float] | None = None,
) -> str:
    bits = [] if ci95_ms is None else [f"95 % CI {signed_ms(ci95_ms[0])[:-3]} to {signed_ms(ci95_ms[1])}"]
    if spread_ms is not None:
        bits.append(f"±{spread_ms:.0f} ms rep to rep")
    unc = f" ({'; '.join(bits)})" if bits else ""
    if order == Order.HAMSTRING_FIRST.value:
        return (
            f"glute fires after the hamstring in {n} of {of} {noun}, median {abs(lag_ms):.0f} ms later{unc}."
        )
    if order == Order.GLUTE_FIRST.value:
        return (
            f"glute fires before the hamstring in {n} of {of} {noun}, "
            f"median {abs(lag_ms):.0f} ms earlier{unc}."
        )
    return (
        f"glute and hamstring switch on together in {n} of {of} {noun}, median lag {signed_ms(lag_ms)}{unc}."
    )


def compare(value_ms: float, rng: norms.NormalRange, t: norms.Thresholds, what: str) -> tuple[int, str]:
    """Level (0 typical/earlier, 1 later than typical, 2 later than the healthy range) and a sentence."""
    z = rng.z(value_ms)
    lo, hi = rng.band_ms(t.typical_sd)
    if z > t.delayed_sd:
        level, words = 2, f"later than the healthy range (beyond +{rng.band_ms(t.delayed_sd)[1]:.0f} ms)"
    elif z > t.typical_sd:
        level, words = (
            1,
            f"later than typical but within the healthy range ({lo:+.0f} to {hi:+.0f} ms typical)",
        )
    elif z < -t.typical_sd:
        level, words = 0, f"earlier than typical ({lo:+.0f} to {hi:+.0f} ms typical)"
    else:
        level, words = 0, f"within the typical range ({lo:+.0f} to {hi:+.0f} ms)"
    return level, (
        f"{what}: median {value_ms:+.0f} ms, {words}; healthy people {rng.mean_ms:+.0f} ± {rng.sd_ms:.0f} ms "
        f"({rng.test}, {rng.source.key})."
    )


def range_sentence(
    level: int, what: str, value_ms: float, rng: norms.NormalRange, t: norms.Thresholds
) -> str:
    """One sentence: the number against the healthy range, the range's numbers and its source."""
    lo, hi = rng.band_ms(t.typical_sd)
    top = rng.band_ms(t.delayed_sd)[1]
    typical = f"{signed_ms(lo)[:-3]} to {signed_ms(hi)}"
    mean = signed_ms(rng.mean_ms)[:-3]
    who = f"{rng.population} {mean} ± {rng.sd_ms:.0f} ms in {rng.test}, {rng.source.key}"
    v = signed_ms(value_ms)
    if level == 2:
        return (
            f"At {v}, {what} is later than the range seen in healthy people (beyond {signed_ms(top)}; "
            f"typical {typical}; {who}): the glute is slow to join in."
        )
    if level == 1:
        return (
            f"At {v}, {what} is later than typical ({typical}) but within the range seen in healthy people "
            f"(up to {signed_ms(top)}; {who})."
        )
    if value_ms < lo:
        return (
            f"At {v}, {what} is earlier than typical ({typical}; {who}): an early glute is not a sign of a "
            "problem."
        )
    return f"At {v}, {what} is within the range seen in healthy people (typical {typical}; {who})."


def signed_ms(value_ms: float) -> str:
    """``+128 ms``, ``-6 ms``, ``0 ms``: rounded to 1 ms with a sign, never ``-0``."""
    v = round(value_ms)
    return "0 ms" if v == 0 else f"{v:+d} ms"
