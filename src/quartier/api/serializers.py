"""Shapes of the API's responses, for the OpenAPI document.

The views build plain dictionaries (fast for thousands of values); these
serializers describe them, and schemathesis checks in the tests that every
response matches its description.
"""

from __future__ import annotations

from rest_framework import serializers

from quartier.indicators.models import Kind, Polarity, Topic, Visibility
from quartier.indicators.status import WORDS

STATUS_CHOICES = WORDS
STATUS_HELP = (
    "ok = shown; missing = no data (value null); suppressed = geheim, hidden by disclosure"
    " control (value null); confidential = vertraulich, a value the caller may see that"
    " others see suppressed (do not pass on)"
)


def paged(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """A serializer for a page of ``item``: count, next, previous, results."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(min_value=0),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
            "__doc__": f"A page of {item.__name__.removesuffix('Serializer')} entries.",
        },
    )


class UserSerializer(serializers.Serializer):
    """Who the API takes the caller to be."""

    authenticated = serializers.BooleanField()
    username = serializers.CharField(allow_null=True)
    role = serializers.CharField(allow_null=True)
    units = serializers.ListField(child=serializers.CharField())
    territories = serializers.ListField(
        child=serializers.CharField(), help_text="Kürzel der Gebietskörperschaften der Einheiten"
    )
    via_token = serializers.BooleanField()


class LevelSerializer(serializers.Serializer):
    """A level (Raumebene)."""

    key = serializers.CharField()
    name = serializers.CharField()
    order = serializers.IntegerField()
    parent = serializers.CharField(allow_null=True, help_text="key of the next coarser level")
    description = serializers.CharField(allow_blank=True)
    area_count = serializers.IntegerField(help_text="areas currently valid")


class AreaRefSerializer(serializers.Serializer):
    """A reference to an area."""

    level = serializers.CharField()
    code = serializers.CharField()


class AreaSerializer(serializers.Serializer):
    """An area (Raumeinheit); geometry as GeoJSON in WGS 84 (lon/lat) when asked for."""

    level = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()
    parent = AreaRefSerializer(allow_null=True)
    area_m2 = serializers.FloatField()
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True, help_text="exclusive")
    bbox = serializers.ListField(
        child=serializers.FloatField(), min_length=4, max_length=4, help_text="lon/lat"
    )
    geometry = serializers.DictField(required=False, help_text="GeoJSON geometry (EPSG:4326)")


class CategorySerializer(serializers.Serializer):
    """One category of a class or type indicator."""

    code = serializers.FloatField()
    label = serializers.CharField()
    colour = serializers.CharField(required=False)


class IndicatorSerializer(serializers.Serializer):
    """Catalogue metadata of an indicator."""

    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    unit = serializers.CharField(allow_blank=True)
    topic = serializers.ChoiceField(choices=Topic.values)
    topic_label = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.values)
    polarity = serializers.ChoiceField(choices=Polarity.values)
    numerator = serializers.CharField(allow_null=True)
    denominator = serializers.CharField(allow_null=True)
    factor = serializers.FloatField(allow_null=True)
    source = serializers.CharField(allow_blank=True)
    concept = serializers.CharField(
        allow_blank=True,
        help_text="Begriff: indicators of several Gemeinden meaning the same thing share it",
    )
    defined_as = serializers.CharField(
        allow_blank=True, help_text="Definition: only equal definitions are ranked together"
    )
    owner = serializers.CharField(allow_null=True)
    visibility = serializers.ChoiceField(choices=Visibility.values)
    confidential = serializers.BooleanField(
        help_text="an analysis result computed from unprotected values (vertraulich)"
    )
    decimals = serializers.IntegerField()
    reference_note = serializers.CharField(allow_blank=True)
    min_count = serializers.IntegerField()
    min_denominator = serializers.IntegerField()
    categories = CategorySerializer(many=True)
    derived_from = serializers.ListField(child=serializers.CharField())
    sum_of = serializers.ListField(
        child=serializers.CharField(),
        help_text="Summe aus: die (sichtbaren) Anzahlen, deren Summe dieser Indikator ist",
    )
    definition = serializers.DictField()
    periods = serializers.ListField(child=serializers.DateField())


class ValueSerializer(serializers.Serializer):
    """One value in long format: indicator × area × period."""

    indicator = serializers.CharField()
    level = serializers.CharField()
    area = serializers.CharField(help_text="area code")
    name = serializers.CharField(help_text="area name")
    period = serializers.DateField()
    value = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(choices=STATUS_CHOICES, help_text=STATUS_HELP)


class ValuePageSerializer(paged(ValueSerializer, "ValuePageBase")):
    """A page of values; ``confidential`` when it holds values others see suppressed."""

    confidential = serializers.BooleanField()


class ValueColumnsSerializer(serializers.Serializer):
    """The values of one indicator-period: codes, values and status letters in one order."""

    indicator = serializers.CharField()
    level = serializers.CharField()
    period = serializers.DateField()
    areas = serializers.ListField(child=serializers.CharField(), help_text="area codes")
    values = serializers.ListField(child=serializers.FloatField(allow_null=True))
    status = serializers.CharField(
        allow_blank=True,
        help_text="one letter per area: o ok, m missing, s suppressed, c confidential",
    )


class ValueColumnsPageSerializer(paged(ValueColumnsSerializer, "ValueColumnsPageBase")):
    """A page of values in columns; the rows are counted and paged as in /values/."""

    confidential = serializers.BooleanField()
    status_letters = serializers.DictField(child=serializers.CharField())


class SeriesPointSerializer(serializers.Serializer):
    """One period of a time series."""

    period = serializers.DateField()
    value = serializers.FloatField(allow_null=True)


class ProfileRowSerializer(serializers.Serializer):
    """One indicator of an area profile."""

    indicator = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    topic = serializers.ChoiceField(choices=Topic.values)
    period = serializers.DateField()
    value = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(choices=STATUS_CHOICES, help_text=STATUS_HELP)
    parent_value = serializers.FloatField(allow_null=True)
    city_value = serializers.FloatField(allow_null=True)
    deviation = serializers.FloatField(allow_null=True, help_text="value − city (not for counts)")
    rank = serializers.IntegerField(
        allow_null=True, help_text="1 = highest value, among the shown values only"
    )
    rank_of = serializers.IntegerField()
    change = serializers.FloatField(
        allow_null=True,
        help_text="change since change_since (the period before); shown only where both"
        " values are shown and the area's boundary is the same",
    )
    change_status = serializers.ChoiceField(
        choices=STATUS_CHOICES, help_text="status of the change: suppressed if either value is"
    )
    change_since = serializers.DateField(allow_null=True)
    confidential = serializers.BooleanField()
    series = SeriesPointSerializer(many=True)


class ProfileSerializer(serializers.Serializer):
    """The profile (Steckbrief) of an area."""

    area = AreaSerializer()
    indicators = ProfileRowSerializer(many=True)


class AnalysisSerializer(serializers.Serializer):
    """A stored analysis and the derived indicators it produced."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    period = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(allow_null=True)
    confidential = serializers.BooleanField(
        help_text="computed from unprotected values (vertraulich): visible only to those who "
        "may see those inputs unprotected; never internal or public"
    )
    definition = serializers.DictField()
    inputs = serializers.ListField(child=serializers.CharField(), help_text="input indicator keys")
    outputs = serializers.ListField(
        child=serializers.CharField(), help_text="indicator keys; values via /values/"
    )


class AnalysisDetailSerializer(AnalysisSerializer):
    """An analysis with its result summary (e.g. Moran's I, cluster profiles, matrix).

    ``result.secret`` says how many areas were left out because values are secret
    (``areas``, and ``by_indicator``); segregation gives it per period as well.
    """

    result = serializers.DictField()


LevelPageSerializer = paged(LevelSerializer, "LevelPage")
AreaPageSerializer = paged(AreaSerializer, "AreaPage")
IndicatorPageSerializer = paged(IndicatorSerializer, "IndicatorPage")
AnalysisPageSerializer = paged(AnalysisSerializer, "AnalysisPage")
