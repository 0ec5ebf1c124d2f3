"""A rich live view of muscle activity (terminal only; silent otherwise).

See :mod:`glutesense.cli.display` for the plain view with the same calls.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from glutesense.acquire.live import LiveEnvelopes
from glutesense.acquire.status import RecorderStatus
from glutesense.cli.terminal import markup, safe

_BARS = " ▁▂▃▄▅▆▇█"


def sparkline(values: tuple[float, ...], top: float) -> str:
    if not values or top <= 0:
        return ""
    return "".join(_BARS[min(len(_BARS) - 1, int(v / top * (len(_BARS) - 1)))] for v in values)


class LiveView:
    """Context manager showing envelopes and a status line with ``rich.live``."""

    def __init__(self, *, enabled: bool, title: str):
        self.enabled = enabled
        self.title = title
        self.status = ""
        self._live: Any = None

    def __enter__(self) -> LiveView:
        if self.enabled:
            from rich.live import Live

            self._live = Live(refresh_per_second=8, transient=True)
            self._live.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)

    def set_status(self, text: str) -> None:
        self.status = text

    def on_status(self, s: RecorderStatus, live: LiveEnvelopes | None) -> None:
        from glutesense.cli.statusline import counters_text, status_text

        self.set_status(f"{status_text(s)}\n{counters_text(s, live)}")
        if live is not None:
            self.update(s.t_s, live)

    def line(self, t_s: float, text: str) -> None:
        """A message that stays above the live table (a gate check, a rep's verdict)."""
        if self._live is not None:
            self._live.console.print(safe(f"[{t_s:7.1f} s] {text}"), markup=False, highlight=False)

    def update(self, t_s: float, live: LiveEnvelopes) -> None:
        if self._live is None:
            return
        from rich.table import Table

        levels = live.levels()
        top = max([max(live.history(r), default=0.0) for r in levels] + [1.0])
        table = Table(
            title=markup(f"{self.title}  t = {t_s:6.1f} s"), caption=markup(self.status) or None, expand=False
        )
        table.add_column("muscle")
        table.add_column("µV", justify="right")
        table.add_column("last 5 s")
        for role in sorted(levels, key=lambda r: r.value):
            table.add_row(markup(role.value), f"{levels[role]:7.1f}", sparkline(live.history(role), top))
        self._live.update(table)
