"""Descriptions of analysis definitions, in the active language.

A run stores the German text (with ``in_german``) as indicator metadata and in the JSON
definition; a result page describes the stored definition again in the page's language.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext


def in_german(describe, *args) -> str:
    """``describe(*args)`` in German, whatever the request's language (stored text)."""
    with translation.override("de"):
        return describe(*args)


def german_number(value: float) -> str:
    """A number in German notation for sentences ("1,5", "1.000", "0,25")."""
    text = f"{float(value):,.6f}".rstrip("0").rstrip(".")
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def local_number(value: float) -> str:
    """A number for a sentence in the active language ("1,5" in German, "1.5" in English)."""
    if (translation.get_language() or "de").startswith("de"):
        return german_number(value)
    return f"{float(value):,.6f}".rstrip("0").rstrip(".")


def describe_rule(rule_json: dict, names: dict[str, str] | None = None) -> str:
    """A sentence for a rule, with the indicators' names, shown with its result."""
    words = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}
    names = names or {}
    parts = []
    for c in rule_json["conditions"]:
        name = names.get(c["indicator"], c["indicator"])
        years = c.get("periods", 2)
        if c["op"] == "rising":
            parts.append(gettext("%(name)s steigend über %(n)s Jahre") % {"name": name, "n": years})
        elif c["op"] == "falling":
            parts.append(gettext("%(name)s fallend über %(n)s Jahre") % {"name": name, "n": years})
        elif c.get("relative_to_city"):
            value = local_number(c["value"])
            op = words.get(c["op"], c["op"])
            parts.append(gettext("%(name)s %(op)s %(value)s × Stadtwert") % locals())
        else:
            parts.append(f"{name} {words.get(c['op'], c['op'])} {local_number(c['value'])}")
    joiner = gettext(" und ") if rule_json.get("combine", "all") == "all" else gettext(" oder ")
    return gettext("Handlungsbedarf nach Regeln: %(rule)s") % {"rule": joiner.join(parts)}


def _standardise_words() -> dict[str, str]:
    return {
        "z": gettext("z-Werte"),
        "minmax": gettext("Min–Max (0–1)"),
        "rank": gettext("Rang (0–1)"),
    }


def describe_index(spec, exclude: dict, names: dict[str, str]) -> str:
    """The index definition, shown with the result and as indicator metadata.

    ``names``: indicator key → name (a key without a name is shown as it is).
    """
    parts = [
        gettext("%(name)s (%(direction)s = Bedarf, Gewicht %(weight)s)")
        % {
            "name": names.get(c.key, c.key),
            "direction": gettext("hoch") if c.direction == 1 else gettext("niedrig"),
            "weight": local_number(c.weight),
        }
        for c in spec.components
    ]
    text = gettext(
        "Zusammengesetzter Index aus %(parts)s. Standardisierung: %(how)s; %(combine)s"
    ) % {
        "parts": ", ".join(parts),
        "how": _standardise_words()[spec.standardise],
        "combine": gettext("Summe") if spec.combine == "sum" else gettext("gewichteter Mittelwert"),
    }
    text += (gettext(", erneut z-standardisiert") if spec.restandardise else "") + "."
    if spec.classify == "sd":
        from quartier.core.indices import format_break_rules

        rules = format_break_rules(spec.sd_breaks, spec.inclusive, local_number)
        text += " " + gettext("Klassen nach Standardabweichung: %(rules)s.") % {"rules": rules}
    elif spec.classify == "quantiles":
        text += " " + gettext("%(n)s Quantilklassen.") % {"n": spec.quantiles}
    if spec.labels:
        text += " " + gettext("Klassen: %(labels)s.") % {"labels": ", ".join(spec.labels)}
    if exclude.get("indicator"):
        name = names.get(exclude["indicator"], exclude["indicator"])
        minimum = local_number(exclude["minimum"])
        text += " " + gettext("Ausgeschlossen: Gebiete mit weniger als %(minimum)s (%(name)s).") % {
            "minimum": minimum,
            "name": name,
        }
    if exclude.get("codes"):
        text += " " + gettext("Ausgeschlossen: %(codes)s.") % {"codes": ", ".join(exclude["codes"])}
    return text


def describe_typology(method: str, k: int, seed: int = 42) -> str:
    """The typology's method, number of types and seed."""
    return gettext("Typologie (%(method)s, %(k)s Typen, Startwert %(seed)s).") % locals()


def describe_lisa(permutations: int, significance: float) -> str:
    """Local Moran's I with its neighbourhood, permutations and significance level."""
    return gettext(
        "Lokales Moran's I (LISA), Queen-Nachbarschaft, %(n)s Permutationen, Signifikanz %(p)s."
    ) % {"n": permutations, "p": local_number(significance)}


def describe_mss(period, years: int, minimum: int) -> str:
    """The MSS method, a computed dynamics and the minimum of residents."""
    text = gettext(
        "Monitoring Soziale Stadtentwicklung (Berlin 2021), Abschnitt 4: "
        "z-Werte, Summe, erneute Standardisierung, Klassen nach SD."
    )
    if years and period:
        text += " " + gettext(
            "Dynamik: Veränderung von S1, S3, S4 über %(years)s Jahre (bis %(date)s)."
        ) % {"years": years, "date": period.strftime("%d.%m.%Y")}
    if minimum:
        text += " " + gettext(
            "Gebiete unter %(n)s Einwohnerinnen und Einwohnern bleiben außen vor."
        ) % {"n": minimum}
    return text
