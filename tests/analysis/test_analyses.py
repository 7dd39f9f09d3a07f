"""Analyses through the read layer and the pages, each against an independent reference."""

import csv
import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from quartier.analysis.models import Analysis
from quartier.analysis.runs import run_mss
from quartier.errors import QuartierError
from quartier.indicators import readlayer
from quartier.indicators.models import Indicator, Value
from quartier.spatial.models import Level

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
P = date(2024, 12, 31)


def z(x):
    return (x - np.nanmean(x)) / np.nanstd(x)


@pytest.fixture
def admin_client(client, users):
    client.force_login(users["admin"])
    return client


def stored(indicator_key, level_key="stadtteil", period=P):
    level = Level.objects.get(key=level_key)
    ind = Indicator.objects.get(key=indicator_key)
    return dict(
        Value.objects.filter(indicator=ind, area__level=level, period=period).values_list(
            "area__code", "value"
        )
    )


def shown(user, key, level_key="stadtteil", period=P):
    ind = Indicator.objects.get(key=key)
    r = readlayer.area_values(user, ind, Level.objects.get(key=level_key), period)
    return r.codes, np.where(r.shown, r.values, np.nan)


def run(client, kind, data) -> Analysis:
    response = client.post(f"/analysen/neu/{kind}/", data)
    assert response.status_code == 302, re.findall(
        r'role="alert"[^>]*>([^<]*)', response.content.decode()
    )
    return Analysis.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_mss_preset_on_berlin_2021_matches_the_handbook_method(tmp_path, users):
    from quartier.imports.geometry_import import LevelTarget, import_level
    from quartier.imports.tablemap import NewIndicator, TableMapping
    from quartier.imports.tables import read_table
    from quartier.imports.values_import import commit_table
    from tests.imports.test_geometry_import import LOR, read, shapefile

    import_level(
        read(shapefile(LOR, "lor_planungsraeume_2021"), tmp_path),
        LevelTarget("planungsraum", "Planungsraum"),
    )
    path = DATA / "berlin-mss-2021" / "mss_2021_index_indikatoren.csv"
    columns = ["S1", "S3", "S4", "D1", "D3", "D4"]
    mapping = TableMapping(
        layout="wide",
        key_column="PLR_ID",
        level="planungsraum",
        period_column="ZEIT",
        columns={c: f"mss_{c.lower()}" for c in [*columns, "EW"]},
        new_indicators=[
            NewIndicator(
                key=f"mss_{c.lower()}",
                name=c,
                unit="%" if c[0] == "S" else "Prozentpunkte",
                kind="other",
            )
            for c in columns
        ]
        + [NewIndicator(key="mss_ew", name="Einwohner", unit="Personen", kind="count")],
    )
    commit_table(read_table(path), mapping, source_name=path.name, sha256="", accept_warnings=True)
    # The preset's minimum of 300 residents (the EW column) is the handbook's rule.
    keys = {c.lower(): f"mss_{c.lower()}" for c in columns} | {"residents": "mss_ew"}
    analysis = run_mss(users["admin"], "MSS 2021", "planungsraum", date(2020, 12, 31), keys)

    # independent reference: plain numpy on the CSV, valid PLR only (population SD)
    with open(path, encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["KOM"] == "gültig"]
    values = {c: np.array([float(r[c]) for r in rows]) for c in columns}
    status = z(z(values["S1"]) + z(values["S3"]) + z(values["S4"]))
    dynamic = z(z(values["D1"]) + z(values["D3"]) + z(values["D4"]))
    status_class = np.select([status < -1, status <= 1, status <= 1.5], [1, 2, 3], 4)
    dynamic_class = np.select([dynamic < -1, dynamic <= 1], [1, 2], 3)
    got_status = stored("mss_mss_2021_status_klasse", "planungsraum", date(2020, 12, 31))
    got_score = stored("mss_mss_2021_status", "planungsraum", date(2020, 12, 31))
    got_dynamic = stored("mss_mss_2021_dynamik_klasse", "planungsraum", date(2020, 12, 31))
    assert len(got_status) == len(rows) == 536  # the six "ungültig" PLR are left out
    for r, s, sc, d in zip(rows, status, status_class, dynamic_class, strict=True):
        assert got_score[r["PLR_ID"]] == pytest.approx(s, abs=1e-9)
        assert got_status[r["PLR_ID"]] == sc and got_dynamic[r["PLR_ID"]] == d
    assert sum(analysis.result["counts"].values()) == 536
    codes = stored("mss_mss_2021_gesamt", "planungsraum", date(2020, 12, 31))
    assert set(codes.values()) <= set(range(1, 13))
    # The six "ungültig" PLR get no group, each with its reason: four have under 300
    # residents, one has no resident count and one ("Ausreißer") no values.
    with open(path, encoding="utf-8") as handle:
        invalid = {r["PLR_ID"]: r["EW"] for r in csv.DictReader(handle) if r["KOM"] != "gültig"}
    reasons = analysis.result["unclassified"]
    few = {code for code, _name in reasons["few_residents"]}
    assert few == {c for c, ew in invalid.items() if ew and float(ew) < 300} and len(few) == 4
    assert {c for c, _n in reasons["missing"]} == set(invalid) - few
    assert reasons["secret"] == []


