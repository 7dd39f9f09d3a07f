"""Fixtures of the analysis tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def statistik_steward(db):
    """A data steward of the Statistikstelle, which owns the age groups (ew_0_2)."""
    from quartier.access.models import Role, Unit, User

    user = User.objects.create_user("statistik", password="x" * 12, role=Role.DATA_STEWARD)
    user.units.add(Unit.objects.get(key="statistik"))
    return user
