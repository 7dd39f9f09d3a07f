"""Colour-blind-safe colour ramps for choropleth maps.

Ramps are interpolated in the OKLab colour space between anchor colours taken
from ColorBrewer's colour-blind-safe schemes (YlOrRd, Blues, Greens, Purples;
RdBu and PuOr for diverging maps), so any number of classes from 3 to 9 gets
evenly spaced, monotonic lightness.
"""

from __future__ import annotations

import numpy as np

SEQUENTIAL = {
    "rot": ("#ffffcc", "#fd8d3c", "#800026"),
    "blau": ("#f7fbff", "#6baed6", "#08306b"),
    "gruen": ("#f7fcf5", "#74c476", "#00441b"),
    "violett": ("#fcfbfd", "#9e9ac8", "#3f007d"),
}
DIVERGING = {
    "rot_blau": ("#2166ac", "#f7f7f7", "#b2182b"),  # low blue, high red
    "violett_orange": ("#542788", "#f7f7f7", "#b35806"),
}
MISSING_COLOUR = "#cfcfcf"
SUPPRESSED_COLOUR = "#969696"


def _srgb_to_linear(c):
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(c):
    c = np.clip(c, 0, 1)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


_M1 = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ]
)
_M2 = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ]
)


def _to_oklab(hex_colour: str) -> np.ndarray:
    rgb = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    lms = _M1 @ _srgb_to_linear(rgb)
    return _M2 @ np.cbrt(lms)


def _from_oklab(lab: np.ndarray) -> str:
    lms = np.linalg.solve(_M2, lab) ** 3
    rgb = _linear_to_srgb(np.linalg.solve(_M1, lms))
    return "#" + "".join(f"{round(float(v) * 255):02x}" for v in rgb)


def ramp(anchors: tuple[str, ...], n: int) -> list[str]:
    """``n`` colours evenly spaced along the anchors (first anchor = lightest/lowest)."""
    if n <= 0:
        return []
    if n == 1:
        return [anchors[len(anchors) // 2]]
    labs = [_to_oklab(a) for a in anchors]
    out = []
    for t in np.linspace(0, 1, n):
        pos = t * (len(labs) - 1)
        i = min(int(pos), len(labs) - 2)
        f = pos - i
        out.append(_from_oklab(labs[i] * (1 - f) + labs[i + 1] * f))
    return out


def sequential(n: int, polarity: str, name: str | None = None) -> list[str]:
    """Colours for ``n`` ascending classes; the "worse" end gets the strongest colour.

    Higher-is-worse indicators darken upwards in red, higher-is-better ones are
    reversed (low values strongest); neutral indicators use blue.
    """
    if name is None:
        name = "blau" if polarity == "neutral" else "rot"
    colours = ramp(SEQUENTIAL[name], n)
    return colours[::-1] if polarity == "better" else colours


def diverging(below: int, above: int, polarity: str, name: str | None = None) -> list[str]:
    """Colours for ``below`` classes under zero and ``above`` classes over zero.

    Intensity grows with the distance from zero. For higher-is-worse
    indicators an increase is red; for higher-is-better ones it is blue.
    """
    name = name or ("violett_orange" if polarity == "neutral" else "rot_blau")
    low, mid, high = DIVERGING[name]
    if polarity == "better":
        low, high = high, low
    side = max(below, above)
    cold = ramp((mid, low), side + 1)[1:]  # light → strong, away from zero
    warm = ramp((mid, high), side + 1)[1:]
    return cold[:below][::-1] + warm[:above]


def _luminance(hex_colour: str) -> float:
    rgb = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return float(_srgb_to_linear(rgb) @ np.array([0.2126, 0.7152, 0.0722]))


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (for labelled colour cells)."""
    black, white = "#000000", "#ffffff"
    on_black, on_white = contrast_ratio(background, black), contrast_ratio(background, white)
    return black if on_black >= on_white else white
