"""Indicator catalogue and organisational units of Musterstadt."""

from __future__ import annotations

UNITS = [
    ("statistik", "Statistikstelle"),
    ("sozialamt", "Amt für Soziales und Wohnen"),
    ("jugendamt", "Jugendamt"),
    ("gesundheitsamt", "Gesundheitsamt"),
    ("schulamt", "Schulverwaltungsamt"),
]

_REGISTER = "Einwohnermelderegister Musterstadt (fiktive Demodaten)"
_BA = "Statistik der Bundesagentur für Arbeit (fiktive Demodaten)"
_ESU = "Gesundheitsamt, Schuleingangsuntersuchung (fiktive Demodaten)"
_SCHOOL = "Schulverwaltungsamt, Schulstatistik (fiktive Demodaten)"
_HZE = "Jugendamt, Fallstatistik Hilfen zur Erziehung (fiktive Demodaten)"
_HOUSING = "Wohnungsmarktbeobachtung (fiktive Demodaten)"
_DEC31 = "Stichtag 31.12."


def _count(
    key,
    name,
    topic,
    source,
    owner,
    *,
    unit="Personen",
    description="",
    visibility="public",
    polarity="neutral",
):
    return dict(
        key=key,
        name=name,
        topic=topic,
        kind="count",
        unit=unit,
        source=source,
        owner=owner,
        description=description,
        visibility=visibility,
        polarity=polarity,
        decimals=0,
        reference_note=_DEC31,
    )


def _rate(
    key,
    name,
    topic,
    numerator,
    denominator,
    *,
    factor=100.0,
    unit="%",
    decimals=1,
    polarity="worse",
    description="",
    visibility="public",
    source="",
    owner="statistik",
    min_denominator=10,
):
    return dict(
        key=key,
        name=name,
        topic=topic,
        kind="rate",
        unit=unit,
        numerator=numerator,
        denominator=denominator,
        factor=factor,
        decimals=decimals,
        polarity=polarity,
        description=description,
        visibility=visibility,
        source=source,
        owner=owner,
        reference_note=_DEC31,
        min_denominator=min_denominator,
    )


_AGES = [
    ("0_2", "0 bis unter 3 Jahre"),
    ("3_5", "3 bis unter 6 Jahre"),
    ("6_9", "6 bis unter 10 Jahre"),
    ("10_14", "10 bis unter 15 Jahre"),
    ("15_17", "15 bis unter 18 Jahre"),
    ("18_24", "18 bis unter 25 Jahre"),
    ("25_64", "25 bis unter 65 Jahre"),
    ("65plus", "65 Jahre und älter"),
]

# Counts that add up in every area. Disclosure control protects each family together,
# so that a hidden age group cannot be computed from a total and the other groups.
SUMS = {
    "ew_gesamt": [f"ew_{g}" for g, _label in _AGES],
    "ew_u15": ["ew_0_2", "ew_3_5", "ew_6_9", "ew_10_14"],
    "ew_u18": ["ew_u15", "ew_15_17"],
    "ew_15_64": ["ew_15_17", "ew_18_24", "ew_25_64"],
    "ew_u65": ["ew_u18", "ew_18_24", "ew_25_64"],
}

KEY_FIGURES = {
    "ew_gesamt",
    "anteil_u18",
    "anteil_65plus",
    "sgb2_quote",
    "kinderarmut",
    "arbeitslosenquote",
    "anteil_migration",
}

