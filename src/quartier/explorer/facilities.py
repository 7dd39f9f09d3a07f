"""Map symbols of the facility layers: each layer its own shape and colour."""

from __future__ import annotations

# Shapes differ, so layers stay apart without colour vision; the colours are the
# Okabe–Ito palette (colour-blind safe), dark enough for a white outline on any map.
SHAPES = ("circle", "square", "triangle", "diamond", "pentagon", "star")
COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#8a6d00", "#56308c")


def facility_symbols(layers) -> list[dict]:
    """``layers`` (dicts with key and name, in display order) with a distinct ``shape``
    and ``colour`` each; after six layers the shapes repeat in the next colour.
    """
    out = []
    for i, layer in enumerate(layers):
        shape = SHAPES[i % len(SHAPES)]
        colour = COLOURS[(i + i // len(SHAPES)) % len(COLOURS)]
        out.append({**layer, "shape": shape, "colour": colour})
    return out
