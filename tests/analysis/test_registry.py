"""The analysis registry: a new method through the registry alone, and the fixed pages.

The toy method below is registered only here; the form, the result page, the re-run and
``quartier analyse`` find it through the registry without any other code knowing it.
"""

import re
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from quartier.analysis import registry
from quartier.analysis.models import Analysis
from quartier.cli import main
from quartier.indicators.models import Indicator, Value

pytestmark = pytest.mark.django_db
P = date(2024, 12, 31)


def run_toy(user, name, level_key, period, spec, *, unprotected=False):
    """Toy method: an indicator times a factor, stored as a derived indicator."""
    from quartier.analysis.reading import Reader, secret_summary
    from quartier.analysis.results import Output, save_analysis, store_outputs

    reader = Reader(user, unprotected)
    inputs = reader.load([spec["indikator"]], level_key, period)
    scaled = inputs.values[spec["indikator"]] * spec["faktor"]
    definition = {"name": name, "kind": "toy", "spec": spec, "description": "Spielzeug."}
    outputs = store_outputs(
        reader, f"toy_{name}", inputs, [Output("wert", f"{name} (Wert)", scaled)], definition
    )
    counts = {"Gebiete mit Wert": int(np.isfinite(scaled).sum())}
    return save_analysis(
        reader, "toy", name, inputs.level, period, definition, {"counts": counts}, outputs,
        secret_summary(inputs.secret),
    )  # fmt: skip


@pytest.fixture
def toy():
    method = registry.register(
        registry.Method(
            key="toy",
            label="Spielzeug",
            fields=(
                registry.Field("indikator", "Zu skalierender Indikator"),
                registry.Field("faktor", "Faktor", "number", default="2"),
            ),
            run=run_toy,
            spec_of=lambda d: d["spec"],
            cli_help="Spielzeug",
        )
    )
    yield method
    registry.unregister("toy")


def residents(user, period=P) -> dict:
    """Residents per Stadtteil as the toy method reads them (protected)."""
    from quartier.access.rights import protected_values
    from quartier.indicators import readlayer
    from quartier.spatial.models import Level

    ind, level = Indicator.objects.get(key="ew_gesamt"), Level.objects.get(key="stadtteil")
    with protected_values():
        r = readlayer.area_values(user, ind, level, period)
    return {c: v for c, v, ok in zip(r.codes, r.values, r.shown, strict=True) if ok}


def values(key, period=P):
    return dict(
        Value.objects.filter(indicator__key=key, period=period).values_list("area__code", "value")
    )


def test_a_new_method_through_the_registry_alone(client, users, toy):
    client.force_login(users["admin"])
    form = client.get("/analysen/neu/toy/").content.decode()
    assert 'href="/analysen/neu/toy/" aria-current="page"' in form
    assert '<label for="indikator">Zu skalierender Indikator</label>' in form
    assert 'id="faktor"' in form and 'value="2"' in form

    response = client.post(
        "/analysen/neu/toy/",
        {"name": "Probe", "ebene": "stadtteil", "stichtag": P.isoformat(), "indikator": "ew_gesamt",
         "faktor": "1,5"},
    )  # fmt: skip
    assert response.status_code == 302
    analysis = Analysis.objects.get(name="Probe")
    people = residents(users["admin"])
    scaled = values("toy_probe_wert")
    assert scaled and scaled == pytest.approx({c: 1.5 * v for c, v in people.items()})

    page = client.get(f"/analysen/{analysis.pk}/").content.decode()
    assert "Spielzeug · Stadtteil" in page
    name = Indicator.objects.get(key="ew_gesamt").name
    assert re.search(rf"<dt>Zu skalierender Indikator</dt><dd>{re.escape(name)}", page)
    assert f'Gebiete mit Wert</th><td class="num">{len(scaled)}' in page

    earlier = date(2022, 12, 31)
    response = client.post(f"/analysen/{analysis.pk}/neu-berechnen/", {"stichtag": "2022-12-31"})
    assert response.status_code == 302
    assert values("toy_probe_wert", earlier)

    # The command line has the method too, with its fields as options.
    assert (
        main(["analyse", "toy", "--level", "stadtteil", "--period", P.isoformat(), "--name",
              "Nacht", "--indikator", "ew_gesamt", "--faktor", "3"])
        == 0
    )  # fmt: skip
    night = values("toy_nacht_wert")
    assert night == pytest.approx({c: 3 * v for c, v in people.items()})
    # ... and the administrator sees that command-line run, marked as such.
    listing = client.get("/analysen/neu/toy/").content.decode()
    recent = listing[listing.index('id="letzte-analysen"') :]
    assert "Nacht</a> – Spielzeug" in recent and "von Kommandozeile" in recent
    night_run = Analysis.objects.get(name="Nacht")
    assert "Kommandozeile" in client.get(f"/analysen/{night_run.pk}/").content.decode()
    client.force_login(users["analyst"])
    assert "Nacht</a>" not in client.get("/analysen/neu/toy/").content.decode()


