"""Static files of a real server: hashed names, gzip/brotli copies, far-future caching.

`quartier demo` collects the static files into the data directory (once: a later
`quartier migrate` with unchanged sources does not); `quartier serve` serves the hashed copies.
"""

from __future__ import annotations

import re

import pytest
import requests

from tests.clitools import free_port, fresh_installation, quartier, running

pytestmark = pytest.mark.slow

HASHED = r"/static/quartier/js/map\.[0-9a-f]{12}\.js"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The URL of a small Musterstadt served by one process."""
    with fresh_installation(tmp_path_factory.mktemp("static")) as env:
        # The production settings: the suite's own (tests.settings) read the sources.
        env["DJANGO_SETTINGS_MODULE"] = "quartier.settings"
        first = quartier("demo", "--no-serve", "--small", env=env)
        assert first.returncode == 0, first.stderr
        assert "Statische Dateien bereitgestellt" in first.stdout
        again = quartier("migrate", env=env)
        assert "Statische Dateien" not in again.stdout  # sources unchanged: not collected again
        with running(["serve", "--port", str(free_port()), "--workers", "1"], env) as (url, _):
            yield url.rstrip("/")


def test_the_map_page_names_hashed_files_served_compressed_and_cached_for_long(site):
    page = requests.get(f"{site}/karte/", timeout=60)
    assert page.status_code == 200
    script = re.search(HASHED, page.text)
    assert script, (page.url, re.findall(r"/static/\S+", page.text))
    for encoding in ("br", "gzip"):
        response = requests.get(
            site + script.group(0), headers={"Accept-Encoding": encoding}, timeout=60
        )
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == encoding
        max_age = re.search(r"max-age=(\d+)", response.headers["Cache-Control"])
        assert int(max_age.group(1)) >= 365 * 24 * 3600
        assert "immutable" in response.headers["Cache-Control"]


def test_module_imports_inside_javascript_point_at_hashed_files(site):
    page = requests.get(f"{site}/karte/", timeout=60).text
    pending, seen = [re.search(HASHED, page).group(0).rsplit("/", 1)[1]], set()
    while pending:  # every module the map loads, also those imported by imported ones
        name = pending.pop()
        seen.add(name)
        response = requests.get(f"{site}/static/quartier/js/{name}", timeout=60)
        assert response.status_code == 200, name
        imports = re.findall(r'from "\./([^"]+)"', response.text)
        assert all(re.fullmatch(r"[a-z]+\.[0-9a-f]{12}\.js", i) for i in imports), (name, imports)
        pending += [i for i in imports if i not in seen]
    assert len(seen) > 5  # map.js, geometry.js, legend.js, panel.js, export.js, format.js, …


def test_pages_are_gzipped_for_get_but_not_for_post(site):
    page = requests.get(f"{site}/anmelden/", headers={"Accept-Encoding": "gzip"}, timeout=60)
    assert page.headers.get("Content-Encoding") == "gzip"
    session = requests.Session()
    session.get(f"{site}/anmelden/", timeout=60)
    answer = session.post(
        f"{site}/anmelden/",
        data={
            "username": "niemand",
            "password": "falsch-falsch",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Accept-Encoding": "gzip", "Referer": f"{site}/anmelden/"},
        timeout=60,
    )
    assert answer.status_code == 200  # the form again, with its error
    assert "Content-Encoding" not in answer.headers  # it reflects what was posted
