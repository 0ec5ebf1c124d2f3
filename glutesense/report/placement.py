"""Where the electrodes and the IMU go: the placement guide as data, and a figure as SVG.

Electrode sites follow SENIAM (Hermens et al. 2000; seniam.org).  ``docs/placement.md``
is the long form of the same guide and ``docs/placement.svg`` is :data:`PLACEMENT_SVG`
written out (a test keeps them equal).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Site:
    """Where one sensor goes.

    Attributes
    ----------
    what : str
        Muscle or sensor.
    roles : str
        The channel roles it feeds.
    location, orientation, posture : str
    checked : bool
        True if the location was checked against the SENIAM page text.
    """

    what: str
    roles: str
    location: str
    orientation: str
    posture: str
    checked: bool


SITES: tuple[Site, ...] = (
    Site(
        "Gluteus maximus",
        "glute_max_l, glute_max_r",
        "50 % on the line between the sacral vertebrae and the greater trochanter: the greatest "
        "prominence of the middle of the buttock, well above the visible bulge of the trochanter",
        "along the line from the posterior superior iliac spine to the middle of the back of the thigh",
        "lying prone",
        False,
    ),
    Site(
        "Gluteus medius",
        "glute_med_l, glute_med_r",
        "50 % on the line from the iliac crest to the greater trochanter",
        "along the line from the iliac crest to the trochanter",
        "lying on the side",
        False,
    ),
    Site(
        "Hamstrings, medial (semitendinosus)",
        "hamstring_l, hamstring_r",
        "50 % on the line between the ischial tuberosity and the medial epicondyle of the tibia",
        "along that line",
        "lying prone, knee flexed less than 90 degrees",
        True,
    ),
    Site(
        "Hamstrings, lateral (biceps femoris)",
        "hamstring_l, hamstring_r (say which in the session notes)",
        "50 % on the line between the ischial tuberosity and the lateral epicondyle of the tibia",
        "along that line",
        "lying prone, knee slightly flexed",
        False,
    ),
    Site(
        "Erector spinae (longissimus)",
        "erector_l, erector_r",
        "two finger widths lateral to the spinous process of L1",
        "vertical",
        "lying prone or standing",
        False,
    ),
    Site(
        "Reference electrode",
        "(all EMG)",
        "on or around the ankle, or over the spinous process of C7",
        "-",
        "-",
        True,
    ),
    Site(
        "IMU, glute bridge",
        "acc_x/y/z, gyr_x/y/z",
        "lateral thigh, half-way between the greater trochanter and the knee, strapped firmly "
        "(glutesense's choice, not a SENIAM site)",
        "long axis along the femur",
        "-",
        False,
    ),
    Site(
        "IMU, single-leg stand",
        "acc_x/y/z, gyr_x/y/z",
        "over the sacrum between the posterior superior iliac spines, on a belt "
        "(glutesense's choice, not a SENIAM site)",
        "long axis vertical",
        "-",
        False,
    ),
)

GENERAL = (
    "Electrodes at most 10 mm in the fibre direction, 20 mm centre to centre, in the direction of the "
    "muscle fibres (SENIAM).",
    "Shave the site, clean it with alcohol and let it dry (SENIAM).",
    "Fix cables with tape or an elastic band so they cannot pull on the electrodes (SENIAM).",
    "Place the hamstring pair on the same head on both legs and write down which one: medial and "
    "lateral hamstrings switch on at different times (Lewis & Sahrmann 2009).",
)

_E = "#D55E00"  # glute max (vermillion)
_M = "#009E73"  # glute med (green)
_H = "#0072B2"  # hamstrings (blue)
_S = "#CC79A7"  # erector spinae (purple)
_I = "#E69F00"  # IMU (orange)


def _pair(x: float, y: float, color: str, dx: float = 0.0, dy: float = 9.0) -> str:
    return (
        f'<circle cx="{x - dx:.0f}" cy="{y - dy:.0f}" r="5" fill="{color}"/>'
        f'<circle cx="{x + dx:.0f}" cy="{y + dy:.0f}" r="5" fill="{color}"/>'
    )


PLACEMENT_SVG = (
    '<svg viewBox="0 0 420 470" width="420" height="470" '
    'role="img" aria-label="Electrode and IMU placement, seen from behind">'
    '<rect width="420" height="470" fill="#ffffff"/>'
    '<text x="10" y="20" font-family="sans-serif" font-size="14" fill="#000">'
    "Seen from behind (left side of the body on the left)</text>"
    # trunk, pelvis, legs
    '<path d="M120 40 L220 40 L230 190 L110 190 Z" fill="#f2e6dc" stroke="#555"/>'
    '<path d="M105 185 Q170 170 235 185 L245 265 Q170 290 95 265 Z" fill="#f2e6dc" stroke="#555"/>'
    '<path d="M97 262 L165 280 L160 450 L110 450 Z" fill="#f2e6dc" stroke="#555"/>'
    '<path d="M243 262 L175 280 L180 450 L230 450 Z" fill="#f2e6dc" stroke="#555"/>'
    # spine and landmarks
    '<line x1="170" y1="40" x2="170" y2="230" stroke="#999" stroke-dasharray="4 3"/>'
    '<text x="174" y="104" font-family="sans-serif" font-size="9" fill="#555">L1</text>'
    '<text x="174" y="222" font-family="sans-serif" font-size="9" fill="#555">sacrum</text>'
    # erector spinae (2 finger widths lateral of L1)
    + _pair(150, 104, _S)
    + _pair(190, 104, _S)
    # glute med (upper outer), glute max (middle of buttock)
    + _pair(112, 205, _M, dx=3)
    + _pair(228, 205, _M, dx=-3)
    + _pair(138, 238, _E, dx=5)
    + _pair(202, 238, _E, dx=-5)
    # hamstrings: medial (semitendinosus) and lateral (biceps femoris) at mid-thigh
    + _pair(150, 350, _H)
    + _pair(190, 350, _H)
    + '<circle cx="122" cy="350" r="5" fill="none" stroke="#0072B2" stroke-width="2"/>'
    '<circle cx="122" cy="368" r="5" fill="none" stroke="#0072B2" stroke-width="2"/>'
    # IMUs: sacrum (single-leg stand) and lateral thigh (bridge)
    '<rect x="160" y="196" width="20" height="12" fill="#E69F00" stroke="#000"/>'
    '<rect x="232" y="330" width="12" height="24" fill="#E69F00" stroke="#000"/>'
    # legend
    '<g font-family="sans-serif" font-size="12">'
    f'<circle cx="275" cy="70" r="5" fill="{_S}"/><text x="286" y="74">erector spinae</text>'
    f'<circle cx="275" cy="95" r="5" fill="{_M}"/><text x="286" y="99">gluteus medius</text>'
    f'<circle cx="275" cy="120" r="5" fill="{_E}"/><text x="286" y="124">gluteus maximus</text>'
    f'<circle cx="275" cy="145" r="5" fill="{_H}"/><text x="286" y="149">semitendinosus</text>'
    f'<circle cx="275" cy="170" r="5" fill="none" stroke="{_H}" stroke-width="2"/>'
    '<text x="286" y="174">or biceps femoris</text>'
    f'<rect x="269" y="188" width="12" height="10" fill="{_I}" stroke="#000"/>'
    '<text x="286" y="197">IMU: sacrum (stand)</text>'
    '<text x="286" y="213">or lateral thigh (bridge)</text>'
    '<text x="275" y="245" font-size="10" fill="#555">pairs 20 mm apart,</text>'
    '<text x="275" y="259" font-size="10" fill="#555">along the fibres (SENIAM)</text>'
    "</g></svg>"
)
"""The placement figure as inline SVG for HTML (no namespace URL, no external references)."""


def svg_document() -> str:
    """:data:`PLACEMENT_SVG` as a standalone ``.svg`` file (with its XML namespace)."""
    body = PLACEMENT_SVG.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