def test_status_dynamics_matrix_page(admin_client, users):
    keys = {
        "s1": "arbeitslosenquote",
        "s3": "sgb2_quote",
        "s4": "kinderarmut",
        "d1": "anteil_alleinerziehend",
        "d3": "auslaenderanteil",
        "d4": "anteil_migration",
        "residents": "ew_gesamt",
    }
    analysis = run_mss(users["admin"], "Muster-MSS", "sozialraum", P, keys)
    html = admin_client.get(f"/analysen/{analysis.pk}/").content.decode()
    cells = re.findall(
        r'<td data-code="([^"]+)" class="(mss-g\w+)"><strong>[^:]+: (\d+)</strong>', html
    )
    # On protected values (the default) the areas with a secret input are left out, and said so.
    secret = analysis.result["secret"]["areas"]
    assert len(cells) == 12 and sum(int(n) for _c, _k, n in cells) + secret == 225 and secret > 0
    assert f"{secret} Gebiete ohne Ergebnis, weil Werte geheim sind" in html
    assert "indikator=mss_muster_mss_gesamt" in html and "gebiet=" in html
    # Each group has its own colour class (text stays in the cell), explained in a legend.
    assert len({k for _c, k, _n in cells}) == 12
    assert "2+/-: Status mittel, Dynamik stabil" in html and 'id="mss-legende"' in html
    # Which areas got no group, and why.
    reasons = dict(re.findall(r'data-reason="(\w+)"><strong>(\d+)</strong>', html))
    assert reasons == {"secret": str(secret)}
    assert len(analysis.result["unclassified"]["secret"]) == secret
    # The inputs are named with their units, level and Stichtag.
    inputs = html[html.index('id="eingaben"') : html.index("</dl>")]
    kinderarmut = Indicator.objects.get(key="kinderarmut")
    assert f"{kinderarmut.name} ({kinderarmut.unit})" in inputs and "31.12.2024" in inputs
    assert "S4 Kinderarmut" in inputs and "Sozialraum" in inputs


def test_index_builder_matches_numpy(admin_client, users):
    keys = ["kinderarmut", "sgb2_quote", "arbeitslosenquote"]
    data = {
        "name": "Sozialindex",
        "ebene": "stadtteil",
        "stichtag": P.isoformat(),
        "indikatoren": keys,
        "standardisierung": "z",
        "kombination": "sum",
        "erneut": "ja",
        "klassen": "sd",
    }
    for key in keys:
        data[f"richtung-{key}"] = "1"
        data[f"gewicht-{key}"] = "1"
    run(admin_client, "index", data)
    codes, _ = shown(users["admin"], "kinderarmut")
    reference = z(sum(z(shown(users["admin"], k)[1]) for k in keys))
    scores = stored("index_sozialindex_wert")
    for code, expected in zip(codes, reference, strict=True):
        assert scores[code] == pytest.approx(expected, abs=1e-9)
    index = Indicator.objects.get(key="index_sozialindex_wert")
    assert index.visibility == "internal" and index.definition["kind"] == "index"
    assert set(index.derived_from.values_list("key", flat=True)) == set(keys)


