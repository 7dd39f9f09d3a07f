"""Result pages of every analysis method speak English when the page is English.

Names of indicators and areas are data and stay as they were entered; everything the
application writes itself (descriptions, labels of classes, types and conditions) is
translated.
"""

import html as html_lib
import re

import pytest
from django.utils import translation

from tests.analysis.samples import run_samples

pytestmark = pytest.mark.django_db

# German words the result pages used to show on English pages.
GERMAN = [
    "Bedingung", "Handlungsbedarf nach Regeln", "steigend", "Stadtwert", "Typologie",
    "Typen", "Startwert", "Permutationen", "Lokales", "Klasse", "Typ", "nicht signifikant",
    "umgeben", "Ausreißer", "Zusammengesetzter", "Standardisierung", "Gewicht", "Bedarf",
    "Abschnitt", "Veränderung", "Einwohnerinnen", "außen vor", "Dissimilarität", "über",
]  # fmt: skip


def shown_text(page: str, data_names: list[str]) -> str:
    """The visible text of the page's main part, without the names that are data."""
    main = page[page.index("<main") : page.index("</main>")]
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", main))
    for name in sorted(data_names, key=len, reverse=True):
        text = text.replace(name, " ")
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def results(users):
    # Run with an English request active: the stored descriptions stay German all the same.
    with translation.override("en"):
        return run_samples(users["admin"], "Probe")


def test_result_pages_of_every_method_show_no_german_in_english(client, users, results):
    client.force_login(users["admin"])
    for kind, analysis in results.items():
        names = [i.name for i in (*analysis.inputs.all(), *analysis.outputs.all())]
        names += [analysis.name, analysis.level.name]
        names += [
            name for areas in (analysis.result.get("cells") or {}).values() for _c, name in areas
        ]
        names += [n for _c, n in analysis.result.get("areas") or []]
        names += [
            n for areas in (analysis.result.get("unclassified") or {}).values() for _c, n in areas
        ]
        page = client.get(f"/analysen/{analysis.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        text = shown_text(page, names)
        found = [w for w in GERMAN if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text)]
        assert found == [], f"{kind}: {found}\n{text}"


def test_descriptions_are_stored_in_german_and_shown_in_the_page_language(client, users, results):
    need, lisa = results["need"], results["lisa"]
    assert need.definition["description"].startswith("Handlungsbedarf nach Regeln: ")
    assert "≥ 1,2 × Stadtwert oder" in need.definition["description"]
    assert "99 Permutationen, Signifikanz 0,05" in lisa.definition["description"]
    client.force_login(users["admin"])
    german = client.get(f"/analysen/{need.pk}/").content.decode()
    english = client.get(f"/analysen/{need.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "≥ 1,2 × Stadtwert oder" in german and "<dt>Bedingung 2</dt>" in german
    assert "Need for action by rules:" in english and "≥ 1.2 × city value or" in english
    assert "<dt>Condition 2</dt>" in english and "rising over 2 years" in english
    typology = client.get(f"/analysen/{results['typology'].pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<th scope="row">Type 1</th>' in typology.content.decode()
    hot_spots = client.get(f"/analysen/{lisa.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Hot spot (high, surrounded by high)" in hot_spots and "not significant" in hot_spots
