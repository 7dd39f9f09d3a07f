"""`quartier serve --workers 2`: gunicorn worker processes that share one data state.

A real server with two worker processes of one thread each (a busy worker takes no
new connection, so concurrent requests reach both). With
QUARTIER_TEST_WORKER_HEADER=1 every answer names its process (X-Quartier-Worker).
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from quartier.indicators import datastate
from tests.clitools import fresh_installation, small_demo
from tests.support.serverproc import Server, login, query

pytestmark = pytest.mark.slow

VALUES = "/api/v1/values/?indicator=sgb2_u15&level=stadtteil"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(server, admin password) of a small Musterstadt served by two worker processes."""
    with fresh_installation(tmp_path_factory.mktemp("prefork")) as env:
        built = small_demo(env)
        assert built.returncode == 0, built.stderr
        password = re.search(r"Anmeldung: admin / (\S+)", built.stdout).group(1)
        server = Server(env, {"QUARTIER_TEST_WORKER_HEADER": "1"}, threads=1, workers=2)
        try:
            yield server, password
        finally:
            server.stop()


def from_each_worker(server: Server, path: str, cookies=None) -> dict[str, list]:
    """Answers to ``path`` by worker process id, until two processes have answered."""
    answers: dict[str, list] = {}

    def get(_):
        # A new connection each time: a kept-alive one would stay with one worker.
        return requests.get(
            server.url + path, cookies=cookies, headers={"Connection": "close"}, timeout=120
        )

    with ThreadPoolExecutor(6) as pool:
        for _round in range(30):
            for response in pool.map(get, range(6)):
                assert response.status_code == 200, response.text[:300]
                answers.setdefault(response.headers["X-Quartier-Worker"], []).append(
                    response.json()
                )
            if len(answers) >= 2:
                return answers
    raise AssertionError(f"only worker(s) {list(answers)} answered")


def test_two_worker_processes_serve_requests(site):
    server, _ = site
    pids = set(from_each_worker(server, "/api/v1/levels/"))
    assert len(pids) == 2
    assert str(server.proc.pid) not in pids  # the master only forks and watches


def test_a_rollback_through_one_worker_is_seen_by_the_other(site):
    server, password = site
    session = login(server, "admin", password)
    before = from_each_worker(server, VALUES, session.cookies)
    for answers in before.values():  # both workers have the values (and cached them)
        assert all(answer == answers[0] for answer in answers)
        assert "results" in answers[0] and answers[0]["results"]

    response = session.post(
        f"{server.url}/import/laeufe/1/zuruecknehmen/",
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": server.url + "/", "Connection": "close"},
        allow_redirects=False,
        timeout=120,
    )
    assert response.status_code == 302, response.text[:300]
    rolled_back_by = response.headers["X-Quartier-Worker"]
    # Each process checks the data version at most once per _TTL seconds (by design).
    time.sleep(datastate._TTL + 0.5)

    after = from_each_worker(server, VALUES, session.cookies)
    assert rolled_back_by in after
    for pid, answers in after.items():
        assert all(not answer["results"] for answer in answers), f"worker {pid} kept old values"


def test_a_restriction_written_by_another_process_hides_the_indicator_in_every_worker(site):
    """Each worker keeps the catalogue (indicators/catalogue.py); a write from outside the
    server — here plain SQL on its own connection, no Django, no signal — must reach both."""
    server, _password = site
    before = from_each_worker(server, VALUES)
    assert len(before) >= 2  # both workers answered, and keep the catalogue now

    def visibility(value: str) -> None:
        sql = (
            "UPDATE indicators_indicator SET visibility = '{}' WHERE key = 'sgb2_u15' RETURNING id"
        )
        assert query(server.env, sql.format(value))

    try:
        visibility("restricted")
        seen: dict[str, set[int]] = {}
        with ThreadPoolExecutor(6) as pool:
            for _round in range(30):
                answers = pool.map(
                    lambda _: requests.get(
                        server.url + VALUES, headers={"Connection": "close"}, timeout=120
                    ),
                    range(6),
                )
                for response in answers:
                    seen.setdefault(response.headers["X-Quartier-Worker"], set()).add(
                        response.status_code
                    )
                if len(seen) >= 2:
                    break
        assert len(seen) >= 2, seen
        assert all(codes == {404} for codes in seen.values()), seen
    finally:
        visibility("public")
