"""Who may see which indicator — the visibility rules used by the read layer.

Rules (issue #2 lays them down, issue #6 builds the UI around them):

* anonymous visitors see *public* indicators;
* every signed-in user also sees *internal* ones;
* *restricted* indicators are visible to members of the owning unit, of the
  units named on the indicator, and to administrators.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from quartier.access.models import Role


def is_admin(user) -> bool:
    """True for superusers and accounts with the administration role."""
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_superuser or getattr(user, "role", None) == Role.ADMIN)
    )


def unit_ids(user) -> set[int]:
    """Ids of the organisational units a signed-in user belongs to."""
    if user is None or not user.is_authenticated:
        return set()
    cached = getattr(user, "_quartier_unit_ids", None)
    if cached is None:
        cached = set(user.units.values_list("id", flat=True))
        user._quartier_unit_ids = cached
    return cached


def visibility_filter(user) -> Q:
    """A filter on Indicator rows that keeps exactly those ``user`` may see."""
    from quartier.indicators.models import Visibility

    if is_admin(user):
        return Q()
    public = Q(visibility=Visibility.PUBLIC)
    if user is None or not user.is_authenticated:
        return public
    units = unit_ids(user)
    return (
        public
        | Q(visibility=Visibility.INTERNAL)
        | Q(visibility=Visibility.RESTRICTED, owner_id__in=units)
        | Q(visibility=Visibility.RESTRICTED, shared_with__in=units)
    )


def filter_visible(queryset: QuerySet, user) -> QuerySet:
    """Restrict an Indicator queryset to what ``user`` may see.

    A rate is only as visible as its numerator and denominator: derived
    indicators inherit the strictest visibility of their inputs.
    """
    from quartier.indicators.models import Indicator

    visible = queryset.filter(visibility_filter(user)).distinct()
    if is_admin(user):
        return visible
    allowed = Indicator.objects.filter(visibility_filter(user)).values("id")
    for part in ("numerator", "denominator", "weight"):
        visible = visible.exclude(Q(**{f"{part}__isnull": False}) & ~Q(**{f"{part}__in": allowed}))
    # Indices and other analysis results: every input must be visible too.
    return visible.exclude(derived_from__in=Indicator.objects.exclude(id__in=allowed))


def visible_ids(user) -> set[int]:
    """Ids of the indicators ``user`` may see: the rules of :func:`filter_visible`.

    Evaluated in Python over three small, simple queries, because the nested
    subqueries of the SQL form cost more to build and compile (~15 ms) than an
    API request may take. ``tests/access`` checks that both forms always agree.
    """
    from quartier.indicators.models import Indicator, Visibility

    rows = list(
        Indicator.objects.order_by().values_list(
            "id", "visibility", "owner_id", "numerator_id", "denominator_id", "weight_id"
        )
    )
    if is_admin(user):
        return {row[0] for row in rows}
    signed_in = user is not None and user.is_authenticated
    units = unit_ids(user)
    shared: dict[int, set[int]] = {}
    if signed_in and units:
        pairs = Indicator.shared_with.through.objects.values_list("indicator_id", "unit_id")
        for indicator_id, unit_id in pairs:
            shared.setdefault(indicator_id, set()).add(unit_id)
    allowed = set()
    for pk, visibility, owner_id, *_parts in rows:
        if visibility == Visibility.PUBLIC or (
            signed_in
            and (
                visibility == Visibility.INTERNAL
                or (
                    visibility == Visibility.RESTRICTED
                    and (owner_id in units or bool(shared.get(pk, set()) & units))
                )
            )
        ):
            allowed.add(pk)
    # Rates, weighted values and analysis results: every input must be visible too.
    blocked = {
        source
        for source, used in Indicator.derived_from.through.objects.values_list(
            "from_indicator_id", "to_indicator_id"
        )
        if used not in allowed
    }
    return {
        pk
        for pk, _visibility, _owner, *parts in rows
        if pk in allowed and pk not in blocked and all(p is None or p in allowed for p in parts)
    }


def may_see_unsuppressed(user, indicator) -> bool:
    """True if ``user`` may see values of ``indicator`` before disclosure control.

    Administrators and the data stewards of the owning unit may ("vertraulich");
    nobody else.
    """
    if is_admin(user):
        return True
    return (
        getattr(user, "role", None) == Role.DATA_STEWARD
        and indicator.owner_id is not None
        and indicator.owner_id in unit_ids(user)
    )


def writable_indicators(user) -> QuerySet:
    """Indicators ``user`` may import into: all for administrators, else the own units'."""
    from quartier.indicators.models import Indicator

    indicators = Indicator.objects.order_by("name")
    return indicators if is_admin(user) else indicators.filter(owner_id__in=unit_ids(user))
