"""German descriptions of analysis definitions, shown with results and as indicator metadata."""

from __future__ import annotations


def german_number(value: float) -> str:
    """A number in German notation for sentences ("1,5", "1.000", "0,25")."""
    text = f"{float(value):,.6f}".rstrip("0").rstrip(".")
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def describe_rule(rule_json: dict, names: dict[str, str] | None = None) -> str:
    """A German sentence for a rule, with the indicators' names, shown with its result."""
    words = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "rising": "steigend", "falling": "fallend"}
    names = names or {}
    parts = []
    for c in rule_json["conditions"]:
        op = words.get(c["op"], c["op"])
        name = names.get(c["indicator"], c["indicator"])
        if c["op"] in ("rising", "falling"):
            parts.append(f"{name} {op} über {c.get('periods', 2)} Jahre")
        elif c.get("relative_to_city"):
            parts.append(f"{name} {op} {german_number(c['value'])} × Stadtwert")
        else:
            parts.append(f"{name} {op} {german_number(c['value'])}")
    joiner = " und " if rule_json.get("combine", "all") == "all" else " oder "
    return joiner.join(parts)


_STANDARDISE_WORDS = {"z": "z-Werte", "minmax": "Min–Max (0–1)", "rank": "Rang (0–1)"}


def describe_index(spec, exclude: dict, indicators: dict) -> str:
    """The index definition in German, shown with the result and as indicator metadata."""
    from quartier.core.indices import format_break_rules

    parts = [
        f"{indicators[c.key].name} ({'hoch' if c.direction == 1 else 'niedrig'} = Bedarf, "
        f"Gewicht {c.weight:g})"
        for c in spec.components
    ]
    text = (
        f"Zusammengesetzter Index aus {', '.join(parts)}. Standardisierung: "
        f"{_STANDARDISE_WORDS[spec.standardise]}; "
        f"{'Summe' if spec.combine == 'sum' else 'gewichteter Mittelwert'}"
        f"{', erneut z-standardisiert' if spec.restandardise else ''}."
    )
    if spec.classify == "sd":
        rules = format_break_rules(spec.sd_breaks, spec.inclusive)
        text += f" Klassen nach Standardabweichung: {rules}."
    elif spec.classify == "quantiles":
        text += f" {spec.quantiles} Quantilklassen."
    if spec.labels:
        text += f" Klassen: {', '.join(spec.labels)}."
    if exclude.get("indicator"):
        name = indicators.get(exclude["indicator"])
        name = name.name if name else exclude["indicator"]
        text += f" Ausgeschlossen: Gebiete mit weniger als {exclude['minimum']:g} ({name})."
    if exclude.get("codes"):
        text += f" Ausgeschlossen: {', '.join(exclude['codes'])}."
    return text