INDICATORS: list[dict] = [
    _count(
        "ew_gesamt",
        "Einwohnerinnen und Einwohner",
        "demografie",
        _REGISTER,
        "statistik",
        description="Personen mit Hauptwohnsitz.",
    ),
    *[
        _count(
            f"ew_{g}",
            f"Einwohner {label}",
            "demografie",
            _REGISTER,
            "statistik",
            description=f"Personen mit Hauptwohnsitz, Alter: {label}.",
        )
        for g, label in _AGES
    ],
    _count("ew_u15", "Einwohner unter 15 Jahren", "demografie", _REGISTER, "statistik"),
    _count("ew_u18", "Einwohner unter 18 Jahren", "demografie", _REGISTER, "statistik"),
    _count("ew_15_64", "Einwohner 15 bis unter 65 Jahre", "demografie", _REGISTER, "statistik"),
    _count("ew_u65", "Einwohner unter 65 Jahren", "demografie", _REGISTER, "statistik"),
    _count("haushalte", "Haushalte", "demografie", _REGISTER, "statistik", unit="Haushalte"),
    _count(
        "hh_mit_kindern",
        "Haushalte mit Kindern",
        "demografie",
        _REGISTER,
        "statistik",
        unit="Haushalte",
    ),
    _count(
        "hh_alleinerziehend",
        "Haushalte von Alleinerziehenden",
        "soziales",
        _REGISTER,
        "statistik",
        unit="Haushalte",
    ),
    _count(
        "ew_migration", "Einwohner mit Migrationshintergrund", "demografie", _REGISTER, "statistik"
    ),
    _count("auslaender", "Ausländerinnen und Ausländer", "demografie", _REGISTER, "statistik"),
    _count(
        "sgb2_gesamt",
        "SGB-II-Leistungsberechtigte",
        "soziales",
        _BA,
        "sozialamt",
        description="Regelleistungsberechtigte nach dem SGB II (Bürgergeld).",
    ),
    _count(
        "sgb2_u15",
        "SGB-II-Leistungsberechtigte unter 15 Jahren",
        "soziales",
        _BA,
        "sozialamt",
        description="Nicht erwerbsfähige Leistungsberechtigte unter 15 Jahren.",
    ),
    _count("arbeitslose", "Arbeitslose", "arbeit", _BA, "sozialamt"),
    _count(
        "esu_untersucht",
        "Untersuchte Kinder (Schuleingangsuntersuchung)",
        "gesundheit",
        _ESU,
        "gesundheitsamt",
        unit="Kinder",
        visibility="internal",
    ),
    _count(
        "esu_uebergewicht",
        "Kinder mit Übergewicht (Schuleingangsuntersuchung)",
        "gesundheit",
        _ESU,
        "gesundheitsamt",
        unit="Kinder",
        visibility="internal",
    ),
    _count(
        "esu_sprachfoerderung",
        "Kinder mit Sprachförderbedarf (Schuleingangsuntersuchung)",
        "bildung",
        _ESU,
        "gesundheitsamt",
        unit="Kinder",
        visibility="internal",
    ),
    _count(
        "uebergaenge",
        "Übergänge auf weiterführende Schulen",
        "bildung",
        _SCHOOL,
        "schulamt",
        unit="Kinder",
    ),
    _count(
        "uebergaenge_gym",
        "Übergänge auf ein Gymnasium",
        "bildung",
        _SCHOOL,
        "schulamt",
        unit="Kinder",
    ),
    _count(
        "hze_faelle",
        "Hilfen zur Erziehung (Fälle)",
        "soziales",
        _HZE,
        "jugendamt",
        unit="Fälle",
        visibility="restricted",
        description="Laufende Hilfen nach §§ 27 ff. SGB VIII am Stichtag.",
    ),
    _count("wohnflaeche", "Wohnfläche", "wohnen", _HOUSING, "statistik", unit="m²"),
    dict(
        key="durchschnittsalter",
        name="Durchschnittsalter",
        topic="demografie",
        kind="other",
        unit="Jahre",
        decimals=1,
        polarity="neutral",
        source=_REGISTER,
        owner="statistik",
        weight="ew_gesamt",
        visibility="public",
        reference_note=_DEC31,
        description="Arithmetisches Mittel des Alters; höhere Ebenen gewichtet mit der "
        "Einwohnerzahl.",
    ),
    _rate(
        "sgb2_quote",
        "SGB-II-Quote",
        "soziales",
        "sgb2_gesamt",
        "ew_u65",
        source=_BA,
        owner="sozialamt",
        description="SGB-II-Leistungsberechtigte je 100 Einwohner unter 65 Jahren.",
    ),
    _rate(
        "kinderarmut",
        "Kinderarmut (SGB-II-Quote unter 15 Jahren)",
        "soziales",
        "sgb2_u15",
        "ew_u15",
        source=_BA,
        owner="sozialamt",
        description="Leistungsberechtigte unter 15 Jahren je 100 Einwohner unter 15 Jahren.",
    ),
    _rate(
        "arbeitslosenquote",
        "Arbeitslosenanteil",
        "arbeit",
        "arbeitslose",
        "ew_15_64",
        source=_BA,
        owner="sozialamt",
        description="Arbeitslose je 100 Einwohner im Alter von 15 bis unter 65 Jahren.",
    ),
    _rate(
        "anteil_alleinerziehend",
        "Anteil Alleinerziehender",
        "soziales",
        "hh_alleinerziehend",
        "hh_mit_kindern",
        source=_REGISTER,
        description="Alleinerziehendenhaushalte je 100 Haushalte mit Kindern.",
    ),
    _rate(
        "anteil_migration",
        "Anteil mit Migrationshintergrund",
        "demografie",
        "ew_migration",
        "ew_gesamt",
        polarity="neutral",
        source=_REGISTER,
    ),
    _rate(
        "auslaenderanteil",
        "Ausländeranteil",
        "demografie",
        "auslaender",
        "ew_gesamt",
        polarity="neutral",
        source=_REGISTER,
    ),
    _rate(
        "anteil_u18",
        "Anteil unter 18-Jähriger",
        "demografie",
        "ew_u18",
        "ew_gesamt",
        polarity="neutral",
        source=_REGISTER,
    ),
    _rate(
        "anteil_65plus",
        "Anteil 65-Jähriger und Älterer",
        "demografie",
        "ew_65plus",
        "ew_gesamt",
        polarity="neutral",
        source=_REGISTER,
    ),
    _rate(
        "haushaltsgroesse",
        "Personen je Haushalt",
        "demografie",
        "ew_gesamt",
        "haushalte",
        factor=1.0,
        unit="Personen",
        decimals=2,
        polarity="neutral",
        source=_REGISTER,
        # A ratio of two published counts, not a share of persons with a trait: a small
        # denominator reveals nothing, and a Mindestnenner would hide the residents too.
        min_denominator=0,
    ),
    _rate(
        "quote_uebergewicht",
        "Übergewicht bei der Schuleingangsuntersuchung",
        "gesundheit",
        "esu_uebergewicht",
        "esu_untersucht",
        source=_ESU,
        owner="gesundheitsamt",
        visibility="internal",
    ),
    _rate(
        "quote_sprachfoerderung",
        "Sprachförderbedarf bei der Schuleingangsuntersuchung",
        "bildung",
        "esu_sprachfoerderung",
        "esu_untersucht",
        source=_ESU,
        owner="gesundheitsamt",
        visibility="internal",
    ),
    _rate(
        "gymnasialquote",
        "Übergangsquote Gymnasium",
        "bildung",
        "uebergaenge_gym",
        "uebergaenge",
        polarity="better",
        source=_SCHOOL,
        owner="schulamt",
    ),
    _rate(
        "hze_quote",
        "Hilfen zur Erziehung je 1.000 unter 18-Jährige",
        "soziales",
        "hze_faelle",
        "ew_u18",
        factor=1000.0,
        unit="je 1.000",
        source=_HZE,
        owner="jugendamt",
        visibility="restricted",
    ),
    _rate(
        "wohnflaeche_je_ew",
        "Wohnfläche je Einwohner",
        "wohnen",
        "wohnflaeche",
        "ew_gesamt",
        factor=1.0,
        unit="m²",
        polarity="better",
        source=_HOUSING,
        min_denominator=0,  # a ratio of published counts (see haushaltsgroesse)
    ),
]

