"""The map's display geometry is built at import, stored, read by cold processes, and dropped
when the level's areas change."""

import gzip

import pytest

from quartier.spatial import display
from quartier.spatial.models import Area, Level, StoredDisplay

pytestmark = pytest.mark.django_db


def fetch(client, level="stadtteil"):
    response = client.get(f"/karte/geometrie/{level}/", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    return response, display.read(gzip.decompress(response.content))


def test_demo_load_stores_every_level_and_a_cold_process_reads_it_without_building(client):
    levels = set(Level.objects.values_list("key", flat=True))
    stored = set(StoredDisplay.objects.values_list("level__key", flat=True))
    assert stored == levels
    display.clear_display_cache()  # as a process that just started
    before = display.builds["count"]
    response, doc = fetch(client, "baublock")
    assert display.builds["count"] == before  # read from the database, not built
    row = StoredDisplay.objects.get(level__key="baublock")
    assert response["ETag"] == f'"{row.etag}"' and doc["version"] == row.etag
    assert len(doc["codes"]) == len(doc["shapes"]) > 1000


def test_an_edited_area_drops_the_stored_document_and_the_next_one_shows_the_change(client):
    response, doc = fetch(client)
    area = Area.objects.filter(level__key="stadtteil", valid_to__isnull=True).order_by("code")[0]
    area.name = "Umbenannt"
    area.save()
    assert not StoredDisplay.objects.filter(level__key="stadtteil").exists()
    assert StoredDisplay.objects.filter(level__key="baublock").exists()  # other levels stay
    before = display.builds["count"]
    again, doc2 = fetch(client)
    assert display.builds["count"] == before + 1
    assert again["ETag"] != response["ETag"]
    assert doc2["names"][doc2["codes"].index(area.code)] == "Umbenannt"
    assert StoredDisplay.objects.get(level__key="stadtteil").etag == doc2["version"]


def test_a_document_deleted_by_another_process_is_not_served_from_memory(client):
    response, _ = fetch(client)
    # Another process changed the level: its stored document is gone (no signal reached us).
    StoredDisplay.objects.filter(level__key="stadtteil").update(etag="elsewhere")
    display._cache.update({k: (v[0], -10.0) for k, v in display._cache.items()})  # TTL over
    before = display.builds["count"]
    again, _ = fetch(client)
    assert display.builds["count"] == before  # the stored one is read, not built
    assert again["ETag"] == '"elsewhere"'


def test_the_remembered_selections_are_those_of_the_current_area_index_only(client):
    """Every map request asks for its level's codes and names (remembered); an index
    loaded anew (after an import of areas) must neither reuse nor keep the old lists."""
    from quartier.spatial.index import area_index, clear_area_index

    def held(index):
        return {key[2] for key in index._memo if key[:2] == ("remembered", "display")}

    fetch(client, "baublock")
    old = area_index()
    baublock = Level.objects.get(key="baublock").id
    assert held(old) == {baublock}
    clear_area_index()
    fetch(client, "stadtteil")
    assert area_index() is not old
    assert held(area_index()) == {Level.objects.get(key="stadtteil").id}


def test_the_server_prepares_missing_documents_before_it_accepts_connections(client):
    """After an upgrade to a new document format the stored documents are gone
    (migration spatial 0003); the preload before the workers fork builds them, so no
    visitor waits seconds for a big level's geometry."""
    from quartier import warmup

    StoredDisplay.objects.all().delete()
    display.clear_display_cache()
    warmup.preload()
    stored = set(StoredDisplay.objects.values_list("level__key", flat=True))
    assert stored == set(Level.objects.values_list("key", flat=True))
    before = display.builds["count"]
    fetch(client, "baublock")
    assert display.builds["count"] == before
