"""The per-request reader: one pinned area index, and disclosure control that fails closed."""

from datetime import date

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser

from quartier.access.models import AuditEntry, Role, Unit, User
from quartier.errors import ProtectionError
from quartier.indicators import disclosure, readlayer, store
from quartier.indicators.compute import compute
from quartier.indicators.models import Indicator
from quartier.indicators.status import Status
from quartier.spatial.index import area_index, clear_area_index
from quartier.spatial.models import Area, Level

pytestmark = pytest.mark.django_db
P2024 = date(2024, 12, 31)


def _hidden_codes(indicator, level) -> set[str]:
    result = readlayer.area_values(AnonymousUser(), indicator, level, P2024)
    return {code for code, _n, _v, status in result.rows() if status == Status.SUPPRESSED}


def test_an_area_index_reloaded_between_values_and_protection_leaks_nothing(monkeypatch):
    """The index reloads (an import in another thread) right after the values are computed.

    Before the reader pinned one index, protection fetched the index again, got masks
    for other areas, and passed the values through unprotected.
    """
    indicator = Indicator.objects.get(key="sgb2_u15")
    level = Level.objects.get(key="sozialraum")
    hidden = _hidden_codes(indicator, level)
    assert hidden
    real_compute = readlayer.compute

    def compute_then_reload(index, *args):
        result = real_compute(index, *args)
        added = Area.objects.filter(level=level).first()
        added.pk, added.code, added.name = None, "99999", "Neu"
        added.save()  # its post_save signal clears the cached index, as an import would
        clear_area_index()
        return result

    monkeypatch.setattr(readlayer, "compute", compute_then_reload)
    store.clear()  # the series protected above is kept: compute it again, with the reload
    result = readlayer.area_values(AnonymousUser(), indicator, level, P2024)
    monkeypatch.undo()
    assert len(area_index().areas(level).ids) == len(result) + 1  # the index did reload
    shown = {code for code, _n, value, _s in result.rows() if value is not None}
    assert not hidden & shown
    assert all(result.status_of(code) == Status.SUPPRESSED for code in hidden)


def test_the_reader_pins_one_index_for_the_whole_request(users):
    reader = readlayer.reader(users["analyst"])
    assert readlayer.reader(users["analyst"]) is reader
    clear_area_index()
    assert area_index() is not reader.index
    level = reader.level("stadtteil")
    result = reader.values(Indicator.objects.get(key="kinderarmut"), level, P2024)
    assert result.index_version == reader.index.version
    assert readlayer.reader(AnonymousUser()) is not reader


def _mismatched_masks(extra: int):
    def hidden_cells(index, indicator, period):
        return {
            lv.id: np.ones(index.valid_positions(lv, period).size + extra, dtype=bool)
            for lv in index.levels
        }

    return hidden_cells


def test_a_mask_of_another_size_raises_instead_of_passing_values_through(monkeypatch):
    indicator = Indicator.objects.get(key="sgb2_u15")
    level = Level.objects.get(key="stadtteil")
    monkeypatch.setattr(disclosure, "hidden_cells", _mismatched_masks(1))
    with pytest.raises(ProtectionError) as caught:
        readlayer.area_values(AnonymousUser(), indicator, level, P2024)
    assert caught.value.status == 503 and "Geheimhaltung" in caught.value.message


def test_a_missing_mask_for_a_level_with_values_raises(monkeypatch):
    indicator = Indicator.objects.get(key="sgb2_u15")
    level = Level.objects.get(key="stadtteil")
    masks = _mismatched_masks(0)
    monkeypatch.setattr(
        disclosure,
        "hidden_cells",
        lambda index, ind, period: {
            k: v for k, v in masks(index, ind, period).items() if k != level.id
        },
    )
    with pytest.raises(ProtectionError):
        readlayer.area_values(AnonymousUser(), indicator, level, P2024)


def test_values_of_another_index_than_the_masks_raise():
    indicator = Indicator.objects.get(key="sgb2_u15")
    level = Level.objects.get(key="stadtteil")
    first = area_index()
    clear_area_index()
    second = area_index()
    assert first.version != second.version
    result = compute(first, indicator, level, P2024)
    with pytest.raises(ProtectionError):
        disclosure.protect(result, second, AnonymousUser())
    assert disclosure.protect(result, first, AnonymousUser()).index_version == first.version


