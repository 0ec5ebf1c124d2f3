"""The self-contained HTML report: inline CSS, figures as base64 PNG, inline SVG, no requests.

Every string that comes from outside glutesense (subject id, file names, notes,
event labels, settings) goes through :func:`html.escape`; the page loads nothing:
no scripts, no external style sheets, no fonts, no images by URL.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

import pandas as pd

from glutesense.clinical import SessionClinical, VerdictKind, norms
from glutesense.model.records import Recording
from glutesense.model.text import visible
from glutesense.report.gate import gate_html
from glutesense.report.placement import GENERAL, PLACEMENT_SVG, SITES

if TYPE_CHECKING:
    from glutesense.report.figures import FigureOut  # matplotlib: not for the tables alone

STYLE = """
:root{--fg:#1b1b1b;--muted:#5a5a5a;--line:#d0d0d0;--bg:#ffffff}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);
 background:var(--bg);margin:0 auto;max-width:1000px;padding:0 14px 40px;line-height:1.45;font-size:16px}
h1{font-size:1.55em;margin:.8em 0 .2em}
h2{font-size:1.2em;margin:1.6em 0 .5em;border-bottom:1px solid var(--line)}
.meta{color:var(--muted);margin:0 0 1em}
.v{border-left:6px solid #999;background:#f6f6f6;padding:.55em .9em;margin:.6em 0}
.v p{margin:.2em 0}.v ul{margin:.3em 0 .2em 1.1em;padding:0;color:var(--muted);font-size:.92em}
.v.within_normal{border-color:#009E73}.v.later_than_typical{border-color:#E69F00}
.v.delayed,.v.glute_absent{border-color:#D55E00}.v.cannot_tell{border-color:#7f7f7f}
.v.descriptive{border-color:#0072B2}
.headline{font-weight:600}
.damage{border-left:6px solid #D55E00;background:#fff4ec;padding:.55em .9em;margin:.6em 0}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid var(--line)}
figcaption{font-size:.9em;color:var(--muted)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.4em 0;max-width:100%}
table{border-collapse:collapse;font-size:12.5px;max-width:100%}
td,th{border:1px solid var(--line);padding:3px 6px;text-align:right;vertical-align:top;overflow-wrap:anywhere}
table.key td,table.key th{text-align:left;font-size:14px}table.key td:first-child{font-weight:600}
details{margin:.8em 0;border-top:1px solid var(--line)}summary{cursor:pointer;padding:.4em 0}
summary h2{display:inline;border:0;font-size:1.15em}
.meta,p,li,dd{overflow-wrap:anywhere}
th{background:#f0f0f0}td.t,th.t{text-align:left}
dl{margin:0}dt{font-weight:600;margin-top:.5em}dd{margin:0 0 0 1em}
svg{max-width:100%;height:auto}
small,.small{font-size:.85em;color:var(--muted)}
@media (max-width:600px){body{font-size:15px;padding:0 8px 30px}h1{font-size:1.3em}table{font-size:11px}}
"""


@dataclass(frozen=True)
class ReportText:
    """The strings of the report header and method section (all escaped on output).

    Attributes
    ----------
    title : str
    facts : mapping str -> str
        Header facts (subject, date, protocol, file, ...).
    method : mapping str -> str
        "How this was measured" entries.
    notes : sequence of str
        Analysis notes.
    """

    title: str
    facts: Mapping[str, str]
    method: Mapping[str, str]
    notes: Sequence[str]


def column_format(name: str, default: str = ".1f") -> str:
    """The precision a column's method has, from its unit: ms to 1 ms, s to 1 ms, Hz, µV and % to 0.1."""
    n = name.lower()
    if n.endswith(("_ms", "(ms)")):
        return ".0f"
    if n.endswith(("_s", "(s)")):
        return ".3f"
    if "ratio" in n or n.endswith(("_cv", "cv")) or "confidence" in n or "quality" in n:
        return ".2f"
    if n.endswith(("_hz", "_uv", "_pct", "%)", "_db")):
        return ".1f"
    return default


def _cell(v: object, float_fmt: str) -> str:
    missing = v is None or v is pd.NA or (isinstance(v, float) and v != v)
    if missing:
        return ""
    if isinstance(v, float):
        text = format(v, float_fmt)
        return text.lstrip("-") if text.lstrip("-+").strip("0.") == "" else text  # never "-0"
    return str(v)


def _head(name: str) -> str:
    """A column name that may wrap at its underscores (``glute_onset_s``) on a narrow screen."""
    return escape(name).replace("_", "_<wbr>")


def table_html(
    df: pd.DataFrame, *, float_fmt: str = "auto", text_cols: Sequence[str] = (), css_class: str = ""
) -> str:
    """A DataFrame as an escaped HTML table in a horizontally scrolling wrapper.

    ``float_fmt`` "auto" rounds each column to its unit's precision (:func:`column_format`).
    """
    texty = set(text_cols)

    def cls(c: object) -> str:
        return ' class="t"' if str(c) in texty else ""

    fmts = [column_format(str(c)) if float_fmt == "auto" else float_fmt for c in df.columns]
    head = "".join(f"<th{cls(c)}>{_head(str(c))}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = "".join(
            f"<td{cls(c)}>{escape(_cell(v, f))}</td>" for c, v, f in zip(df.columns, rec, fmts, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    table_cls = f' class="{escape(css_class)}"' if css_class else ""
    return f'<div class="scroll"><table{table_cls}><tr>{head}</tr>{"".join(rows)}</table></div>'


def _verdicts(clin: SessionClinical) -> str:
    parts = []
    for s in clin.sides:
        v = s.verdict
        items = "".join(f"<li>{escape(d)}</li>" for d in v.details)
        parts.append(
            f'<div class="v {escape(v.kind.value)}"><p class="headline">{escape(v.headline)}</p>'
            + (
                f"<details><summary>compared with healthy ranges</summary><ul>{items}</ul></details>"
                if items
                else ""
            )
            + "</div>"
        )
    if any(s.verdict.kind is VerdictKind.CANNOT_TELL for s in clin.sides):
        parts.append(
            "<p class='small'>'Cannot tell' means the recording does not carry a verdict; it says nothing "
            "about the glutes. Re-record with better electrode contact or more reps.</p>"
        )
    parts += [f"<p>{escape(line)}</p>" for line in clin.lines]
    return "".join(parts)


def _png(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def figures_html(figures: Sequence[FigureOut]) -> str:
    """Each figure with its caption; one with a phone-width copy (panels stacked) shows that on narrow
    screens (``<picture>``, both inline)."""
    out = []
    for f in figures:
        img = f'<img alt="{escape(f.caption)}" src="{_png(f.png)}"/>'
        if f.narrow_png is not None:
            img = f'<picture><source media="(max-width:600px)" srcset="{_png(f.narrow_png)}"/>{img}</picture>'
        out.append(f"<figure>{img}<figcaption>{escape(f.caption)}</figcaption></figure>")
    return "".join(out)


def _settings(settings: Mapping[str, object]) -> str:
    if not settings:
        return ""
    df = pd.DataFrame(
        [{"setting": k, "value": f"{v:g}" if isinstance(v, float) else str(v)} for k, v in settings.items()]
    )
    return "<h3>Onset detector settings</h3>" + table_html(df, text_cols=("setting", "value"))


def _fold(title: str, body: str, anchor: str = "") -> str:
    """A section for the expert, folded away under its title."""
    ident = f" id='{escape(anchor)}'" if anchor else ""
    return f"<details{ident}><summary><h2>{escape(title)}</h2></summary><section>{body}</section></details>"


def _thresholds(clin: SessionClinical) -> str:
    df = pd.DataFrame(
        [
            {"threshold": d.name, "value": d.value, "source": d.source.key, "how": d.rule}
            for d in norms.threshold_docs(clin.thresholds)
        ]
    )
    return table_html(df, text_cols=("threshold", "value", "source", "how"))


def _placement() -> str:
    df = pd.DataFrame(
        [
            {
                "sensor": s.what,
                "roles": s.roles,
                "where": s.location,
                "orientation": s.orientation,
                "posture": s.posture,
            }
            for s in SITES
        ]
    )
    checked = sum(1 for s in SITES if s.checked)
    general = "".join(f"<li>{escape(g)}</li>" for g in GENERAL)
    general += f"<li>Sites follow SENIAM; {checked} of {len(SITES)} checked against seniam.org so far.</li>"
    return (
        f"<div>{PLACEMENT_SVG}</div>"
        + table_html(df, text_cols=tuple(df.columns))
        + f"<ul>{general}</ul>"
        + "<p class='small'>The long form is docs/placement.md in the glutesense source.</p>"
    )


def _references() -> str:
    items = "".join(
        f"<li><b>{escape(s.key)}</b>: {escape(s.citation)}"
        + (f" <small>({escape(s.checked)})</small>" if s.checked else "")
        + "</li>"
        for s in norms.SOURCES
    )
    return f"<ol>{items}</ol><p class='small'>{escape(norms.JUDGEMENT.citation)}</p>"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def recording_notes(recording: Recording | None) -> str:
    """The recording's timing notes, setup warnings, packet and gap counts, as escaped HTML.

    From ``recording.timing_notes``, ``info.setup_warnings``, ``packets`` and
    ``clock.alignment``; empty when it has none of them (an imported EDF or CSV file).
    """
    if recording is None:
        return ""
    items: list[str] = []
    for note in recording.timing_notes:
        items.append(f"<li>Timing: {escape(note)}</li>")
    for warning in recording.info.setup_warnings:
        items.append(f"<li>Setup warning: {escape(warning)}</li>")
    for note in recording.info.import_notes:
        items.append(f"<li>Import: {escape(note)}</li>")
    pk = recording.packets
    if pk is not None:
        line = (
            f"Packets: {pk.received} received, {pk.dropped} lost in {_plural(pk.gaps, 'gap')}, "
            f"{pk.duplicates} duplicates ignored, {pk.malformed} malformed"
        )
        per = [
            f"{name}: {_plural(st.gaps, 'gap')}, {st.dropped} packets, {st.lost_s:.3f} s lost"
            for name, st in pk.by_stream.items()
            if st.gaps or st.dropped
        ]
        if per:
            line += f" ({'; '.join(per)})"
        items.append(f"<li>{escape(line)}</li>")
    link = link_line(recording)
    if link:
        items.append(f"<li>{escape(link)}</li>")
    alignment = None if recording.clock is None else recording.clock.alignment
    if alignment is not None:
        ref = alignment.reference_device
        for dev, ms in alignment.residual_ms.items():
            text = f"Alignment: device {dev} on the host clock with device {ref}, residual {ms:.2f} ms"
            items.append(f"<li>{escape(text)}</li>")
    if not items:
        return ""
    return f"<h3>Recording</h3><ul class='recording'>{''.join(items)}</ul>"


def link_line(recording: Recording) -> str:
    """The link's disconnects and reconnects (from the event log), or "" when it never dropped."""
    down = [e.onset_s for e in recording.events if e.trial_type == "disconnect"]
    if not down:
        return ""
    n_up = sum(e.trial_type == "reconnect" for e in recording.events)
    at = ", ".join(f"{t:.1f}" for t in down[:10]) + (", ..." if len(down) > 10 else "")
    return (
        f"Link: {_plural(len(down), 'disconnect')} (at {at} s), {_plural(n_up, 'reconnect')}; "
        "what did not arrive meanwhile is a gap above (marked lost in the signals)"
    )


_QUALITY_NOTE = (
    "<p class='small'>SNR: activation RMS over resting RMS in the EMG band, from the envelope; "
    "lost: samples missing (dropped packets); clipped: samples held at an ADC rail (2 or more in a "
    "row); flat: stretches of one exact value (at least 50 ms; electrode off, stuck ADC, padding); "
    "quality: 0-1, the share of usable samples times min(SNR / 12 dB, 1), which scales each "
    "burst's confidence in onsets.csv.</p>"
)


def damage_banner(recording: Recording | None) -> str:
    """A warning at the top of the page for every damaged span of the session file ('' if intact)."""
    if recording is None or not recording.info.file_damage:
        return ""
    items = "".join(f"<li>{escape(d.describe())}</li>" for d in recording.info.file_damage)
    return (
        "<div class='damage' role='alert'><p class='headline'>The session file is damaged: what follows "
        "is from the records that could be read; the spans below are missing (marked lost in the "
        f"signals).</p><ul>{items}</ul></div>"
    )


def render_html(
    *,
    text: ReportText,
    clinical: SessionClinical,
    figures: Sequence[FigureOut],
    sides: pd.DataFrame,
    reps: pd.DataFrame,
    quality: pd.DataFrame,
    recording: Recording | None = None,
    sections: Sequence[tuple[str, str]] = (),
    detector_settings: Mapping[str, object] | None = None,
) -> str:
    """The report page.  Every string argument is treated as untrusted and escaped.

    Escaped twice over: :func:`html.escape` for markup, and, on the finished page, every control,
    format or direction character (U+202E reverses the text after it, U+200B hides) written as its
    visible escape ``\\u202e`` (:func:`glutesense.model.text.visible`), so a subject id or an event
    label cannot reorder or hide the report's words.

    First screen: the verdict per side in one sentence (number, uncertainty, healthy range, source), then
    the key numbers and the figures; the details for the expert are folded away (``<details>``): rep by
    rep, signal quality, method (with the detector's settings as a table), placement, references.
    ``recording`` (the decoded recording) adds its timing notes, setup warnings and packet / gap counts to
    the signal-quality section.  ``sections`` are a protocol's own ``(title, html)`` sections
    (:mod:`glutesense.report.sections`; their HTML is built escaped), placed after the key numbers.
    """
    facts = " · ".join(f"{escape(k)}: {escape(v)}" for k, v in text.facts.items())
    method = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in text.method.items())
    notes = "".join(f"<li>{escape(n)}</li>" for n in text.notes) or "<li>none</li>"
    details = (
        _fold(
            "Rep by rep",
            table_html(reps, text_cols=("side", "order", "why")) + "<p class='small'>Times in seconds from "
            "the start of the recording; empty cells are missing values, never guesses. reps.csv has every "
            "column.</p>",
        )
        + _fold(
            "Signal quality",
            table_html(quality, text_cols=("channel", "notes"))
            + _QUALITY_NOTE
            + gate_html(recording)
            + recording_notes(recording),
        )
        + _fold(
            "How this was measured",
            f"<dl>{method}</dl>{_settings(detector_settings or {})}"
            f"<h3>Thresholds and where they come from</h3>{_thresholds(clinical)}"
            f"<p class='small'>{escape(norms.ORDER_NOTE)} {escape(norms.TEST_TRANSFER_NOTE)}</p>"
            f"<h3>Analysis notes</h3><ul>{notes}</ul>",
        )
        + _fold("Where the sensors go", _placement(), "placement")
        + _fold("References", _references())
    )
    return visible_page(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'/>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'/>"
        f"<title>{escape(text.title)}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>{escape(text.title)}</h1><p class='meta'>{facts}</p>{damage_banner(recording)}"
        f"<section><h2>What we found</h2>{_verdicts(clinical)}</section>"
        "<section><h2>Key numbers per side</h2>"
        f"{table_html(sides, text_cols=tuple(sides.columns), css_class='key')}"
        "<p class='small'>Lag = glute onset minus hamstring onset (+: the glute later). Ratios are "
        "hold activations; the µV ratio depends on electrode placement and skin, the normalised one on "
        "the reference. — marks a number that cannot be computed, with the reason.</p></section>"
        + "".join(f"<section><h2>{escape(title)}</h2>{body}</section>" for title, body in sections)
        + f"<section><h2>Figures</h2>{figures_html(figures)}</section>"
        + details
        + "<footer><p class='small'>Made by glutesense. Not a diagnosis: a measurement to discuss with "
        "your physiotherapist.</p></footer></main></body></html>"
    )


def visible_page(page: str) -> str:
    """A finished HTML page with its hidden characters made visible (line breaks and tabs kept)."""
    return visible(page, keep="\n\t\r")
