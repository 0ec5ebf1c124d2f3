"""What every exporter returns and raises."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


class ExportError(ValueError):
    """A recording that cannot be written in the asked format; the message says why."""


@dataclass(frozen=True)
class ExportResult:
    """Files an export wrote and what it had to change on the way.

    Attributes
    ----------
    paths : tuple of Path
        Every file written, the main file first (sidecars such as ``NAME_events.tsv`` after it).
    notes : tuple of str
        One line each: resampling, padding, gaps written as 0, ... (empty when the
        data went out unchanged up to the format's quantization).
    """

    paths: tuple[Path, ...]
    notes: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[Path]:
        """Iterating gives the files written, main file first."""
        return iter(self.paths)
