"""The built-in analysis methods, registered the same way a new method would be.

Runs, pages and result contexts are imported when used, so that the command line can
build its parser from the registry before Django is set up.
"""

from __future__ import annotations

from quartier.analysis.registry import Field, Method, register
from quartier.analysis.registry import gettext_noop as _

TEMPLATES = "quartier/analysis/"


# --- MSS ----------------------------------------------------------------------------------

MSS_MIN_RESIDENTS = 300  # the MSS leaves out areas under 300 residents (Indikatorenheft 2021)
MSS_ROLES = {
    "s1": _("S1 Arbeitslosigkeit (SGB II)"),
    "s3": _("S3 Transferbezug"),
    "s4": _("S4 Kinderarmut"),
    "d1": _("D1 Veränderung Arbeitslosigkeit"),
    "d3": _("D3 Veränderung Transferbezug"),
    "d4": _("D4 Veränderung Kinderarmut"),
    "residents": _("Einwohnerinnen und Einwohner (für die Mindestzahl)"),
}
_DYNAMICS = (
    ("indikatoren", _("aus den Indikatoren D1, D3, D4")),
    ("veraenderung", _("berechnet: Veränderung von S1, S3, S4 über Jahre")),
)


def _mss_fields() -> tuple[Field, ...]:
    status = tuple(Field(k, MSS_ROLES[k]) for k in ("s1", "s3", "s4"))
    dynamics = tuple(Field(k, MSS_ROLES[k], required=False) for k in ("d1", "d3", "d4"))
    return (
        *status,
        Field(
            "dynamik", _("Dynamik-Index"), "choice", False, choices=_DYNAMICS,
            initial="indikatoren", cli="-",
        ),
        Field(
            "dynamik_jahre", _("Jahre (bei berechneter Veränderung)"), "integer", False,
            initial="2", cli="change-years",
        ),
        *dynamics,
        Field(
            "residents", MSS_ROLES["residents"], required=False, counts_only=True,
            cli="residents",
        ),
        Field(
            "mindest_einwohner", _("Mindestzahl Einwohnerinnen und Einwohner"), "integer",
            False, default=str(MSS_MIN_RESIDENTS), cli="min-residents",
            help=_("Gebiete mit weniger Einwohnerinnen und Einwohnern bekommen keine Klasse "
                   "(MSS: 300; 0 = keine Mindestzahl)."),
        ),
    )  # fmt: skip


def _mss_from_form(spec: dict) -> dict:
    """The run's keys: S1–D4, the years of a computed dynamics, residents and their minimum."""
    # On the command line "--change-years N" alone chooses the computed dynamics.
    mode = spec["dynamik"] or ("veraenderung" if spec["dynamik_jahre"] else "indikatoren")
    keys = {k: spec[k] or "" for k in ("s1", "s3", "s4", "d1", "d3", "d4")}
    if mode == "veraenderung":
        keys["d_years"] = spec["dynamik_jahre"] or 2
    minimum = spec["mindest_einwohner"]
    keys["min_residents"] = MSS_MIN_RESIDENTS if minimum is None else minimum
    keys["residents"] = spec["residents"] or ""
    return keys


def _mss_spec_of(definition: dict) -> dict:
    # Analyses stored before the minimum existed re-run as they were computed.
    return {"min_residents": 0, **(definition.get("spec") or definition.get("inputs") or {})}


def _mss_roles(definition: dict) -> list[tuple[str, str]]:
    keys = _mss_spec_of(definition)
    return [(label, keys[k]) for k, label in MSS_ROLES.items() if keys.get(k)]


def _run_mss(user, name, level, period, spec, *, unprotected=False):
    from quartier.analysis.runs import run_mss

    return run_mss(user, name, level, period, spec, unprotected=unprotected)


def _mss_initial(user) -> dict:
    from quartier.analysis.pages import mss_preset

    return mss_preset(user)


def _mss_describe(analysis, names) -> str:
    from quartier.analysis.describe import describe_mss

    keys = _mss_spec_of(analysis.definition)
    return describe_mss(analysis.period, keys.get("d_years") or 0, keys.get("min_residents") or 0)


