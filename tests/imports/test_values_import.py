"""Table imports into the database: real Berlin and Köln tables, and every validation rule."""

import csv
from datetime import date
from pathlib import Path

import pytest

from quartier.errors import QuartierError
from quartier.imports.tablemap import NewIndicator, TableMapping
from quartier.imports.tables import RawTable, read_table
from quartier.imports.values_import import check_table, commit_table
from quartier.indicators.models import ImportBatch, Indicator, Value
from tests.imports.test_geometry_import import KOELN, LOR, read, shapefile

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
MSS = DATA / "berlin-mss-2021"
POP = DATA / "berlin-einwohner-plr-2024" / "berlin-lor-population-2024-02-t2-planning-areas.csv"


@pytest.fixture
def plr(tmp_path):
    from quartier.imports.geometry_import import LevelTarget, import_level

    import_level(
        read(shapefile(LOR, "lor_planungsraeume_2021"), tmp_path),
        LevelTarget("planungsraum", "Planungsraum"),
    )


def csv_rows(path: Path, key: str) -> dict[str, dict]:
    with open(path, encoding="utf-8") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def value(indicator: str, code: str, period: date):
    row = Value.objects.filter(indicator__key=indicator, area__code=code, period=period).first()
    return None if row is None else row.value


def wide(columns: dict[str, tuple[str, str, str]], **kwargs) -> TableMapping:
    """A wide mapping creating one new indicator per column: column → (key, unit, kind)."""
    return TableMapping(
        layout="wide",
        columns={c: k for c, (k, _u, _kind) in columns.items()},
        new_indicators=[
            NewIndicator(key=k, name=c, unit=u, kind=kind) for c, (k, u, kind) in columns.items()
        ],
        **kwargs,
    )


def test_berlin_mss_index_indicators(plr):
    path = MSS / "mss_2021_index_indikatoren.csv"
    table = read_table(path)
    mapping = wide(
        {
            "EW": ("mss_ew", "Personen", "count"),
            "S1": ("mss_s1", "%", "rate"),
            "S2": ("mss_s2", "%", "rate"),
            "S3": ("mss_s3", "%", "rate"),
            "S4": ("mss_s4", "%", "rate"),
            "D1": ("mss_d1", "Prozentpunkte", "other"),
        },
        key_column="PLR_ID",
        level="planungsraum",
        period_column="ZEIT",
    )
    report, rows = check_table(table, mapping)
    assert report.errors == []
    assert any("−9999" in note and note.startswith("30 ") for note in report.notes)
    assert any("Langzeitarbeitslosigkeit" in w or "S2" in w for w in report.warnings)
    batch, _ = commit_table(table, mapping, source_name=path.name, sha256="x", accept_warnings=True)
    assert batch.rows_inserted == len(rows)
    source = csv_rows(path, "PLR_ID")
    end_2020 = date(2020, 12, 31)
    for code in ["01100101", "03300515", "08401243", "12500930"]:
        for column, key in [("S1", "mss_s1"), ("S4", "mss_s4"), ("D1", "mss_d1"), ("EW", "mss_ew")]:
            expected = source[code][column]
            expected = None if expected in ("", "-9999") else float(expected)
            assert value(key, code, end_2020) == expected, (code, column)
    assert not Value.objects.filter(indicator__key="mss_s2").exists()  # S2 is empty


def test_berlin_mss_context_indicators(plr):
    path = MSS / "mss_2021_kontext_indikatoren.csv"
    table = read_table(path)
    columns = {f"KI_{n:02d}": (f"mss_ki_{n:02d}", "%", "rate") for n in (1, 2, 3, 4, 5, 16, 17)}
    mapping = wide(columns, key_column="PLR_ID", level="planungsraum", period="31.12.2020")
    batch, report = commit_table(
        table, mapping, source_name=path.name, sha256="x", accept_warnings=True
    )
    assert report.errors == [] and batch.rows_inserted > 3500
    source = csv_rows(path, "PLR_ID")
    assert value("mss_ki_02", "01100101", date(2020, 12, 31)) == float(source["01100101"]["KI_02"])
    assert value("mss_ki_17", "08100102", date(2020, 12, 31)) == float(source["08100102"]["KI_17"])


def test_berlin_population_2024(plr):
    table = read_table(POP)
    mapping = wide(
        {
            "inhabitants": ("ew_2024", "Personen", "count"),
            "inhabitants_age_below_6": ("ew_u6", "Personen", "count"),
            "inhabitants_foreigners": ("ausl_2024", "Personen", "count"),
        },
        key_column="id",
        level="planungsraum",
        period="2024",
    )
    batch, report = commit_table(table, mapping, source_name=POP.name, sha256="x")
    assert report.warnings == [] and batch.rows_inserted == 3 * 542
    source = csv_rows(POP, "id")
    for code in ["01100101", "05300838", "12500930"]:
        assert value("ew_2024", code, date(2024, 12, 31)) == float(source[code]["inhabitants"])
    total = sum(Value.objects.filter(indicator__key="ew_2024").values_list("value", flat=True))
    assert total == 3_897_145  # SOURCE.md: Berlin total


