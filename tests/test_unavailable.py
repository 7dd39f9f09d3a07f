"""Which errors count as a lost database, and the 503 answer's format per interface."""

from __future__ import annotations

import json
import sqlite3

import pytest
from django.db import OperationalError, ProgrammingError
from django.test import RequestFactory

from quartier.unavailable import is_outage, server_error


def answer(path: str, exc: Exception, **headers):
    request = RequestFactory().get(path, headers=headers)
    try:
        raise exc
    except Exception:  # handler500 runs while the exception is being handled
        response = server_error(request)
    response.json = lambda: json.loads(response.content)
    return response


@pytest.mark.parametrize(
    ("exc", "outage"),
    [
        (OperationalError("connection to server at 127.0.0.1 failed: Connection refused"), True),
        (OperationalError("unable to open database file"), True),
        (OperationalError("database is locked"), True),
        (sqlite3.OperationalError("disk I/O error"), True),
        (OperationalError("no such table: indicators_indicator"), False),
        (ProgrammingError('relation "indicators_indicator" does not exist'), False),
        (ValueError("a bug"), False),
    ],
)
def test_what_counts_as_a_lost_database(exc, outage):
    assert is_outage(exc) is outage


def test_the_answer_follows_the_interface():
    lost = OperationalError("server closed the connection unexpectedly")
    page = answer("/karte/", lost)
    assert page.status_code == 503 and page["Content-Type"].startswith("text/html")
    assert page["Retry-After"] == "30"
    fetched = answer("/karte/werte/", lost, accept="application/json")
    assert fetched.status_code == 503 and "Datenbank" in fetched.json()["error"]
    download = answer("/export/datei/", lost)
    assert download.json()["code"] == "ServiceUnavailable"
    assert answer("/api/v1/values/", lost).json()["error"].endswith("in a minute.")


def test_other_errors_keep_the_500_page():
    response = answer("/karte/", ValueError("a bug"))
    assert response.status_code == 500 and "Retry-After" not in response