def _mss_context(user, analysis, outputs) -> dict:
    from quartier.analysis.pages import mss_context

    return mss_context(analysis, outputs)


register(
    Method(
        key="mss",
        label=_("Status/Dynamik-Index (MSS)"),
        fields=_mss_fields(),
        from_form=_mss_from_form,
        spec_of=_mss_spec_of,
        run=_run_mss,
        roles=_mss_roles,
        initial=_mss_initial,
        result_template=TEMPLATES + "_result_mss.html",
        result_context=_mss_context,
        describe=_mss_describe,
        help=_(
            "Verfahren des Monitorings Soziale Stadtentwicklung Berlin: Status-Index aus S1, S3, "
            "S4, Dynamik-Index aus D1, D3, D4. Gebiete mit zu wenigen Einwohnerinnen und "
            "Einwohnern, fehlenden oder geheimen Werten bekommen keine Klasse."
        ),
        cli_help="Status/Dynamik-Index nach dem Berliner MSS-Verfahren",
        order=10,
    )
)


# --- Index -------------------------------------------------------------------------------


def _index_form(post) -> dict:
    from quartier.analysis.custom_forms import index_spec

    return index_spec(post)


def _index_roles(definition: dict) -> list[tuple[str, str]]:
    spec = definition.get("spec", definition)
    roles = [(_("Bestandteil"), c["key"]) for c in spec.get("components") or []]
    exclude = (spec.get("exclude") or {}).get("indicator")
    return roles + ([(_("Mindestzahl"), exclude)] if exclude else [])


def _index_describe(analysis, names) -> str:
    from quartier.analysis.describe import describe_index
    from quartier.analysis.runs import index_spec

    spec_json = analysis.definition.get("spec", analysis.definition)
    return describe_index(index_spec(spec_json), spec_json.get("exclude") or {}, names)


def _run_index(user, name, level, period, spec, *, unprotected=False):
    from quartier.analysis.runs import run_index

    return run_index(user, name, level, period, spec, unprotected=unprotected)


register(
    Method(
        key="index",
        label=_("Index"),
        custom_form=_index_form,
        form_template=TEMPLATES + "_form_index.html",
        spec_of=lambda d: d.get("spec", d),  # a definition file may hold the bare spec
        run=_run_index,
        roles=_index_roles,
        describe=_index_describe,
        cli_help="Zusammengesetzter Index aus einer Definition (JSON)",
        order=20,
    )
)


# --- Typology ------------------------------------------------------------------------------


def _run_typology(user, name, level, period, spec, *, unprotected=False):
    from quartier.analysis.runs import run_typology

    keys, method, k = spec["indikatoren"], spec["methode"], spec["k"]
    return run_typology(user, name, level, period, keys, method, k, unprotected=unprotected)


def _typology_describe(analysis, names) -> str:
    from quartier.analysis.describe import describe_typology

    d = analysis.definition
    return describe_typology(d["method"], d["k"], d.get("seed", 42))


register(
    Method(
        key="typology",
        label=_("Typologie"),
        fields=(
            Field("indikatoren", _("Indikatoren"), "indicators"),
            Field(
                "methode",
                _("Verfahren"),
                "choice",
                choices=(("kmeans", "k-means"), ("ward", "Ward")),
                default="kmeans",
            ),
            Field("k", _("Anzahl Typen (2–10)"), "integer", default="5"),
        ),  # fmt: skip
        spec_of=lambda d: {"indikatoren": d["inputs"], "methode": d["method"], "k": d["k"]},
        run=_run_typology,
        describe=_typology_describe,
        result_template=TEMPLATES + "_result_typology.html",
        cli_help="Typologie (k-means oder Ward)",
        order=30,
    )
)


# --- Hot spots ------------------------------------------------------------------------------


def _run_lisa(user, name, level, period, spec, *, unprotected=False):
    from quartier.analysis.runs import run_lisa

    n, p = spec["permutationen"], float(spec["signifikanz"])
    return run_lisa(user, name, level, period, spec["indikator"], n, p, unprotected=unprotected)


