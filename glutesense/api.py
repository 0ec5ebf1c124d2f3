"""The public Python API: read a recording, analyze it, look at the tables, write the report.

In the style of MNE-Python and NeuroKit2: plain functions over files, DataFrames and arrays,
results as DataFrames.  Everything the command line does is one call here::

    import glutesense as gs
    rec = gs.read("bridge.csv")                       # or a DataFrame, an array, an EDF+ file, ...
    res = gs.analyze(rec, protocol="bridge")
    res.reps                                          # the reps.csv table
    res.report("report/")                             # reps.csv, onsets.csv, summary.json, report.html

Units: EMG in µV (or the unit the file or ``emg_unit`` says), acceleration in g, angular rate
in deg/s, times in seconds from the recording's start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from glutesense.io.common import InputError
from glutesense.io.frames import EventsLike, as_events, parse_roles, recording_from_frame
from glutesense.model.records import Recording
from glutesense.model.roles import Protocol, Role

if TYPE_CHECKING:
    import pandas as pd

    from glutesense.analysis.pipeline import AnalysisResult
    from glutesense.clinical.session import SessionClinical

Source = Recording | str | Path | Any
"""A :class:`Recording`, a path (session, EDF+/BDF+, BIDS ``_emg.edf``, XDF, CSV, vendor text),
a DataFrame (one row per sample), or an array of shape (n_channels, n_samples)."""


def read(
    source: Source,
    *,
    fs_hz: float | None = None,
    roles: Mapping[str | Role, str] | Sequence[str | Role] | None = None,
    events: EventsLike = None,
    emg_unit: str | None = None,
) -> Recording:
    """Read a recording from a file, a DataFrame or an array.

    Parameters
    ----------
    source : path, DataFrame, ndarray or Recording
        A file ``glutesense analyze`` reads; a DataFrame with a ``time_s`` column (or ``fs_hz``)
        and one column per channel; or an array of shape (n_channels, n_samples) with ``roles``
        naming its rows.
    fs_hz : float, optional
        Sample rate, when there is no time column (arrays always need it).
    roles : mapping role -> column, or a sequence of roles (arrays)
        Which column is which muscle (``{"glute_max_l": "EMG 1"}``); columns already named by
        role (``glute_max_l``, ``hamstring_r``, ``acc_x``) need no entry.
    events : path, DataFrame or sequence, optional
        Cues and phases (BIDS columns ``onset``, ``duration``, ``trial_type``); replace the
        file's own.  ``[(5.0, "cue"), ...]`` works too.
    emg_unit : {"uV", "mV", "V"}, optional
        Unit of the EMG columns when neither the file nor the column names say it.

    Returns
    -------
    Recording

    Raises
    ------
    InputError
        A file or table that cannot be read (the message names it and says why).

    Examples
    --------
    >>> import numpy as np, pandas as pd, glutesense as gs
    >>> t = np.arange(2000) / 1000.0
    >>> df = pd.DataFrame({"time_s": t, "glute_max_l": np.sin(t), "hamstring_l": np.cos(t)})
    >>> rec = gs.read(df, events=[(0.0, 1.0, "rest")])
    >>> [r.value for r in rec.roles], rec.streams[0].fs_hz, rec.events[0].trial_type
    (['glute_max_l', 'hamstring_l'], 1000.0, 'rest')
    >>> gs.read(np.zeros((2, 500)), fs_hz=500, roles=["glute_max_r", "hamstring_r"]).duration_s
    1.0
    """
    evs = as_events(events)
    if isinstance(source, Recording):
        return source if evs is None else replace(source, events=evs)
    if isinstance(source, str | Path):
        return _read_path(Path(source), fs_hz, roles, events, evs, emg_unit)
    if hasattr(source, "columns") and hasattr(source, "to_numpy"):
        mapping = parse_roles(_as_mapping(roles, "a DataFrame"))
        return recording_from_frame(source, fs_hz=fs_hz, mapping=mapping, emg_unit=emg_unit, events=evs)
    if isinstance(source, np.ndarray | list | tuple):
        return _read_array(np.asarray(source, dtype=float), fs_hz, roles, evs, emg_unit)
    raise TypeError(
        f"cannot read a {type(source).__name__}; give a path, a DataFrame, an array or a Recording"
    )


def _as_mapping(roles: Any, what: str) -> Mapping[str | Role, str] | None:
    if roles is None or isinstance(roles, Mapping):
        return roles
    raise TypeError(f"roles for {what} map role -> column, e.g. {{'glute_max_l': 'EMG 1'}}")


def _read_path(
    p: Path, fs_hz: float | None, roles: Any, events: EventsLike, evs: Any, emg_unit: str | None
) -> Recording:
    from glutesense.io import load_recording

    mapping = parse_roles(_as_mapping(roles, "a file"))
    events_path = events if isinstance(events, str | Path) else None
    rec = load_recording(p, fs_hz=fs_hz, mapping=mapping, emg_unit=emg_unit, events_path=events_path)
    return rec if evs is None or events_path is not None else replace(rec, events=evs)


def _read_array(x: Any, fs_hz: float | None, roles: Any, evs: Any, emg_unit: str | None) -> Recording:
    import pandas as pd

    if fs_hz is None:
        raise InputError("array: give its sample rate, fs_hz=...")
    if roles is None or isinstance(roles, Mapping | str):
        raise InputError(
            "array: give roles=[...], one role name per row (e.g. ['glute_max_l', 'hamstring_l'])"
        )
    names = [r.value if isinstance(r, Role) else Role.parse(r).value for r in roles]
    x = x.reshape(1, -1) if x.ndim == 1 else x
    if x.ndim != 2 or x.shape[0] != len(names):
        hint = " (transpose it: rows are channels)" if x.ndim == 2 and x.shape[1] == len(names) else ""
        raise InputError(f"array: shape {x.shape} does not match {len(names)} roles{hint}")
    df = pd.DataFrame({n: x[i] for i, n in enumerate(names)})
    return recording_from_frame(df, fs_hz=fs_hz, emg_unit=emg_unit, events=evs, source="array")


@dataclass(frozen=True)
class Result:
    """What :func:`analyze` found, with the tables the command line writes.

    Attributes
    ----------
    analysis : AnalysisResult
        The full result of :func:`glutesense.analysis.pipeline.analyze` (channels, bursts, notes).
    recording : Recording
        The recording analyzed.
    """

    analysis: AnalysisResult
    recording: Recording = field(repr=False)

    @cached_property
    def clinical(self) -> SessionClinical:
        """Clinical metrics and verdicts (:func:`glutesense.clinical.session.assess`)."""
        from glutesense.clinical.session import assess

        return assess(self.analysis, self.recording)

    @property
    def reps(self) -> pd.DataFrame:
        """One row per rep and side: the ``reps.csv`` table (contract columns, then clinical ones)."""
        from glutesense.report.tables import reps_table

        return reps_table(self.analysis, self.clinical)

    @property
    def onsets(self) -> pd.DataFrame:
        """One row per detected burst: the ``onsets.csv`` table."""
        from glutesense.report.tables import onsets_table

        return onsets_table(self.analysis)

    @property
    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` contents (per-side aggregates, verdicts, settings)."""
        from glutesense.report.summary import summary_dict
        from glutesense.report.verdict import verdict_lines

        out = summary_dict(self.analysis, self.recording, self.clinical)
        out["verdict"] = list(verdict_lines(self.analysis, self.clinical))
        return out

    @property
    def verdict(self) -> tuple[str, ...]:
        """The verdict in plain words, one line per side."""
        from glutesense.report.verdict import verdict_lines

        return verdict_lines(self.analysis, self.clinical)

    def report(self, out_dir: str | Path) -> Path:
        """Write ``reps.csv``, ``onsets.csv``, ``summary.json``, ``figures/`` and ``report.html``
        into ``out_dir`` (created if missing); returns the path of ``report.html``."""
        from glutesense.report import write_outputs

        return write_outputs(self.analysis, self.recording, out_dir)["report"]


