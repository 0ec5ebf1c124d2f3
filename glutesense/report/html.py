"""The self-contained HTML report: figures embedded as base64 PNG, every string escaped, no requests."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from html import escape

import pandas as pd

_STYLE = """body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}
.verdict{font-size:1.1em;background:#f4f4f4;padding:.6em 1em}"""


def _table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for v in rec:
            missing = v is None or v is pd.NA or (isinstance(v, float) and v != v)
            text = "" if missing else (f"{v:.3f}" if isinstance(v, float) else str(v))
            cells.append(f"<td>{escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def render_html(
    *,
    title: str,
    verdict: Sequence[str],
    facts: Mapping[str, str],
    notes: Sequence[str],
    figures: Mapping[str, bytes],
    reps: pd.DataFrame,
) -> str:
    """The report page.  Every argument is treated as untrusted text and escaped."""
    fact_rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts.items())
    imgs = "".join(
        f'<figure><img alt="{escape(name)}" src="data:image/png;base64,'
        f'{base64.b64encode(png).decode("ascii")}"/></figure>'
        for name, png in figures.items()
    )
    note_items = "".join(f"<li>{escape(n)}</li>" for n in notes) or "<li>none</li>"
    verdict_html = "<br/>".join(escape(v) for v in verdict)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'/>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p class='verdict'>{verdict_html}</p>"
        f"<h2>Recording and method</h2><table>{fact_rows}</table>"
        f"<h2>Figures</h2>{imgs}<h2>Reps</h2>{_table(reps)}"
        f"<h2>Notes</h2><ul>{note_items}</ul>"
        "<p><small>Missing values are left empty, never guessed.</small></p></body></html>"
    )
