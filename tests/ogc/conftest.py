"""Fixtures of the OGC API tests: the app on a real local port for GDAL and OWSLib."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pyogrio
import pytest

from tests.e2e.conftest import server  # noqa: F401  (waitress in a thread on the session DB)


@pytest.fixture
def ogc(client):
    """GET a path under /ogc/ with the test client; JSON unless the test asks otherwise."""

    def get(path: str, **headers):
        return client.get("/ogc/" + path.lstrip("/"), headers=headers or None)

    return get


@pytest.fixture(scope="module")
def gdal():
    """Call a pyogrio function in a child process.

    pyogrio keeps the GIL while GDAL waits for an HTTP answer, so a read in
    this process would stop the server thread that has to give that answer.
    """
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:

        def call(name: str, *args, **kwargs):
            return pool.submit(getattr(pyogrio, name), *args, **kwargs).result(timeout=600)

        yield call