FACILITY_LAYERS = [
    ("kitas", "Kindertageseinrichtungen", "Plätze"),
    ("grundschulen", "Grundschulen", "Schülerinnen und Schüler"),
    ("weiterfuehrende_schulen", "Weiterführende Schulen", "Schülerinnen und Schüler"),
    ("familienzentren", "Familienzentren", "betreute Familien"),
    ("jugendzentren", "Jugendzentren", "Besucherinnen und Besucher je Woche"),
]

# Concept and definition (Gemeindevergleich): Gemeinden's own indicators for the same thing
# are compared with these only where their definition is the same.
DEFINITIONS = {
    "kinderarmut": (
        "kinderarmut",
        "Zähler: Leistungsberechtigte nach dem SGB II unter 15 Jahren (Regelleistungs"
        "berechtigte in Bedarfsgemeinschaften), Statistik der Bundesagentur für Arbeit. "
        "Nenner: Einwohnerinnen und Einwohner unter 15 Jahren mit Hauptwohnsitz. Stichtag 31.12.",
    ),
    "arbeitslosenquote": (
        "arbeitslosigkeit",
        "Zähler: Arbeitslose nach §16 SGB III (Rechtskreise SGB II und SGB III). Nenner: "
        "Einwohnerinnen und Einwohner von 15 bis unter 65 Jahren. Stichtag 31.12.",
    ),
}
for _spec in INDICATORS:
    if _spec["key"] in DEFINITIONS:
        _spec["concept"], _spec["defined_as"] = DEFINITIONS[_spec["key"]]
