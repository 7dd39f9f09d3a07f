"""Uploaded files: private on disk (0700/0600 under umask 022), and nothing left when the disk fills.

The full disk is a filesystem fault injected at the file write (tests.support.faults):
writes below the uploads folder fail with ENOSPC once the free bytes are used up.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from django.test import Client

from quartier.imports import jobs
from quartier.imports.models import ImportJob
from tests.imports.test_wizard import job_of, shapefile_zip, upload
from tests.support.faults import fill_disk_under, modes, umask

pytestmark = pytest.mark.django_db

TABLE = ("einwohner.csv", ("Schlüssel;Name;Einwohner\n" + "01;Mitte;1200\n" * 400).encode())


@pytest.fixture(autouse=True)
def _own_data_dir(settings, tmp_path):
    """A data directory of this test's own, so only its uploads are in it."""
    settings.QUARTIER = dataclasses.replace(settings.QUARTIER, data_dir=tmp_path / "daten")


@pytest.fixture
def steward(users):
    # Server errors as responses (as a visitor gets them), not as exceptions in the test.
    client = Client(raise_request_exception=False)
    client.force_login(users["steward"])
    return client


def _files_below(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def test_uploads_and_their_work_files_are_private_under_umask_022(steward):
    with umask(0o022):
        table = job_of(upload(steward, "table", TABLE))
        geometry = job_of(
            upload(steward, "geometry", ("pgr.zip", shapefile_zip("lor_prognoseraeume_2021")))
        )
    for job in (table, geometry):
        found = modes(Path(job.workdir))
        files = [name for name in found if (Path(job.workdir) / name).is_file()]
        assert files, found
        assert {found[name] for name in files} == {0o600}, found
        assert {mode for name, mode in found.items() if name not in files} == {0o700}, found
    assert any(name.startswith("table-") for name in modes(Path(table.workdir)))  # the cache
    assert any(name.startswith("work/") for name in modes(Path(geometry.workdir)))  # unpacked
    assert modes(jobs.upload_root())["."] == 0o700


def test_an_upload_that_fills_the_disk_gets_507_and_leaves_nothing_behind(steward, monkeypatch):
    fill_disk_under(monkeypatch, jobs.upload_root(), free_bytes=1000)
    response = upload(steward, "table", TABLE)
    assert response.status_code == 507
    assert "Speicherplatz des Servers ist erschöpft" in response.content.decode()
    assert _files_below(jobs.upload_root()) == []
    assert not ImportJob.objects.exists()


def test_unpacking_onto_a_full_disk_says_so_and_leaves_nothing_behind(steward, monkeypatch):
    archive = shapefile_zip("lor_prognoseraeume_2021")
    fill_disk_under(monkeypatch, jobs.upload_root(), free_bytes=len(archive) + 1000)
    response = upload(steward, "geometry", ("bezirke.zip", archive))
    assert "Datenträger des Servers ist voll" in response.content.decode()
    assert _files_below(jobs.upload_root()) == []
