"""Exports keep visibility and disclosure control, mark confidential files and are audited."""

from __future__ import annotations

import io
import json

import openpyxl
import pyogrio
import pytest

from quartier.access.models import AuditEntry
from quartier.errors import NotFound, QuartierError
from quartier.exports import selection
from quartier.exports.service import build_export
from quartier.indicators import readlayer
from quartier.indicators.status import Status
from tests.exports.conftest import P24, expected, read_csv, sheet_xml

pytestmark = pytest.mark.django_db

FORMATS = ["csv", "csv-de", "xlsx", "geojson", "gpkg"]


def _secrets(users) -> tuple[set[str], dict[str, float]]:
    """Baublöcke where `arbeitslose` is hidden for the public, and the hidden numbers that
    no public cell shows anywhere (the small counts 1 and 2, and others)."""
    public = expected(users["anonymous"], "arbeitslose", "baublock", P24)
    true = expected(users["admin"], "arbeitslose", "baublock", P24)
    hidden = {code for code, (status, _v) in public.items() if status == Status.SUPPRESSED}
    shown = {v for status, v in public.values() if status == Status.OK}
    secret = {code: true[code][1] for code in hidden if true[code][1] not in shown}
    assert len(hidden) > 50 and {1, 2} <= set(secret.values())
    return hidden, secret


def test_csv_and_xlsx_show_a_dot_and_never_the_hidden_number(users):
    hidden, secret = _secrets(users)
    numbers = {f"{int(v)}" for v in secret.values()}
    for fmt in ("csv", "csv-de"):
        for who, expect_secret in (("anonymous", False), ("admin", True)):
            export = build_export(users[who], ["arbeitslose"], ["baublock"], [P24], fmt)
            _header, rows, _meta = read_csv(export.content, fmt == "csv-de")
            cells = {row[1]: row[4] for row in rows}
            if expect_secret:  # the control: the same cells carry the numbers for an admin
                assert {cells[code] for code in secret} <= numbers
                continue
            assert {cells[code] for code in hidden} == {"."}
            every_cell = {text for row in rows for text in row}
            assert not every_cell & numbers
    public = build_export(users["anonymous"], ["arbeitslose"], ["baublock"], [P24], "xlsx")
    admin = build_export(users["admin"], ["arbeitslose"], ["baublock"], [P24], "xlsx")
    for content, leaks in ((public.content, False), (admin.content, True)):
        xml = sheet_xml(content)
        assert any(f"<v>{n}</v>" in xml for n in numbers) is leaks
        ws = openpyxl.load_workbook(io.BytesIO(content))["Baublock"]
        cells = {row[1]: row[4] for row in ws.iter_rows(min_row=2, values_only=True)}
        if not leaks:
            assert {cells[code] for code in hidden} == {"."}
            assert not {v for v in cells.values() if not isinstance(v, str)} & set(secret.values())


def test_geodata_has_null_and_status_geheim_for_hidden_values(users, tmp_path):
    hidden, secret = _secrets(users)
    doc = json.loads(
        build_export(users["anonymous"], ["arbeitslose"], ["baublock"], [P24], "geojson").content
    )
    props = {f["properties"]["schluessel"]: f["properties"] for f in doc["features"]}
    for code in hidden:
        assert props[code]["arbeitslose"] is None
        assert props[code]["arbeitslose_status"] == "geheim"
    shown = {p["arbeitslose"] for p in props.values()}
    assert not shown & set(secret.values())
    path = tmp_path / "x.gpkg"
    path.write_bytes(
        build_export(users["anonymous"], ["arbeitslose"], ["baublock"], [P24], "gpkg").content
    )
    frame = pyogrio.read_dataframe(path, layer="baublock").set_index("schluessel")
    assert frame.loc[sorted(hidden), "arbeitslose"].isna().all()
    assert set(frame.loc[sorted(hidden), "arbeitslose_status"]) == {"geheim"}
    assert not set(frame["arbeitslose"].dropna()) & set(secret.values())