def test_koeln_long_table_with_codes_across_levels(tmp_path):
    from quartier.imports.geometry_import import LevelTarget, import_level

    import_level(read(shapefile(KOELN, "Stadtbezirk"), tmp_path), LevelTarget("bezirk_k", "Bezirk"))
    import_level(
        read(shapefile(KOELN, "Stadtteil"), tmp_path),
        LevelTarget("teil_k", "Stadtteil", "bezirk_k"),
    )
    path = DATA / "koeln-stadtteile-2012" / "bevoelkerung_stadtteile_2005-2012.csv"
    table = read_table(path)

    def long(level, key):
        return TableMapping(
            layout="long",
            key_column="raum_id",
            level=level,
            period_column="jahr",
            indicator_columns=["tabelle", "zeile"],
            value_column="zahl",
            indicator_labels={"Einwohner in Köln – Einwohner": key},
            new_indicators=[NewIndicator(key=key, name="Einwohner")],
        )

    # Stadtbezirke: the table writes "001", the shapefile "1"
    report, _rows = check_table(table, long("bezirk_k", "ew_bezirk"))
    assert any("„001“ → 1" in w for w in report.warnings)
    assert any("„101“" in w and "Unbekannte" in w for w in report.warnings)  # Stadtteile
    commit_table(
        table,
        long("bezirk_k", "ew_bezirk"),
        source_name=path.name,
        sha256="x",
        accept_warnings=True,
    )
    assert value("ew_bezirk", "1", date(2005, 12, 31)) == 129496.0  # Innenstadt, from "001"
    # Stadtteile
    report, _rows = check_table(table, long("teil_k", "ew_koeln"))
    assert any("„000“" in w and "Unbekannte" in w for w in report.warnings)  # the city total
    commit_table(
        table, long("teil_k", "ew_koeln"), source_name=path.name, sha256="x", accept_warnings=True
    )
    stadtteile = Value.objects.filter(indicator__key="ew_koeln", period=date(2012, 12, 31))
    assert stadtteile.count() == 86
    assert sum(stadtteile.values_list("value", flat=True)) == 1_044_555


def table(rows: list[list[str]], columns: list[str]) -> RawTable:
    return RawTable(
        columns=columns,
        rows=rows,
        header_row=0,
        file_format="csv",
        encoding="utf-8",
        delimiter=";",
        decimal=",",
        thousands=".",
        sheet=None,
        sheets=[],
        notes=[],
    )


def mss(columns, rows):
    return table(rows, ["Baublock", *columns])


def blocks(n=3):
    from quartier.spatial.models import Area

    return list(
        Area.objects.filter(level__key="baublock")
        .order_by("code")
        .values_list("code", flat=True)[:n]
    )


def existing(columns: dict[str, str], **kwargs) -> TableMapping:
    return TableMapping(
        layout="wide",
        key_column="Baublock",
        level="baublock",
        period="2030",
        columns=columns,
        **kwargs,
    )


def test_validation_errors_block_and_nothing_is_written():
    a, b, c = blocks()
    rows = [[a, "abc", "5"], [b, "-3", "5"], [c, "9", "5"], [c, "9", "5"]]
    mapping = existing({"x": "arbeitslose", "y": "ew_15_64"})
    report, _ = check_table(mss(["x", "y"], rows), mapping)
    text = " ".join(report.errors)
    assert "Keine Zahlen" in text and "abc" in text
    assert "Negative Anzahlen" in text
    assert "Doppelte" in text
    assert "Zähler größer als Nenner" in text  # arbeitslose 9 > ew_15_64 5
    before = Value.objects.count()
    with pytest.raises(QuartierError):
        commit_table(mss(["x", "y"], rows), mapping, source_name="t", sha256="")
    assert Value.objects.count() == before
    assert not ImportBatch.objects.filter(source_name="t").exists()


def test_shares_outside_0_to_100_and_new_indicator_rolled_back_on_error():
    a, b, _c = blocks()
    mapping = TableMapping(
        layout="wide",
        key_column="Baublock",
        level="baublock",
        period="2030",
        columns={"q": "neue_quote"},
        new_indicators=[NewIndicator(key="neue_quote", name="Quote", unit="%", kind="rate")],
    )
    rows = [[a, "12,5"], [b, "130"]]
    report, _ = check_table(mss(["q"], rows), mapping)
    assert any("0–100" in e for e in report.errors)
    with pytest.raises(QuartierError):
        commit_table(mss(["q"], rows), mapping, source_name="t", sha256="")
    assert not Indicator.objects.filter(key="neue_quote").exists()


