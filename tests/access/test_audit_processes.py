"""The audit log and the token throttle against real server processes (``quartier serve``).

An import commit runs in the server's import worker process, which sees no
request: its entries must still name the user and the address. Failed access
tokens are counted in the database, so a second server process refuses an
address the first one saw failing.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar

import pytest

from tests.clitools import free_port, quartier, running, small_demo

pytestmark = pytest.mark.slow


class Browser:
    """A cookie-keeping HTTP client that signs in and posts forms like a browser."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def open(self, path: str, body: bytes | None = None, headers: dict | None = None):
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace"), error.url
        return response.status, response.read().decode("utf-8-sig", "replace"), response.url

    def post(self, path: str, fields: dict, files: dict | None = None):
        fields = {**fields, "csrfmiddlewaretoken": self._csrf()}
        if not files:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            return self.open(path, body, {"Content-Type": "application/x-www-form-urlencoded"})
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        ]
        for name, (filename, content) in files.items():
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
            )
            parts.append(head.encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.open(path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def login(self, username: str, password: str) -> None:
        self.open("/anmelden/")
        status, _body, url = self.post(
            "/anmelden/", {"username": username, "password": password, "next": "/"}
        )
        assert status == 200 and not url.endswith("/anmelden/"), (status, url)


def demo_passwords(output: str) -> dict[str, str]:
    """{account: password} from what ``quartier demo`` printed once."""
    found = dict(re.findall(r"^\s*(?:Anmeldung: )?(\w+) / (\S+)", output, re.M))
    assert {"admin", "statistik"} <= set(found), output
    return found


def import_new_indicator(browser: Browser, base: str) -> str:
    """Import a column of district values as a new indicator through the wizard."""
    codes = [
        a["code"]
        for a in json.loads(browser.open("/api/v1/areas/?level=stadtbezirk")[1])["results"]
    ]
    table = "schluessel;wert\n" + "".join(f"{c};{i + 3}\n" for i, c in enumerate(codes))
    _status, _body, url = browser.post(
        "/import/tabelle/", {}, {"dateien": ("werte.csv", table.encode())}
    )
    job = url.rstrip("/").split("/")[-1]
    form = {
        "layout": "wide",
        "schluessel": "schluessel",
        "ebene": "stadtbezirk",
        "stichtag_art": "fest",
        "stichtag": "2031-12-31",
        "spalte-1-ziel": "neu:count",
        "spalte-1-name": "Probefälle",
        "spalte-1-kuerzel": "probefaelle",
    }
    status, body, _url = browser.post(f"/import/vorgang/{job}/tabelle-pruefen/", form)
    assert status == 200 and f"/import/vorgang/{job}/uebernehmen/" in body, body[:500]
    browser.post(f"/import/vorgang/{job}/uebernehmen/", {"warnungen_akzeptiert": "ja"})
    for _ in range(240):  # the commit runs in the server's import worker: wait for its outcome
        progress = json.loads(browser.open(f"/import/vorgang/{job}/status/")[1])
        if progress["status"] not in ("queued", "running", "checked"):
            break
        time.sleep(0.5)
    assert progress["status"] == "done", progress
    return job


def audit_log(browser: Browser) -> list[dict]:
    status, body, _url = browser.open("/admin/access/auditentry/protokoll.csv")
    assert status == 200, body[:300]
    return list(csv.DictReader(io.StringIO(body), delimiter=";"))


def fetch(url: str, secret: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {secret}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_background_imports_and_token_failures_are_audited_across_processes(cli_env):
    # The production settings: imports commit in the import worker (the
    # test settings, which the environment would pass on, run them inside the request).
    cli_env["DJANGO_SETTINGS_MODULE"] = "quartier.settings"
    built = small_demo(cli_env)
    assert built.returncode == 0, built.stderr
    passwords = demo_passwords(built.stdout)
    made = quartier("token", "create", "analyse", "Skript", env=cli_env)
    secret = next(line for line in made.stdout.splitlines() if line.startswith("qt_"))
    with running(["serve", "--port", str(free_port())], cli_env) as (base, _out):
        steward = Browser(base)
        steward.login("statistik", passwords["statistik"])
        import_new_indicator(steward, base)
        for _ in range(10):  # a script guessing tokens
            assert fetch(base + "api/v1/levels/", "qt_geraten_geraten_geraten_geraten") == 401
        admin = Browser(base)
        admin.login("admin", passwords["admin"])
        entries = audit_log(admin)
        imported = [
            e for e in entries if e["Aktion"] == "Import" and "werte.csv" in e["Gegenstand"]
        ]
        created = [
            e
            for e in entries
            if e["Gegenstand"] == "probefaelle" and "created" in e["Einzelheiten"]
        ]
        assert len(imported) == 1 and len(created) == 1
        for entry in imported + created:  # written by the import's thread
            assert entry["Benutzer"] == "statistik" and entry["IP"] == "127.0.0.1", entry
        failed = [e for e in entries if e["Gegenstand"] == "Zugangsschlüssel"]
        assert len(failed) == 10 and {e["IP"] for e in failed} == {"127.0.0.1"}
        assert not any("geraten" in e["Einzelheiten"] for e in failed)
        # A second server process, started after the failures, refuses the address too.
        with running(["serve", "--port", str(free_port())], cli_env) as (second, _out2):
            assert fetch(second + "api/v1/levels/", secret) == 429