@pytest.mark.parametrize("fmt", FORMATS)
def test_invisible_indicators_are_not_found_without_their_name(users, fmt):
    for who, key, name in (
        ("anonymous", "quote_uebergewicht", "Übergewicht"),
        ("analyst", "hze_quote", "Hilfen"),
    ):
        with pytest.raises(NotFound) as info:
            build_export(users[who], ["kinderarmut", key], ["stadtteil"], None, fmt)
        assert info.value.status == 404 and name not in info.value.message
    with pytest.raises(NotFound):
        build_export(users["anonymous"], ["kinderarmut"], ["gibtesnicht"], None, fmt)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_bad_input_is_refused_with_a_german_message(users):
    anonymous = users["anonymous"]
    cases = [
        ((["kinderarmut"], ["stadtteil"], None, "pdf"), "Unbekanntes Format"),
        (([], ["stadtteil"], None, "csv"), "mindestens einen Indikator"),
        ((["kinderarmut"], [], None, "csv"), "mindestens eine Raumebene"),
        ((["kinderarmut"], ["stadtteil"], [P24.replace(year=2030)], "csv"), "keine Werte"),
    ]
    for args, message in cases:
        with pytest.raises(QuartierError) as info:
            build_export(anonymous, *args)
        assert info.value.status == 400 and message in info.value.message


def test_too_large_exports_are_refused_before_reading(users):
    everything = [i.key for i in readlayer.visible_indicators(users["analyst"])]
    periods = readlayer.periods_by_indicator(users["analyst"])
    all_periods = sorted({p for plist in periods.values() for p in plist})
    with pytest.raises(QuartierError) as info:
        build_export(users["analyst"], everything, ["baublock"], all_periods, "csv")
    assert info.value.status == 400 and "zu groß" in info.value.message
    # XLSX has a lower limit than the other formats
    keys = ["ew_gesamt", "kinderarmut", "arbeitslose", "sgb2_quote", "sgb2_gesamt", "ew_u15"]
    sel = selection.select(users["analyst"], keys, ["baublock"], all_periods)
    cells = selection.count_cells(sel)
    assert selection.MAX_CELLS_XLSX < cells <= selection.MAX_CELLS
    with pytest.raises(QuartierError):
        build_export(users["analyst"], keys, ["baublock"], all_periods, "xlsx")
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_each_export_is_audited_once_with_the_confidential_flag(users):
    build_export(users["analyst"], ["arbeitslose", "kinderarmut"], ["baublock"], None, "xlsx")
    entries = list(AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT))
    assert len(entries) == 1
    entry = entries[0]
    assert entry.user == users["analyst"] and entry.target == "arbeitslose,kinderarmut"
    assert entry.details == {
        "format": "xlsx",
        "levels": ["baublock"],
        "periods": [P24.isoformat()],
        "indicators": ["arbeitslose", "kinderarmut"],
        "confidential": False,
    }
    export = build_export(users["admin"], ["arbeitslose"], ["baublock"], [P24], "csv-de")
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).first()
    assert entry.user == users["admin"] and entry.details["confidential"] is True
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == 2
    assert export.filename == "arbeitslose_baublock_2024-12-31_vertraulich.csv"
    _header, _rows, meta = read_csv(export.content, True)
    assert any(row[:1] == ["Vertraulich"] and "VERTRAULICH" in row[1] for row in meta)


def test_confidential_marks_in_every_format(users, tmp_path):
    steward = users["steward"]  # Jugendamt: sees its own hze_quote unprotected
    for fmt in FORMATS:
        export = build_export(steward, ["hze_quote"], ["baublock"], [P24], fmt)
        assert "_vertraulich." in export.filename, fmt
        if fmt == "xlsx":
            wb = openpyxl.load_workbook(io.BytesIO(export.content))
            meta = {r[0]: r[1] for r in wb["Metadaten"].iter_rows(values_only=True) if r}
            assert meta["Vertraulich"].startswith("VERTRAULICH")
        elif fmt == "geojson":
            assert json.loads(export.content)["metadata"]["vertraulich"] is True
        elif fmt == "gpkg":
            path = tmp_path / "v.gpkg"
            path.write_bytes(export.content)
            meta = pyogrio.read_dataframe(path, layer="quartier_metadaten")
            assert "Vertraulich" in set(meta["feld"])
            assert (
                pyogrio.read_info(path, layer="baublock")["layer_metadata"]["vertraulich"] == "ja"
            )
    assert set(
        AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).values_list(
            "details__confidential", flat=True
        )
    ) == {True}
    # the same indicator for the public portal: not visible; for an analyst neither
    public = build_export(users["admin"], ["kinderarmut"], ["stadtteil"], [P24], "csv")
    assert "vertraulich" not in public.filename