def test_typology_matches_sklearn(admin_client, users):
    from sklearn.cluster import KMeans

    keys = ["kinderarmut", "anteil_65plus", "anteil_migration", "wohnflaeche_je_ew"]
    run(
        admin_client,
        "typology",
        {
            "name": "Typen",
            "ebene": "sozialraum",
            "stichtag": P.isoformat(),
            "indikatoren": keys,
            "methode": "kmeans",
            "k": "4",
            "werte": "ungeschuetzt",  # the reference uses every value, as the admin sees it
        },
    )
    matrix = np.column_stack([z(shown(users["admin"], k, "sozialraum")[1]) for k in keys])
    reference = KMeans(n_clusters=4, random_state=42, n_init=10).fit_predict(matrix)
    codes = shown(users["admin"], keys[0], "sozialraum")[0]
    types = stored("typ_typen_typ", "sozialraum")
    pairs = {(types[c], r) for c, r in zip(codes, reference, strict=True)}
    assert len(pairs) == 4  # the same partition, up to the numbering of the types


def test_lisa_matches_esda_with_libpysal_queen(admin_client, users):
    import geopandas as gpd
    import libpysal
    import shapely
    from esda import Moran

    analysis = run(
        admin_client,
        "lisa",
        {
            "name": "Hotspots",
            "ebene": "sozialraum",
            "stichtag": P.isoformat(),
            "indikator": "kinderarmut",
            "permutationen": "99",
            "signifikanz": "0.05",
            "werte": "ungeschuetzt",  # the reference uses every value, as the admin sees it
        },
    )
    level = Level.objects.get(key="sozialraum")
    areas = list(level.areas.order_by("code"))
    frame = gpd.GeoDataFrame(
        {"code": [a.code for a in areas]},
        geometry=[shapely.from_wkb(bytes(a.geometry)) for a in areas],
    )
    weights = libpysal.weights.Queen.from_dataframe(frame, use_index=False)
    weights.transform = "r"
    _codes, values = shown(users["admin"], "kinderarmut", "sozialraum")
    expected = Moran(values, weights, permutations=0)
    assert analysis.result["moran_i"] == pytest.approx(expected.I, abs=1e-9)
    hot = stored("lisa_hotspots_typ", "sozialraum")
    assert set(hot.values()) <= {1, 2, 3, 4, 5} and len(hot) == 225


def test_segregation_series_matches_the_segregation_package(admin_client, users):
    import pandas as pd
    from segregation.singlegroup import Dissim

    analysis = run(
        admin_client,
        "segregation",
        {
            "name": "Kinderarmut Segregation",
            "ebene": "sozialraum",
            "gruppe": "sgb2_u15",
            "gesamt": "ew_u15",
            "werte": "ungeschuetzt",  # the reference uses every value, as the admin sees it
        },
    )
    series = analysis.result["series"]
    assert len(series) == 11
    _c, group = shown(users["admin"], "sgb2_u15", "sozialraum")
    _c, total = shown(users["admin"], "ew_u15", "sozialraum")
    frame = pd.DataFrame({"g": group, "t": total})
    expected = Dissim(frame, group_pop_var="g", total_pop_var="t").statistic
    assert series[-1]["dissimilarity"] == pytest.approx(expected, abs=1e-12)
    page = admin_client.get(f"/analysen/{analysis.pk}/").content.decode()
    assert page.count("<tr><td>20") == 11


