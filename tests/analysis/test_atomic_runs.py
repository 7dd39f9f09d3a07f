"""An analysis is stored all or nothing: derived indicators, their batch and values, the record."""

from __future__ import annotations

from datetime import date

import pytest

from quartier.analysis import runs
from quartier.analysis.models import Analysis
from quartier.indicators.models import ImportBatch, Indicator

pytestmark = pytest.mark.django_db


class Crash(Exception):
    """Stands for anything that ends a run between its outputs and its record."""


def test_a_failure_while_saving_the_record_leaves_no_outputs(users, monkeypatch):
    def crash(*args, **kwargs):
        raise Crash

    monkeypatch.setattr(runs, "save_analysis", crash)
    with pytest.raises(Crash):
        runs.run_typology(
            users["admin"],
            "Halbfertig",
            "stadtteil",
            date(2024, 12, 31),
            ["sgb2_u15", "ew_gesamt"],
            "kmeans",
            3,
        )
    assert not Indicator.objects.filter(key__startswith="typ_halbfertig").exists()
    assert not ImportBatch.objects.filter(source_name="Analyse: Halbfertig").exists()
    assert not Analysis.objects.filter(name="Halbfertig").exists()
