"""What the per-protocol measurement steps read and return (:mod:`glutesense.analysis.steps`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from glutesense.analysis.metrics import MetricSettings, RepResult
from glutesense.detect.base import Burst, DetectionInput
from glutesense.model.roles import Role, Side
from glutesense.protocols.base import RepWindow


@dataclass(frozen=True)
class MeasureInput:
    """What a protocol step reads.

    Attributes
    ----------
    windows : tuple of RepWindow
    signals : mapping Role -> DetectionInput
        Conditioned EMG of every channel, with its resting window.
    bursts : mapping Role -> tuple of Burst
        Bursts of the detector's passes (empty when the protocol skips the first pass).
    settings : MetricSettings
    """

    windows: tuple[RepWindow, ...]
    signals: Mapping[Role, DetectionInput]
    bursts: Mapping[Role, tuple[Burst, ...]]
    settings: MetricSettings


@dataclass(frozen=True)
class RepPatch:
    """Fields a step sets on the pipeline's row of one rep; ``note`` is appended to its ``reason``."""

    false_starts: int
    false_starts_s: tuple[float, ...]
    firm_up_ms: float | None
    tries_separable: bool
    note: str = ""


@dataclass(frozen=True)
class Measured:
    """What a step found.

    Attributes
    ----------
    bursts : mapping Role -> tuple of Burst
        Channels whose bursts the step replaces (the rest keep theirs).
    reps : tuple of RepResult or None
        The rows, when the step makes them (walk); None: the pipeline's rows, patched.
    patches : mapping (Side, rep) -> RepPatch
    notes : tuple of str
    """

    bursts: Mapping[Role, tuple[Burst, ...]] = field(default_factory=dict)
    reps: tuple[RepResult, ...] | None = None
    patches: Mapping[tuple[Side, int], RepPatch] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def apply(self, reps: tuple[RepResult, ...]) -> tuple[RepResult, ...]:
        """The final rows: the step's own, or the pipeline's with the patches applied."""
        if self.reps is not None:
            return self.reps
        out = []
        for r in reps:
            p = self.patches.get((r.side, r.rep))
            if p is None:
                out.append(r)
                continue
            reason = "; ".join(x for x in (r.reason, p.note) if x)
            out.append(
                replace(
                    r,
                    false_starts=p.false_starts,
                    false_starts_s=p.false_starts_s,
                    firm_up_ms=p.firm_up_ms,
                    tries_separable=p.tries_separable,
                    reason=reason,
                )
            )
        return tuple(out)


@dataclass(frozen=True)
class ProtocolStep:
    """A protocol's step: whether the detector runs on whole channels first, and the measurement."""

    first_pass: bool
    second_pass: bool
    measure: Callable[[MeasureInput], Measured]
