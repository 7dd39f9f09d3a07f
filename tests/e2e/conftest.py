"""Browser tests: the app served by waitress in a thread, driven in Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import threading
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("QUARTIER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    """The Quartier WSGI app on a free local port, reading the session's test database."""
    from waitress import create_server

    from quartier.wsgi import application

    with django_db_blocker.unblock():
        srv = create_server(application, host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{srv.effective_port}"
        srv.close()
        thread.join(timeout=5)
        _close_server_connections()


def _close_server_connections() -> None:
    """Worker threads may still hold a PostgreSQL session; end them so the test DB can be dropped."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(scope="module")
def browser(server):
    """Debian's Chromium through Playwright (never a downloaded browser).

    Playwright's sync API runs an event loop in the main thread while it is
    open, and Django refuses database work in a thread with a running loop; so
    the browser starts after the database is set up and stops with the module.
    """
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} fehlt: apt-get install -y chromium (scripts/test does this)")
    # Each test's rolled-back transaction is opened in the main thread while the
    # loop runs; nothing else touches the database there, so this is safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class PageWatch:
    """Console errors and the hosts of all requests a page made."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.hosts: set[str] = set()
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.hosts.add(urlsplit(r.url).netloc))


@pytest.fixture
def page(browser, server):
    """A fresh German-language page; after the test: no console error, no foreign host."""
    context = browser.new_context(
        locale="de-DE", viewport={"width": 1400, "height": 900}, accept_downloads=True
    )
    pg = context.new_page()
    pg.watch = PageWatch(pg)
    pg.server = server
    yield pg
    context.close()
    assert pg.watch.errors == [], pg.watch.errors
    assert pg.watch.hosts <= {urlsplit(server).netloc}, pg.watch.hosts