def test_unknown_codes_suggestions_and_lost_leading_zero():
    a, b, _c = blocks()
    rows = [[a.lstrip("0"), "5"], ["99999999", "7"], [b[:-1] + "x", "8"]]
    report, stored = check_table(mss(["x"], rows), existing({"x": "arbeitslose"}))
    warnings = " ".join(report.warnings)
    assert f"„{a.lstrip('0')}“ → {a}" in warnings  # lost leading zero matched
    assert "„99999999“" in warnings and "Unbekannte" in warnings
    assert f"meinten Sie {b}" in warnings or b in warnings  # a suggestion for the typo
    assert len(stored) == 1


def test_statistics_symbols_and_sentinels():
    a, b, c = blocks()
    d = blocks(4)[3]
    rows = [[a, "."], [b, "-"], [c, "x"], [d, "-9999"]]
    report, stored = check_table(mss(["x"], rows), existing({"x": "arbeitslose"}))
    flags = {v[4]: v[3] for v in stored}
    assert flags == {".": None, "-": 0.0, "x": None}
    assert any("−9999" in n for n in report.notes)


def test_far_from_previous_period_is_a_warning():
    a, _b, _c = blocks()
    previous = Value.objects.get(
        indicator__key="ew_gesamt", area__code=a, period=date(2024, 12, 31)
    )
    rows = [[a, str(int(previous.value * 3 + 50))]]
    report, _ = check_table(mss(["x"], rows), existing({"x": "ew_gesamt"}))
    assert any("Sprünge" in w for w in report.warnings)


def test_warnings_must_be_accepted_and_replaced_values_keep_history():
    a, _b, _c = blocks()
    rows = [[a, "4711"]]
    mapping = TableMapping(
        layout="wide",
        key_column="Baublock",
        level="baublock",
        period="2024",
        columns={"x": "ew_gesamt"},
    )
    with pytest.raises(QuartierError, match="Warnungen"):
        commit_table(mss(["x"], rows), mapping, source_name="t", sha256="")
    batch, _ = commit_table(
        mss(["x"], rows), mapping, source_name="t", sha256="", accept_warnings=True
    )
    assert batch.rows_replaced == 1
    assert value("ew_gesamt", a, date(2024, 12, 31)) == 4711.0
    from quartier.indicators.models import ValueRevision

    assert ValueRevision.objects.filter(replaced_by=batch).count() == 1


def test_wide_by_period_layout():
    a, b, _c = blocks()
    rows = [[a, "1", "2"], [b, "3", "4"]]
    mapping = TableMapping(
        layout="wide_period",
        key_column="Baublock",
        level="baublock",
        indicator="hze_faelle",
        period_columns=["2030", "31.12.2031"],
    )
    report, stored = check_table(mss(["2030", "31.12.2031"], rows), mapping)
    assert report.errors == []
    assert sorted((v[2], v[3]) for v in stored) == [
        (date(2030, 12, 31), 1.0),
        (date(2030, 12, 31), 3.0),
        (date(2031, 12, 31), 2.0),
        (date(2031, 12, 31), 4.0),
    ]


def test_data_stewards_may_only_write_their_units_indicators(users):
    a, _b, _c = blocks()
    with pytest.raises(QuartierError) as err:
        check_table(mss(["x"], [[a, "5"]]), existing({"x": "arbeitslose"}), users["steward"])
    assert err.value.status == 403
    report, _ = check_table(mss(["x"], [[a, "5"]]), existing({"x": "hze_faelle"}), users["steward"])
    assert report.errors == []


def test_new_rate_from_new_counts_is_computed_not_stored(users):
    from quartier.indicators import readlayer
    from quartier.spatial.models import Level

    a, b, _c = blocks()
    rows = [[a, "3", "10", "30,0"], [b, "1", "20", "5,0"]]
    mapping = TableMapping(
        layout="wide",
        key_column="Baublock",
        level="baublock",
        period="2030",
        columns={"faelle": "t_faelle", "basis": "t_basis", "quote": "t_quote"},
        new_indicators=[
            NewIndicator(
                key="t_quote",
                name="Testquote",
                unit="%",
                kind="rate",
                numerator="t_faelle",
                denominator="t_basis",
            ),
            NewIndicator(key="t_faelle", name="Fälle"),
            NewIndicator(key="t_basis", name="Basis"),
        ],
    )
    report, stored = check_table(mss(["faelle", "basis", "quote"], rows), mapping)
    assert any("Testquote" in n for n in report.notes)
    assert {s[0] for s in stored} == {"t_faelle", "t_basis"}
    commit_table(
        mss(["faelle", "basis", "quote"], rows),
        mapping,
        source_name="t",
        sha256="",
        accept_warnings=True,
    )
    quote = Indicator.objects.get(key="t_quote")
    assert quote.is_computed and quote.numerator.key == "t_faelle"
    Indicator.objects.filter(pk=quote.pk).update(visibility="public")
    quote.refresh_from_db()
    result = readlayer.total_value(users["admin"], quote, date(2030, 12, 31))
    assert result == pytest.approx(4 / 30 * 100)
    assert Level.objects.filter(key="baublock").exists()
