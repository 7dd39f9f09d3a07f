"""Who may change what: the write side of the rights (reading is :mod:`quartier.access.rights`).

One rule for every write path — import wizard, rollback, admin, any route added
later: administrators may change everything; a data steward changes only what
the own units own; analysts and visitors change nothing of anyone's data
(they create only their own analyses and access tokens).

* An indicator is owned by its ``owner`` unit (none: administrators only).
* An import batch is owned by the units of *every* indicator it holds values
  for — also values later batches replaced, and values it replaced itself — so
  a batch touching another unit's indicator can be rolled back only by an
  administrator. An empty batch belongs to whoever created it.

``user is None`` means the operator at the command line, who may do everything.
"""

from __future__ import annotations

from quartier.access.models import Role
from quartier.access.rights import is_admin, unit_ids
from quartier.errors import QuartierError

ROLLBACK_REFUSED = (
    "Diesen Importlauf dürfen Sie nicht zurücknehmen: er enthält Werte von Indikatoren, die "
    "nicht Ihrer Organisationseinheit gehören. Bitte wenden Sie sich an die Administration. "
    "/ You may not roll back this batch."
)


def is_steward(user) -> bool:
    """A signed-in data steward (Datenverantwortliche) with at least one unit."""
    return bool(
        user is not None
        and user.is_authenticated
        and getattr(user, "role", None) == Role.DATA_STEWARD
        and unit_ids(user)
    )


def may_write_indicator(user, indicator) -> bool:
    """True if ``user`` may import values into, or edit, ``indicator``."""
    if user is None or is_admin(user):
        return True
    owner = indicator.owner_id
    return is_steward(user) and owner is not None and owner in unit_ids(user)


def batch_owners(batch) -> set[int | None]:
    """Owner units of every indicator ``batch`` holds, held or replaced values for."""
    from quartier.indicators.models import Indicator, Value, ValueRevision

    indicators = set(Value.objects.filter(batch=batch).values_list("indicator_id", flat=True))
    for field in ("batch", "replaced_by"):
        indicators |= set(
            ValueRevision.objects.filter(**{field: batch}).values_list("indicator_id", flat=True)
        )
    return set(
        Indicator.objects.filter(pk__in=indicators).order_by().values_list("owner_id", flat=True)
    )


def may_roll_back(user, batch) -> bool:
    """True if ``user`` may roll ``batch`` back (see the module's rule)."""
    if user is None or is_admin(user):
        return True
    if not is_steward(user):
        return False
    owners = batch_owners(batch)
    if not owners:  # nothing in it: only its creator (or an administrator) tidies it up
        return batch.created_by_id == user.pk
    return owners <= unit_ids(user)


def check_rollback(user, batch) -> None:
    """Raise a 403 QuartierError unless ``user`` may roll ``batch`` back.

    The message names no indicator: the batch may hold some the user may not see.
    """
    if not may_roll_back(user, batch):
        raise QuartierError(ROLLBACK_REFUSED, status=403)
