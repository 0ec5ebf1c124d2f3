"""The detector interface: what goes in, what comes out."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from glutesense.model.arrays import FloatArray

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


@dataclass(frozen=True)
class Burst:
    """One detected activation burst.

    Attributes
    ----------
    onset_s : float
        Where the activation leaves its resting level, seconds from the recording's start.
    offset_s : float
        Where it returns below the detection threshold, seconds.
    peak_s, peak_uv : float
        Time and value of the envelope maximum within the burst (µV RMS).
    confidence : float
        0..1, from the burst's signal-to-noise ratio (see each detector).
    detector : str
        Registry name of the detector that found it.
    alarm_s : float
        Where the detection threshold was first crossed (before any backtracking).
    onset_sd_ms : float
        Estimated standard deviation of ``onset_s``, ms (NaN when the detector does not estimate it).
    """

    onset_s: float
    offset_s: float
    peak_s: float
    peak_uv: float
    confidence: float
    detector: str
    alarm_s: float
    onset_sd_ms: float = float("nan")

    @property
    def duration_s(self) -> float:
        return self.offset_s - self.onset_s


@dataclass(frozen=True)
class DetectionInput:
    """A conditioned EMG channel ready for onset detection.

    Attributes
    ----------
    signal_uv : ndarray, shape (n_samples,)
        Conditioned (band-passed, notched) EMG, µV; NaN in gaps.
    fs_hz : float
    t0_s : float
        Time of ``signal_uv[0]``.
    rest_s : (float, float)
        Resting window ``[start_s, stop_s)`` the detector takes its baseline from.
    """

    signal_uv: FloatArray
    fs_hz: float
    t0_s: float
    rest_s: tuple[float, float]


class Detector(Protocol):
    """What every onset detector provides.

    ``name`` is its registry key; ``settings_dict`` what the report prints.
    """

    name: str

    def detect(self, data: DetectionInput) -> tuple[Burst, ...]:
        """All bursts in the channel, in time order.

        Raises
        ------
        ValueError
            If a setting cannot be honoured at ``data.fs_hz`` (message says which).
        """
        ...

    def settings_dict(self) -> dict[str, float | str]:
        """The detector's settings, physical units in the keys."""
        ...


S = TypeVar("S", bound="DataclassInstance")


class ConfiguredDetector(Generic[S]):
    """Plumbing every detector shares: a frozen settings dataclass (defaults when none is given) and
    its flat dict for the report.  A detector subclasses ``ConfiguredDetector[ItsSettings]``, sets
    ``name`` and ``settings_type``, and implements ``detect``."""

    name: str
    settings_type: ClassVar[type[Any]]

    def __init__(self, settings: S | None = None) -> None:
        self.settings: S = settings if settings is not None else self.settings_type()

    def settings_dict(self) -> dict[str, float | str]:
        """The settings, physical units in the keys, as floats."""
        return {k: float(v) for k, v in asdict(self.settings).items()}