def analyze(
    source: Source,
    protocol: Protocol | str = "bridge",
    *,
    fs_hz: float | None = None,
    roles: Mapping[str | Role, str] | Sequence[str | Role] | None = None,
    events: EventsLike = None,
    emg_unit: str | None = None,
    detector: str = "default",
) -> Result:
    """Activation timing of a recording for a protocol, as ``glutesense analyze`` computes it.

    Parameters
    ----------
    source : Recording, path, DataFrame or ndarray
        Anything :func:`read` takes (with the same ``fs_hz``, ``roles``, ``events``, ``emg_unit``).
    protocol : {"bridge", "single-leg-stand"}
    detector : str
        An onset detector from :data:`glutesense.detect.DETECTORS` (default ``"default"``).

    Returns
    -------
    Result
        ``.reps`` and ``.onsets`` (DataFrames), ``.summary``, ``.verdict``, ``.report(dir)``.

    Raises
    ------
    InputError
        Unreadable input.
    ValueError
        Unknown protocol or detector, or no side with both a glute and a hamstring channel.

    Examples
    --------
    >>> import glutesense as gs
    >>> rec = gs.simulate("bridge", n_reps=3, lag_ms=-60.0, seed=1)
    >>> res = gs.analyze(rec, protocol="bridge")
    >>> len(res.reps), sorted(set(res.reps["order"]))
    (6, ['glute_first'])
    >>> bool((res.reps["glute_lag_ms"] < 0).all())
    True
    """
    rec = read(source, fs_hz=fs_hz, roles=roles, events=events, emg_unit=emg_unit)
    from glutesense.analysis.pipeline import analyze as run

    return Result(run(rec, protocol, detector=detector), rec)


def simulate(
    protocol: Protocol | str = "bridge",
    *,
    n_reps: int = 4,
    lag_ms: float = 80.0,
    fs_hz: float = 1000.0,
    snr_db: float = 15.0,
    seed: int = 0,
) -> Recording:
    """A synthetic recording with known onsets (both sides, thigh accelerometer, cue events).

    ``lag_ms`` is the glute onset minus the hamstring onset (positive: the glute fires later).
    For trying the API without a sensor; the generator is :mod:`glutesense.virtual.synth`.

    >>> import glutesense as gs
    >>> [r.value for r in gs.simulate(n_reps=2).roles][:2]
    ['glute_max_l', 'hamstring_l']
    """
    from glutesense.virtual.synth import SynthSpec, make_recording

    spec = SynthSpec(
        protocol=Protocol(protocol), n_reps=n_reps, lag_ms=lag_ms, fs_hz=fs_hz, snr_db=snr_db, seed=seed
    )
    return make_recording(spec)[0]


def to_frame(recording: Recording) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The recording as ``(samples, events)`` DataFrames, the tables ``export --to csv`` writes.

    >>> import glutesense as gs
    >>> samples, events = gs.to_frame(gs.simulate(n_reps=1))
    >>> list(samples.columns)[:3], list(events.columns)[:3]
    (['time_s', 'glute_max_l', 'glute_max_r'], ['onset', 'duration', 'trial_type'])
    """
    import pandas as pd

    from glutesense.export.table import EVENT_COLUMNS, recording_table

    table, _ = recording_table(recording)
    events = pd.DataFrame([e.to_json() for e in recording.events], columns=list(EVENT_COLUMNS))
    return table, events


__all__ = ["Result", "analyze", "read", "simulate", "to_frame"]