def _lisa_describe(analysis, names) -> str:
    from quartier.analysis.describe import describe_lisa

    return describe_lisa(analysis.definition["permutations"], analysis.definition["significance"])


register(
    Method(
        key="lisa",
        label=_("Hot Spots (LISA)"),
        fields=(
            Field("indikator", _("Indikator")),
            Field("permutationen", _("Permutationen"), "integer", default="999"),
            Field(
                "signifikanz",
                _("Signifikanzniveau"),
                "choice",
                choices=(("0.05", "0,05"), ("0.01", "0,01"), ("0.1", "0,1")),
                default="0.05",
            ),
        ),  # fmt: skip
        spec_of=lambda d: {
            "indikator": d["inputs"][0],
            "permutationen": d["permutations"],
            "signifikanz": str(d["significance"]),
        },
        run=_run_lisa,
        describe=_lisa_describe,
        result_template=TEMPLATES + "_result_lisa.html",
        cli_help="Hot Spots und Cold Spots (lokales Moran's I)",
        order=40,
    )
)


# --- Segregation ----------------------------------------------------------------------------


def _run_segregation(user, name, level, period, spec, *, unprotected=False):
    from quartier.analysis.runs_series import run_segregation

    group, total, within = spec["gruppe"], spec["gesamt"], spec.get("innerhalb") or ""
    return run_segregation(user, name, level, group, total, within, unprotected=unprotected)


def _segregation_context(user, analysis, outputs) -> dict:
    from quartier.analysis.pages import segregation_context

    return segregation_context(analysis)


register(
    Method(
        key="segregation",
        label=_("Segregation"),
        fields=(
            Field(
                "gruppe",
                _("Gruppe (Anzahl), z. B. Kinder in SGB-II-Haushalten"),
                counts_only=True,
            ),
            Field("gesamt", _("Gesamtheit (Anzahl), z. B. alle Kinder"), counts_only=True),
            Field("innerhalb", _("Nur innerhalb von Gebiet (Schlüssel, optional)"), "text", False),
        ),  # fmt: skip
        spec_of=lambda d: {
            "gruppe": d["group"],
            "gesamt": d["total"],
            "innerhalb": d.get("within", ""),
        },
        run=_run_segregation,
        periodic=False,
        result_template=TEMPLATES + "_result_segregation.html",
        result_context=_segregation_context,
        cli_help="Segregation einer Gruppe über alle Stichtage",
        order=50,
    )
)


# --- Handlungsbedarf --------------------------------------------------------------------------


def _need_form(post) -> dict:
    from quartier.analysis.custom_forms import need_rule

    return need_rule(post)


def _run_need(user, name, level, period, spec, *, unprotected=False):
    from quartier.analysis.runs_series import run_need

    return run_need(user, name, level, spec, unprotected=unprotected)


def _need_roles(definition: dict) -> list[tuple[str, str]]:
    from django.utils.translation import gettext

    conditions = (definition.get("rule") or definition).get("conditions") or []
    # Translated here: the number is part of the label ("Bedingung 1", "Condition 1").
    label = gettext("Bedingung %(i)s")
    return [(label % {"i": i}, c["indicator"]) for i, c in enumerate(conditions, 1)]


def _need_describe(analysis, names) -> str:
    from quartier.analysis.describe import describe_rule

    return describe_rule(analysis.definition.get("rule", analysis.definition), names)


def _need_context(user, analysis, outputs) -> dict:
    from quartier.analysis.pages import need_context

    return need_context(analysis, outputs)


register(
    Method(
        key="need",
        label=_("Handlungsbedarf"),
        custom_form=_need_form,
        form_template=TEMPLATES + "_form_need.html",
        spec_of=lambda d: d.get("rule", d),
        run=_run_need,
        roles=_need_roles,
        describe=_need_describe,
        periodic=False,
        result_template=TEMPLATES + "_result_need.html",
        result_context=_need_context,
        cli_help="Gebiete mit Handlungsbedarf nach Regeln (Definition als JSON)",
        order=60,
    )
)
