"""Record every analysis's inputs and whether it was computed from unprotected values.

Existing analyses get their inputs from their stored definitions (or, where a key no
longer exists, from the derived indicators' "berechnet aus"). Before this migration an
analysis read its inputs as its author saw them: administrators, the command line and the
data stewards of an input's unit saw unprotected values. Such runs are marked confidential
(fail closed: an author who no longer exists counts as an administrator), and their derived
indicators become restricted and *vertraulich*, since they may reveal hidden values.
"""

from django.db import migrations, models


def _keys(kind: str, definition: dict) -> set[str]:
    """Input indicator keys named in a stored definition."""
    if kind == "index":
        spec = definition.get("spec") or {}
        keys = [c.get("key") for c in spec.get("components") or [] if isinstance(c, dict)]
        keys.append((spec.get("exclude") or {}).get("indicator"))
    elif kind == "mss":
        keys = [v for k, v in (definition.get("inputs") or {}).items() if k != "d_years"]
    elif kind in ("typology", "lisa"):
        keys = list(definition.get("inputs") or [])
    elif kind == "segregation":
        keys = [definition.get("group"), definition.get("total")]
    else:
        conditions = (definition.get("rule") or {}).get("conditions") or []
        keys = [c.get("indicator") for c in conditions if isinstance(c, dict)]
    return {k for k in keys if isinstance(k, str) and k}


def _unprotected(author, inputs: list) -> list:
    """The inputs ``author`` saw unprotected (all of them when the author is unknown)."""
    if author is None or author.is_superuser or author.role == "admin":
        return inputs
    if author.role != "steward":
        return []
    units = set(author.units.values_list("id", flat=True))
    return [i for i in inputs if i.owner_id is not None and i.owner_id in units]


def fill_inputs(apps, schema_editor):
    """Inputs from the definitions; confidential where the author saw unprotected values."""
    Analysis = apps.get_model("analysis", "Analysis")
    Indicator = apps.get_model("indicators", "Indicator")
    by_key = {i.key: i for i in Indicator.objects.all()}
    for analysis in Analysis.objects.select_related("created_by").order_by("pk"):
        inputs = [
            by_key[k]
            for k in sorted(_keys(analysis.kind, analysis.definition or {}))
            if k in by_key
        ]
        outputs = list(analysis.outputs.all())
        if not inputs:
            inputs = sorted({i for o in outputs for i in o.derived_from.all()}, key=lambda i: i.key)
        analysis.inputs.set(inputs)
        sources = _unprotected(analysis.created_by, inputs)
        if not sources:
            continue
        analysis.confidential = True
        analysis.save(update_fields=["confidential"])
        analysis.confidential_sources.set(sources)
        Indicator.objects.filter(pk__in=[o.pk for o in outputs]).update(
            confidential=True, visibility="restricted", owner_id=sources[0].owner_id
        )


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0003_api_tokens"),
        ("analysis", "0001_initial"),
        ("indicators", "0005_confidential_results"),
    ]

    operations = [
        migrations.AddField(
            model_name="analysis",
            name="confidential",
            field=models.BooleanField(
                default=False,
                help_text="Aus ungeschützten Werten berechnet: nur für Personen sichtbar, die alle ungeschützt gelesenen Eingangswerte ungeschützt sehen dürfen.",
                verbose_name="vertraulich",
            ),
        ),
        migrations.AddField(
            model_name="analysis",
            name="confidential_sources",
            field=models.ManyToManyField(
                blank=True,
                help_text="Indikatoren, deren ungeschützte Werte in das Ergebnis eingegangen sind (auch über vertrauliche Ergebnisse anderer Analysen).",
                related_name="+",
                to="indicators.indicator",
                verbose_name="ungeschützt gelesen",
            ),
        ),
        migrations.AddField(
            model_name="analysis",
            name="inputs",
            field=models.ManyToManyField(
                blank=True,
                related_name="analyses_using",
                to="indicators.indicator",
                verbose_name="Eingangsindikatoren",
            ),
        ),
        migrations.RunPython(fill_inputs, migrations.RunPython.noop),
    ]
