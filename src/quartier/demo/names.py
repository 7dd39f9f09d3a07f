"""German-sounding, fictitious place names for Musterstadt."""

from __future__ import annotations

import numpy as np

_FIRST = [
    "Linden",
    "Eichen",
    "Buchen",
    "Birken",
    "Erlen",
    "Weiden",
    "Rosen",
    "Heide",
    "Mühlen",
    "Brücken",
    "Stein",
    "Holz",
    "Wester",
    "Oster",
    "Kirch",
    "Berg",
    "Wald",
    "Sonnen",
    "Hasel",
    "Hohen",
    "Schön",
    "Kappel",
    "Hütten",
    "Zechen",
    "Feld",
    "Bruch",
    "Espel",
    "Kranich",
    "Falken",
    "Drosten",
    "Hellen",
    "Marken",
    "Lerchen",
    "Schwanen",
    "Ahorn",
    "Wiesen",
]
_SECOND = [
    "hausen",
    "dorf",
    "heim",
    "feld",
    "rode",
    "beck",
    "hofen",
    "kamp",
    "horst",
    "bruch",
    "busch",
    "scheid",
    "hagen",
    "born",
    "winkel",
    "mark",
    "siepen",
    "bach",
    "au",
    "stedt",
]
_PREFIX = ["", "", "", "", "Alt-", "Neu-", "Ober", "Nieder", "Groß-", "Klein-"]
_DIRECTIONS = ["Ost", "Nordost", "Nord", "Nordwest", "West", "Südwest", "Süd", "Südost"]

FACILITY_THEMES = [
    "Regenbogen",
    "Sonnenschein",
    "Pusteblume",
    "Kleine Strolche",
    "Wirbelwind",
    "Arche",
    "Löwenzahn",
    "Sternschnuppe",
    "Spatzennest",
    "Schatzkiste",
    "Zauberwald",
    "Villa Kunterbunt",
    "Purzelbaum",
    "Abenteuerland",
    "Kinderland",
    "Lummerland",
    "Kunterbunt",
    "Glühwürmchen",
]
PERSONS = [
    "Astrid Lindgren",
    "Erich Kästner",
    "Anne Frank",
    "Geschwister Scholl",
    "Albert Schweitzer",
    "Marie Curie",
    "Otfried Preußler",
    "Janusz Korczak",
    "Hildegard von Bingen",
    "Alexander von Humboldt",
    "Maria Montessori",
    "Friedrich Fröbel",
    "Heinrich Heine",
    "Annette von Droste-Hülshoff",
    "Clara Schumann",
    "Wilhelm Busch",
    "Käthe Kollwitz",
    "Carl von Ossietzky",
    "Lise Meitner",
    "Bertha von Suttner",
    "Else Lasker-Schüler",
    "Paul Klee",
    "Johannes Rau",
    "Ricarda Huch",
]


def place_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct compound place names such as "Lindenhorst" or "Alt-Espelkamp"."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        first = _FIRST[rng.integers(len(_FIRST))]
        second = _SECOND[rng.integers(len(_SECOND))]
        prefix = _PREFIX[rng.integers(len(_PREFIX))]
        stem = first + second
        if stem in seen:
            continue
        seen.add(stem)
        if prefix and not prefix.endswith("-"):
            stem = stem[0].lower() + stem[1:]
        names.append(prefix + stem)
    return names


def direction_name(dx: float, dy: float, near: bool) -> str:
    """Compass word for an offset (dx east, dy north); "Mitte" if ``near``."""
    if near:
        return "Mitte"
    angle = (np.degrees(np.arctan2(dy, dx)) + 360 + 22.5) % 360
    return _DIRECTIONS[int(angle // 45)]