def test_special_need_rule(admin_client, users):
    analysis = run(
        admin_client,
        "need",
        {
            "name": "Kinderarmut hoch",
            "ebene": "stadtteil",
            "bedingung-1-indikator": "kinderarmut",
            "bedingung-1-op": ">=",
            "bedingung-1-wert": "1,5",
            "bedingung-1-stadt": "ja",
            "bedingung-2-indikator": "kinderarmut",
            "bedingung-2-op": "rising",
            "bedingung-2-jahre": "2",
            "verknuepfung": "all",
        },
    )
    ind = Indicator.objects.get(key="kinderarmut")
    level = Level.objects.get(key="stadtteil")
    periods = readlayer.periods_by_indicator(users["admin"])[ind.pk]
    results = readlayer.series(users["admin"], ind, level, periods[-3:])
    city = readlayer.total_value(users["admin"], ind, periods[-1])
    v = np.vstack([r.values for r in results])
    expected = (v[-1] >= 1.5 * city) & (v[-1] > v[-2]) & (v[-2] > v[-3])
    flags = stored("bedarf_kinderarmut_hoch_flag")
    got = np.array([flags[c] == 2 for c in results[-1].codes])
    assert (got == expected).all()
    assert analysis.result["flagged"] == int(expected.sum())


def test_suppressed_inputs_are_missing_and_results_inherit_visibility(client, users):
    client.force_login(users["steward"])  # Jugendamt: may use hze_quote (restricted)
    run(
        client,
        "index",
        {
            "name": "Jugendhilfe",
            "ebene": "stadtteil",
            "stichtag": P.isoformat(),
            "indikatoren": ["hze_quote", "kinderarmut"],
            "klassen": "sd",
            "standardisierung": "z",
            "kombination": "sum",
            "erneut": "ja",
            "richtung-hze_quote": "1",
            "richtung-kinderarmut": "1",
        },
    )
    result = Indicator.objects.get(key="index_jugendhilfe_wert")
    assert result.visibility == "restricted" and result.owner.key == "jugendamt"
    client.force_login(users["analyst"])
    assert "Jugendhilfe" not in client.get("/").content.decode()
    assert client.get("/karte/werte/?indikator=index_jugendhilfe_wert").status_code == 404
    analysis = Analysis.objects.get(name="Jugendhilfe")
    assert client.get(f"/analysen/{analysis.pk}/").status_code == 404
    # an analyst's typology at block level works on protected values: hidden blocks take no part
    run(
        client,
        "typology",
        {
            "name": "Blocktypen",
            "ebene": "baublock",
            "stichtag": P.isoformat(),
            "indikatoren": ["sgb2_u15", "ew_gesamt"],
            "methode": "kmeans",
            "k": "3",
        },
    )
    _codes, poor = shown(users["analyst"], "sgb2_u15", "baublock")
    _codes, residents = shown(users["analyst"], "ew_gesamt", "baublock")
    usable = ~np.isnan(poor) & ~np.isnan(residents)
    assert usable.sum() < usable.size  # some blocks are hidden from the analyst
    types = stored("typ_blocktypen_typ", "baublock")
    assert len(types) == int(usable.sum())