def test_masks_of_an_earlier_index_are_not_reused_when_its_id_comes_again(monkeypatch):
    """``id()`` of a freed index is reused by the next one: the mask cache must not mix them."""
    monkeypatch.setattr(disclosure, "id", lambda _obj: 4711, raising=False)
    indicator = Indicator.objects.get(key="sgb2_u15")
    level = Level.objects.get(key="sozialraum")
    first = readlayer.area_values(AnonymousUser(), indicator, level, P2024)
    gone = Area.objects.get(level=level, code=first.codes[0], valid_to__isnull=True)
    Area.objects.filter(pk=gone.pk).update(valid_from=date(2030, 1, 1))  # no signal
    clear_area_index()
    second = readlayer.area_values(AnonymousUser(), indicator, level, P2024)
    assert len(second) == len(first) - 1
    assert (second.status == Status.SUPPRESSED).any()


def test_a_steward_sees_each_hidden_value_marked_confidential(users):
    """Per cell: exactly the values others see suppressed are CONFIDENTIAL for the steward."""
    hze = Indicator.objects.get(key="hze_faelle")
    block = Level.objects.get(key="baublock")
    other = User.objects.create_user("ja_analyst3", role=Role.ANALYST)
    other.units.add(Unit.objects.get(key="jugendamt"))
    protected = readlayer.area_values(other, hze, block, P2024)
    steward = readlayer.area_values(users["steward"], hze, block, P2024)
    assert (protected.status == Status.SUPPRESSED).any()
    hidden = protected.status == Status.SUPPRESSED
    shown_to_steward = steward.shown
    assert ((steward.status == Status.CONFIDENTIAL) == (hidden & shown_to_steward)).all()
    assert (steward.status[~hidden] == protected.status[~hidden]).all()
    assert steward.confidential and not protected.confidential


def test_confidential_views_are_audited_once_per_reader_also_without_a_request(users):
    """A command-line run keeps one reader: the same view is recorded once, another again."""
    hze = Indicator.objects.get(key="hze_faelle")
    block = Level.objects.get(key="baublock")
    before = AuditEntry.objects.filter(action=AuditEntry.Action.CONFIDENTIAL).count()
    for _ in range(3):
        readlayer.area_values(users["steward"], hze, block, P2024)
    readlayer.area_values(users["steward"], hze, block, date(2023, 12, 31))
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.CONFIDENTIAL)
    assert entries.count() == before + 2
    assert entries.latest("id").user == users["steward"]


MESSAGE = "Die Werte können gerade nicht sicher geschützt werden"


@pytest.mark.parametrize(
    "url, kind",
    [
        ("/karte/werte/?ebene=stadtteil&indikator=sgb2_u15", "json"),
        ("/karte/gebiet/stadtteil/011/?indikator=sgb2_u15", "json"),
        ("/tabelle/?ebene=stadtteil&indikator=sgb2_u15", "html"),
        ("/tabelle/csv/?ebene=stadtteil&indikator=sgb2_u15", "html"),
        ("/indikatoren/sgb2_u15/?ebene=stadtteil", "html"),
        ("/gebiete/stadtteil/011/", "html"),
        ("/vergleich/?gebiet=stadtteil:011", "html"),
        ("/export/datei/?indikator=sgb2_u15&ebene=stadtteil&format=csv", "html"),
        ("/api/v1/values/?indicator=sgb2_u15&level=stadtteil", "api"),
        ("/api/v1/profiles/stadtteil/011/", "api"),
        ("/api/v1/exports/?indicator=sgb2_u15&level=stadtteil", "api"),
        ("/ogc/collections/stadtteil/items?properties=sgb2_u15&f=json", "ogc"),
        ("/ogc/collections/stadtteil/items/011?properties=sgb2_u15&f=html", "html"),
    ],
)
def test_every_interface_answers_a_failed_protection_with_503_and_no_values(
    client, monkeypatch, url, kind
):
    monkeypatch.setattr(disclosure, "hidden_cells", _mismatched_masks(1))
    response = client.get(url)
    assert response.status_code == 503
    if kind == "html":
        assert response["Content-Type"].startswith("text/html")
        assert MESSAGE in response.content.decode()
    elif kind == "ogc":
        body = response.json()
        assert body["code"] == "ServiceUnavailable" and body["description"].startswith(MESSAGE)
    else:
        assert response.json()["error"].startswith(MESSAGE)


def test_the_command_line_ends_with_the_message_and_writes_no_file(monkeypatch, tmp_path, capsys):
    from quartier.cli import main

    monkeypatch.setattr(disclosure, "hidden_cells", _mismatched_masks(1))
    argv = ["export", "--indicator", "sgb2_u15", "--level", "stadtteil", "--format", "csv"]
    assert main([*argv, "--output", str(tmp_path)]) == 2
    assert MESSAGE in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