def test_a_required_field_is_refused_in_german(client, users, toy):
    client.force_login(users["admin"])
    response = client.post(
        "/analysen/neu/toy/", {"name": "Leer", "ebene": "stadtteil", "stichtag": P.isoformat()}
    )
    assert "Bitte „Zu skalierender Indikator“ wählen." in response.content.decode()
    assert not Analysis.objects.filter(name="Leer").exists()
    assert main(["analyse", "toy", "--level", "stadtteil", "--period", P.isoformat()]) == 2


MSS_SELECTS = ("s1", "s3", "s4", "d1", "d3", "d4", "residents")


def selected(html: str, field: str) -> list[str]:
    select = re.search(rf'<select id="{field}" name="{field}"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r'<option value="([^"]*)" selected>', select.group(1))


def test_the_mss_form_preselects_nothing_by_guess_and_refuses_without_a_choice(client, users):
    client.force_login(users["admin"])
    html = client.get("/analysen/neu/mss/").content.decode()
    for field in MSS_SELECTS:
        assert selected(html, field) == [], field
        assert re.search(rf'<select id="{field}" name="{field}"[^>]*><option value="">', html)
    assert 'id="s1" name="s1" required' in html and 'value="300"' in html

    response = client.post(
        "/analysen/neu/mss/", {"name": "Ohne", "ebene": "sozialraum", "stichtag": P.isoformat()}
    )
    alert = re.search(r'role="alert"[^>]*>([^<]*)', response.content.decode()).group(1)
    assert alert == "Bitte „S1 Arbeitslosigkeit (SGB II)“ wählen."
    assert not Analysis.objects.filter(name="Ohne").exists()


def test_the_mss_form_preselects_the_configured_or_the_last_used_indicators(
    client, users, settings
):
    client.force_login(users["admin"])
    settings.QUARTIER = replace(
        settings.QUARTIER,
        mss_indicators=(("s1", "arbeitslosenquote"), ("s4", "kinderarmut"), ("s3", "fehlt")),
    )
    html = client.get("/analysen/neu/mss/").content.decode()
    assert selected(html, "s1") == ["arbeitslosenquote"] and selected(html, "s4") == ["kinderarmut"]
    assert selected(html, "s3") == [] and selected(html, "d1") == []  # unknown keys: no choice

    settings.QUARTIER = replace(settings.QUARTIER, mss_indicators=())
    form = {
        "name": "Vorlage", "ebene": "stadtteil", "stichtag": P.isoformat(),
        "s1": "arbeitslosenquote", "s3": "sgb2_quote", "s4": "kinderarmut",
        "dynamik": "veraenderung", "dynamik_jahre": "2", "residents": "ew_gesamt",
        "mindest_einwohner": "300", "werte": "ungeschuetzt",
    }  # fmt: skip
    assert client.post("/analysen/neu/mss/", form).status_code == 302
    html = client.get("/analysen/neu/mss/").content.decode()
    assert selected(html, "s3") == ["sgb2_quote"] and selected(html, "residents") == ["ew_gesamt"]
    assert selected(html, "dynamik") == ["veraenderung"]


def test_the_mss_on_the_command_line_keeps_its_options(capsys):
    base = ["analyse", "mss", "--level", "stadtteil", "--period", P.isoformat(), "--name", "Nacht"]
    status = ["--s1", "arbeitslosenquote", "--s3", "sgb2_quote", "--s4", "kinderarmut"]
    assert main([*base, *status, "--change-years", "2"]) == 2  # the minimum needs residents
    assert "Einwohnerzahl" in capsys.readouterr().err
    assert main([*base, *status, "--change-years", "2", "--residents", "ew_gesamt"]) == 0
    definition = Analysis.objects.get(name="Nacht").definition
    assert definition["inputs"]["d_years"] == 2 and definition["min_residents"] == 300
    assert definition["inputs"]["residents"] == "ew_gesamt"


