"""Which requests may name the client, the scheme and the host (quartier.server.behind_proxy).

The whole chain through a real proxy process is tested in
tests/access/test_reverse_proxy.py; these check the rules one by one.
"""

from __future__ import annotations

import pytest

from quartier.config import DEFAULT_PROXY_HEADERS, LOOPBACK_PROXIES, load_config
from quartier.errors import QuartierError
from quartier.server import behind_proxy


def _seen(proxies, peer, headers, count=1, trusted=DEFAULT_PROXY_HEADERS) -> dict:
    """The environ the application gets for a request from ``peer`` with ``headers``."""
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        return [b""]

    environ = {
        "REMOTE_ADDR": peer,
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "10.1.1.1:8000",
        "SERVER_NAME": "10.1.1.1",
        "SERVER_PORT": "8000",
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
    }
    behind_proxy(app, proxies, count, trusted)(environ, lambda *a: None)
    return seen


FORWARDED = {
    "X-Forwarded-For": "198.51.100.7, 192.0.2.10",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "quartier.stadt.example",
}


def test_the_trusted_proxy_names_client_scheme_and_host():
    seen = _seen(["10.0.0.0/24"], "10.0.0.5", FORWARDED)
    # The last entry is the one the proxy appended; anything before it the client may have sent.
    assert seen["REMOTE_ADDR"] == "192.0.2.10"
    assert seen["wsgi.url_scheme"] == "https"
    assert seen["HTTP_HOST"] == "quartier.stadt.example"


def test_two_chained_proxies_are_counted():
    seen = _seen(["10.0.0.5"], "10.0.0.5", FORWARDED, count=2)
    assert seen["REMOTE_ADDR"] == "198.51.100.7"


@pytest.mark.parametrize("proxies", [[], ["10.0.0.0/24"], list(LOOPBACK_PROXIES)])
def test_anyone_else_cannot_name_anything(proxies):
    headers = {**FORWARDED, "Forwarded": "for=192.0.2.99;proto=https", "X-Forwarded-Port": "1"}
    seen = _seen(proxies, "192.0.2.200", headers)
    assert seen["REMOTE_ADDR"] == "192.0.2.200"
    assert seen["wsgi.url_scheme"] == "http"
    assert seen["HTTP_HOST"] == "10.1.1.1:8000"
    assert not [key for key in seen if "FORWARDED" in key]  # removed: nobody reads them later


def test_headers_the_operator_did_not_trust_are_dropped_even_from_the_proxy():
    seen = _seen(["10.0.0.5"], "10.0.0.5", {**FORWARDED, "X-Forwarded-Port": "8443"})
    assert "HTTP_X_FORWARDED_PORT" not in seen and seen["SERVER_PORT"] == "443"


def test_a_dual_stack_socket_sees_the_loopback_proxy_as_ipv4_mapped():
    seen = _seen(list(LOOPBACK_PROXIES), "::ffff:127.0.0.1", FORWARDED)
    assert seen["REMOTE_ADDR"] == "192.0.2.10"


def test_trust_proxy_alone_trusts_the_loopback_proxy():
    config = load_config({"QUARTIER_TRUST_PROXY": "1"})
    assert config.trust_proxy and config.trusted_proxies == ("127.0.0.1", "::1")
    assert config.trusted_proxy_count == 1
    assert not load_config({}).trust_proxy


def test_trusted_proxy_addresses_count_and_headers_are_read():
    config = load_config(
        {
            "QUARTIER_TRUSTED_PROXY": "10.0.0.5, 10.0.1.0/24",
            "QUARTIER_TRUSTED_PROXY_COUNT": "2",
            "QUARTIER_TRUSTED_PROXY_HEADERS": "Forwarded",
        }
    )
    assert config.trust_proxy and config.trusted_proxies == ("10.0.0.5", "10.0.1.0/24")
    assert config.trusted_proxy_count == 2 and config.trusted_proxy_headers == ("forwarded",)


@pytest.mark.parametrize(
    "env",
    [
        {"QUARTIER_TRUSTED_PROXY": "proxy.stadt.example"},
        {"QUARTIER_TRUST_PROXY": "1", "QUARTIER_TRUSTED_PROXY_COUNT": "0"},
        {"QUARTIER_TRUST_PROXY": "1", "QUARTIER_TRUSTED_PROXY_HEADERS": "x-real-ip"},
        {
            "QUARTIER_TRUST_PROXY": "1",
            "QUARTIER_TRUSTED_PROXY_HEADERS": "forwarded,x-forwarded-for",
        },
    ],
)
def test_bad_proxy_settings_get_one_clear_line(env):
    with pytest.raises(QuartierError) as err:
        load_config(env)
    assert "QUARTIER_TRUSTED_PROXY" in err.value.message and "\n" not in err.value.message
