"""The symbols of categories: simple SVG paths in a 24 × 24 box, told apart by shape (not
only by colour) and always shown with their text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Symbol:
    """A symbol's name (for staff), its path and its colour (4.5:1 against white)."""

    name: str
    path: str
    colour: str


SYMBOLS = {
    "herz": Symbol(
        "Herz",
        "M12 21 L3.5 12.5 A5 5 0 0 1 12 5.5 A5 5 0 0 1 20.5 12.5 Z",
        "#b3124a",
    ),
    "warnung": Symbol(
        "Warndreieck", "M12 2 L23 21 H1 Z M11 9 H13 V15 H11 Z M11 17 H13 V19 H11 Z", "#8a4b00"
    ),
    "plus": Symbol("Plus", "M9 2 H15 V9 H22 V15 H15 V22 H9 V15 H2 V9 H9 Z", "#1f5fa8"),
    "stern": Symbol(
        "Stern", "M12 1 L15 9 H23 L16.5 14 L19 22 L12 17 L5 22 L7.5 14 L1 9 H9 Z", "#5b3d99"
    ),
    "kreis": Symbol("Kreis", "M12 2 A10 10 0 1 1 11.99 2 Z", "#2e6b30"),
}

# What a new procedure starts with, by target group: plain-language labels.
DEFAULT_CATEGORIES = [
    ("gern", "Hier bin ich gern", "herz"),
    ("unsicher", "Hier fühle ich mich unsicher", "warnung"),
    ("fehlt", "Hier fehlt etwas", "plus"),
]