def test_the_command_line_lists_the_methods_before_django_is_set_up():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-m", "quartier", "analyse", "mss", "--help"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "--residents" in done.stdout and "--min-residents" in done.stdout


def test_config_of_the_mss_preset():
    from quartier.config import load_config
    from quartier.errors import QuartierError

    config = load_config({"QUARTIER_MSS_INDICATORS": "s1=alq, residents=ew_gesamt"})
    assert config.mss_indicators == (("s1", "alq"), ("residents", "ew_gesamt"))
    with pytest.raises(QuartierError, match="QUARTIER_MSS_INDICATORS"):
        load_config({"QUARTIER_MSS_INDICATORS": "s2=alq"})


def test_mss_minimum_of_residents_leaves_small_areas_without_a_group(users):
    from quartier.analysis.runs import run_mss
    from quartier.indicators import readlayer
    from quartier.spatial.models import Level

    keys = {"s1": "arbeitslosenquote", "s3": "sgb2_quote", "s4": "kinderarmut", "d_years": 2}
    residents = readlayer.area_values(
        users["admin"],
        Indicator.objects.get(key="ew_gesamt"),
        Level.objects.get(key="stadtteil"),
        P,
    )
    minimum = int(np.percentile(residents.values, 30))  # the 300 of the MSS, for Stadtteile
    small = {c for c, v in zip(residents.codes, residents.values, strict=True) if v < minimum}
    analysis = run_mss(
        users["admin"], "Klein", "stadtteil", P,
        {**keys, "residents": "ew_gesamt", "min_residents": minimum}, unprotected=True,
    )  # fmt: skip
    reasons = analysis.result["unclassified"]
    assert {c for c, _n in reasons["few_residents"]} == small and small
    grouped = {c for areas in analysis.result["cells"].values() for c, _n in areas}
    assert not grouped & small
    # The others are standardised among themselves: the small ones take no part at all.
    status = values("mss_klein_status")
    assert not set(status) & small
    assert np.mean(list(status.values())) == pytest.approx(0, abs=1e-9)
    assert analysis.definition["min_residents"] == minimum


def test_need_lists_its_areas_and_names_its_criteria_in_german(client, users):
    from quartier.analysis.runs import run_need

    rule = {
        "conditions": [
            {"indicator": "kinderarmut", "op": ">=", "value": 1.5, "relative_to_city": True}
        ]
    }
    analysis = run_need(users["admin"], "Bedarf", "stadtteil", rule)
    client.force_login(users["admin"])
    page = client.get(f"/analysen/{analysis.pk}/").content.decode()
    name = Indicator.objects.get(key="kinderarmut").name
    assert f"{name} ≥ 1,5 × Stadtwert" in page and "kinderarmut ≥" not in page
    flagged = analysis.result["areas"]
    assert len(flagged) == analysis.result["flagged"] > 0
    links = re.findall(
        r'<li><a href="/karte/\?indikator=bedarf_bedarf_flag[^"]*gebiet=(\w+)">', page
    )
    assert links == [code for code, _name in flagged]
    assert all(area_name in page for _c, area_name in flagged)


def test_segregation_captions_follow_the_page_language(client, users):
    from quartier.analysis.runs import run_segregation

    analysis = run_segregation(users["admin"], "Seg", "stadtteil", "sgb2_u15", "ew_u15")
    client.force_login(users["admin"])
    page = client.get(f"/analysen/{analysis.pk}/").content.decode()
    assert "<figcaption>Dissimilarität</figcaption>" in page and "Dissimilarity" not in page
    english = client.get(f"/analysen/{analysis.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<figcaption>Dissimilarity</figcaption>" in english
    # A method over all periods names the first and the last Stichtag it used.
    first, last = analysis.result["series"][0]["period"], analysis.result["series"][-1]["period"]
    dates = [date.fromisoformat(p).strftime("%d.%m.%Y") for p in (first, last)]
    assert f"<dt>Stichtage</dt><dd>{dates[0]} – {dates[1]}</dd>" in page
