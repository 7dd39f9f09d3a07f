"""The documented production setup: `quartier serve` behind a TLS reverse proxy.

A real `quartier serve` process with QUARTIER_TRUST_PROXY=1 and QUARTIER_HTTPS=1,
and a real proxy process in front of it (tests.support.proxy, set up as the
README's nginx example). Clients connect from their own loopback addresses
(127.0.0.2, 127.0.0.3, …), which the proxy forwards in X-Forwarded-For.
"""

from __future__ import annotations

import re

import pytest

from tests.clitools import free_port, fresh_installation, quartier, running
from tests.support.installation import audit_ips
from tests.support.proxy import Browser, start_proxy

pytestmark = pytest.mark.slow

HOST = "quartier.stadt.example"
ORIGIN = f"https://{HOST}"


def _account(env, username: str) -> str:
    made = quartier("createadmin", "--username", username, env=env)
    assert made.returncode == 0, made.stderr
    return re.search(r"Passwort .*: (\S+)", made.stdout).group(1)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(proxy port, server port, passwords, env) of a migrated installation behind the proxy."""
    with fresh_installation(tmp_path_factory.mktemp("proxy")) as env:
        env.update(
            QUARTIER_TRUST_PROXY="1",
            QUARTIER_HTTPS="1",
            QUARTIER_ALLOWED_HOSTS=f"{HOST},127.0.0.1",
        )
        assert quartier("migrate", env=env).returncode == 0
        passwords = {name: _account(env, name) for name in ("max", "erika", "jan")}
        port = free_port()
        # Two worker processes (gunicorn): each must apply the proxy rules the same way.
        with running(["serve", "--port", str(port), "--workers", "2"], env):
            proxy, proxy_port = start_proxy(port)
            try:
                yield proxy_port, port, passwords, env
            finally:
                proxy.kill()
                proxy.wait()


def test_login_through_the_proxy_works_and_audits_the_clients_address(site):
    proxy_port, _, passwords, env = site
    browser = Browser(proxy_port, "127.0.0.2", HOST)
    status, headers, _ = browser.login("max", passwords["max"], ORIGIN)
    assert status == 302, "the login POST must pass the CSRF Origin check behind TLS"
    assert headers["location"] == ["/"]
    session = [c for c in browser.set_cookie if c.startswith("sessionid=")]
    assert session and "Secure" in session[0]  # the server knows the request came over https
    status, _, page = browser.get("/")
    assert status == 200 and "Abmelden (max)" in page
    assert audit_ips(env, "login", "max") == ["127.0.0.2"]


def test_failed_logins_lock_one_forwarded_client_not_everyone(site):
    proxy_port, _, passwords, env = site
    attacker = Browser(proxy_port, "127.0.0.3", HOST)
    statuses = [attacker.login("erika", "falsch", ORIGIN)[0] for _ in range(5)]
    assert statuses == [200] * 4 + [429]  # the form again with its error; the fifth locks
    status, _, page = attacker.login("erika", passwords["erika"], ORIGIN)
    assert status == 429 and "gesperrt" in page  # locked for this address
    assert set(audit_ips(env, "login_failed", "erika")) == {"127.0.0.3"}

    colleague = Browser(proxy_port, "127.0.0.4", HOST)
    status, _, _ = colleague.login("erika", passwords["erika"], ORIGIN)
    assert status == 302, "another client of the same proxy can still sign in"
    assert audit_ips(env, "login", "erika") == ["127.0.0.4"]
    status, _, _ = attacker.login("erika", passwords["erika"], ORIGIN)
    assert status == 429  # and the attacker stays locked


def test_a_client_cannot_forge_its_address_scheme_or_host(site):
    proxy_port, port, passwords, env = site
    forged = {"X-Forwarded-For": "127.0.0.4", "X-Forwarded-Host": HOST}
    # Straight to the server, past the proxy: the headers are not the proxy's, so they
    # are dropped; the request stays plain http on the server's own host name.
    direct = Browser(port, "127.0.0.5")
    status, _, _ = direct.login(
        "jan", "falsch", f"http://127.0.0.1:{port}", {**forged, "X-Forwarded-Proto": "https"}
    )
    assert status == 200  # the Origin check saw http://127.0.0.1:<port>, as it should
    status, _, _ = direct.login("jan", "falsch", ORIGIN, {**forged, "X-Forwarded-Proto": "https"})
    assert status == 403  # a forged https origin is not believed
    # Through the proxy, with a forged X-Forwarded-For: the proxy appends the real peer,
    # and only that last entry counts.
    sly = Browser(proxy_port, "127.0.0.6", HOST)
    status, _, _ = sly.login("jan", "falsch", ORIGIN, {"X-Forwarded-For": "127.0.0.4"})
    assert status == 200
    assert audit_ips(env, "login_failed", "jan") == ["127.0.0.5", "127.0.0.6"]