def test_constant_indicator_gives_a_message_not_an_error(admin_client):
    response = admin_client.post(
        "/analysen/neu/typology/",
        {
            "name": "Konstant",
            "ebene": "stadt",
            "stichtag": P.isoformat(),
            "indikatoren": ["kinderarmut", "sgb2_quote"],
            "methode": "kmeans",
            "k": "2",
        },
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_index_builder_own_class_rules_labels_and_exclusions(admin_client, users):
    keys = ["kinderarmut", "arbeitslosenquote"]
    codes, residents = shown(users["admin"], "ew_gesamt", "sozialraum")
    minimum = float(np.nanpercentile(residents, 20))
    data = {
        "name": "Eigene Klassen",
        "ebene": "sozialraum",
        "stichtag": P.isoformat(),
        "indikatoren": keys,
        "standardisierung": "z",
        "kombination": "sum",
        "erneut": "ja",
        "klassen": "sd",
        "klassengrenzen": "< 0; ≤ 0,5",
        "richtung-kinderarmut": "1",
        "richtung-arbeitslosenquote": "-1",
        "gewicht-kinderarmut": "2",
        "gewicht-arbeitslosenquote": "1",
        "klassenbezeichnungen": "unauffällig; erhöht; hoch",
        "ausschluss_indikator": "ew_gesamt",
        "ausschluss_minimum": f"{minimum:.3f}",
        "ausschluss_gebiete": f"{codes[0]}, {codes[1]}",
        "werte": "ungeschuetzt",  # the reference uses every value, as the admin sees it
    }
    analysis = run(admin_client, "index", data)

    x = {k: shown(users["admin"], k, "sozialraum")[1] for k in keys}
    keep = ~(residents < float(f"{minimum:.3f}"))
    keep[:2] = False
    keep &= ~np.isnan(x["kinderarmut"]) & ~np.isnan(x["arbeitslosenquote"])

    def zk(v):
        return (v - v[keep].mean()) / v[keep].std()

    raw = 2 * zk(x["kinderarmut"]) - zk(x["arbeitslosenquote"])
    score = zk(raw)
    expected_class = np.select([score < 0, score <= 0.5], [1, 2], 3)
    scores, classes = (
        stored("index_eigene_klassen_wert", "sozialraum"),
        stored("index_eigene_klassen_klasse", "sozialraum"),
    )
    assert set(scores) == {c for c, k in zip(codes, keep, strict=True) if k}
    for code, k, s, c in zip(codes, keep, score, expected_class, strict=True):
        if k:
            assert scores[code] == pytest.approx(s, abs=1e-9) and classes[code] == c
    indicator = Indicator.objects.get(key="index_eigene_klassen_klasse")
    assert [c["label"] for c in indicator.categories] == ["unauffällig", "erhöht", "hoch"]
    assert "ew_gesamt" in set(indicator.derived_from.values_list("key", flat=True))
    page = admin_client.get(f"/analysen/{analysis.pk}/").content.decode()
    assert "&lt; 0; ≤ 0,5" in page and "Gewicht 2" in page and "Einwohner" in page
    assert analysis.definition["spec"]["inclusive"] == ["left", "both", "right"]

    quantiles = run(
        admin_client,
        "index",
        {
            **data,
            "name": "Quintile",
            "klassen": "quantiles",
            "quantile": "5",
            "klassenbezeichnungen": "",
        },
    )
    counts = list(quantiles.result["counts"].values())
    assert len(counts) == 5 and sum(counts) == int(keep.sum()) and max(counts) - min(counts) <= 1


def test_index_form_rejects_bad_class_rules_and_unknown_areas(admin_client):
    data = {
        "name": "Fehler",
        "ebene": "stadtteil",
        "stichtag": P.isoformat(),
        "indikatoren": ["kinderarmut"],
        "klassen": "sd",
        "klassengrenzen": "-1; 1",
    }
    for change, message in [
        ({}, "beginnt mit &lt; oder ≤"),
        ({"klassengrenzen": "< 1; < 0"}, "aufsteigend"),
        ({"klassengrenzen": "< 0", "klassenbezeichnungen": "a; b; c"}, "2 Klassenbezeichnungen"),
        ({"klassengrenzen": "< 0", "ausschluss_gebiete": "999"}, "999"),
    ]:
        response = admin_client.post("/analysen/neu/index/", {**data, **change})
        assert response.status_code == 200
        alert = re.search(r'role="alert"[^>]*>([^<]*)', response.content.decode()).group(1)
        assert message in alert
    assert not Indicator.objects.filter(key__startswith="index_fehler").exists()


def test_mss_dynamics_as_change_of_the_status_indicators(users):
    from quartier.analysis.reading import years_before

    keys = {"s1": "arbeitslosenquote", "s3": "sgb2_quote", "s4": "kinderarmut", "d_years": 2}
    keys["min_residents"] = 0  # the reference takes every Sozialraum
    analysis = run_mss(users["admin"], "MSS Veränderung", "sozialraum", P, keys, unprotected=True)
    before = years_before(P, 2)
    now = [shown(users["admin"], keys[s], "sozialraum")[1] for s in ("s1", "s3", "s4")]
    then = [shown(users["admin"], keys[s], "sozialraum", before)[1] for s in ("s1", "s3", "s4")]
    dynamic = z(sum(z(a - b) for a, b in zip(now, then, strict=True)))
    got = stored("mss_mss_veranderung_dynamik", "sozialraum")
    codes = shown(users["admin"], "kinderarmut", "sozialraum")[0]
    assert len(got) == len(codes) == 225
    for code, expected in zip(codes, dynamic, strict=True):
        assert got[code] == pytest.approx(expected, abs=1e-9)
    assert "über 2 Jahre" in analysis.definition["description"]
    assert sum(analysis.result["counts"].values()) == 225
    with pytest.raises(QuartierError, match="fehlen Werte"):
        run_mss(
            users["admin"], "Zu weit", "sozialraum", P, {**keys, "d_years": 30}, unprotected=True
        )


def test_rerun_for_another_period_definition_download_and_name_clashes(client, users, capsys):
    from quartier.cli import main

    client.force_login(users["analyst"])
    earlier = date(2022, 12, 31)
    data = {
        "name": "Jahresindex",
        "ebene": "stadtteil",
        "stichtag": earlier.isoformat(),
        "indikatoren": ["kinderarmut", "sgb2_quote"],
        "klassen": "quantiles",
        "quantile": "4",
        "standardisierung": "rank",
        "kombination": "mean",
    }
    first = run(client, "index", data)
    page = client.get(f"/analysen/{first.pk}/").content.decode()
    assert 'id="rerun-form"' in page
    response = client.post(f"/analysen/{first.pk}/neu-berechnen/", {"stichtag": P.isoformat()})
    assert response.status_code == 302
    key = "index_jahresindex_wert"
    codes, poverty = shown(users["analyst"], "kinderarmut")
    n = len(codes)

    def taking_part(period):
        """Areas whose inputs are all shown (protected) that year: the index needs every one."""
        values = [shown(users["analyst"], k, period=period)[1] for k in data["indikatoren"]]
        return int((~np.isnan(values[0]) & ~np.isnan(values[1])).sum())

    assert len(stored(key)) == n and len(stored(key, period=earlier)) == taking_part(earlier) > 40
    _c, sgb2 = shown(users["analyst"], "sgb2_quote")
    from scipy.stats import rankdata

    expected = ((rankdata(poverty) - 1) / (n - 1) + (rankdata(sgb2) - 1) / (n - 1)) / 2
    for code, e in zip(codes, expected, strict=True):
        assert stored(key)[code] == pytest.approx(e, abs=1e-9)

    document = client.get(f"/analysen/{first.pk}/definition.json")
    assert document["Content-Disposition"].startswith("attachment")
    definition = document.json()
    assert definition["spec"]["standardise"] == "rank" and definition["level"] == "stadtteil"

    # another person may neither re-run it nor take its name; imported indicators are safe too
    client.force_login(users["steward"])
    assert (
        client.post(f"/analysen/{first.pk}/neu-berechnen/", {"stichtag": P.isoformat()}).status_code
        == 403
    )
    response = client.post("/analysen/neu/index/", data)
    assert "gibt es schon" in response.content.decode()
    imported = Indicator.objects.create(
        key="index_importiert_wert", name="Importiert", kind="count"
    )
    response = client.post("/analysen/neu/index/", {**data, "name": "Importiert"})
    assert "gibt es schon" in response.content.decode()
    assert not imported.values.exists()
    imported.delete()

    # the downloaded definition runs from the command line, and a stored analysis re-runs
    path = Path(__file__).parent / "_definition.json"
    try:
        path.write_text(json.dumps(definition), encoding="utf-8")
        assert (
            main(
                [
                    "analyse",
                    "index",
                    "--definition",
                    str(path),
                    "--period",
                    "2023-12-31",
                    "--name",
                    "Index Kommandozeile",
                ]
            )
            == 0
        )
    finally:
        path.unlink()
    then = date(2023, 12, 31)
    assert len(stored("index_index_kommandozeile_wert", period=then)) == taking_part(then)
    capsys.readouterr()
    assert main(["analyse", "rerun", str(first.pk), "--period", "2021-12-31"]) == 0
    assert len(stored(key, period=date(2021, 12, 31))) == taking_part(date(2021, 12, 31))
    # the command line shows the steps the job page shows as its bar
    lines = capsys.readouterr().out.splitlines()
    steps = [
        "[ 10 %] Die Werte werden gelesen …",
        "[ 60 %] Die Analyse wird berechnet …",
        "[ 95 %] Die Ergebnisse werden gespeichert …",
    ]
    assert [lines.index(step) for step in steps] == sorted(lines.index(step) for step in steps)
