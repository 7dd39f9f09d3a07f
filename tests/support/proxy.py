"""A reverse proxy and a small browser for tests of the production setup behind TLS.

The proxy runs as its own process (``python -m tests.support.proxy UPSTREAM_PORT``)
and does what nginx does with the configuration in the README: it takes the
client's request (here over plain HTTP; it stands for the TLS end), and
forwards it to ``quartier serve`` from 127.0.0.1 with

    proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;  (appends the peer)
    proxy_set_header X-Forwarded-Proto https;
    proxy_set_header X-Forwarded-Host  $host;

and nginx's default ``Host: <upstream address>``. The browser keeps cookies and
connects from a chosen loopback address (127.0.0.2, …), so each test client
has its own address as the proxy sees it.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailer", "trailers", "transfer-encoding", "upgrade", "content-length",
}  # fmt: skip
REPO = Path(__file__).resolve().parents[2]


def _handler(upstream_port: int):
    class Forward(BaseHTTPRequestHandler):
        """Forward every request to the upstream server, as nginx's proxy_pass does."""

        def _forward(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            # Like nginx: the headers set below replace the client's; others pass through.
            replaced = HOP_BY_HOP | {"host", "x-forwarded-for", "x-forwarded-proto"}
            replaced |= {"x-forwarded-host"}
            headers = [(k, v) for k, v in self.headers.items() if k.lower() not in replaced]
            forwarded = self.headers.get("X-Forwarded-For")
            peer = self.client_address[0]
            headers += [
                ("Host", f"127.0.0.1:{upstream_port}"),
                ("X-Forwarded-For", f"{forwarded}, {peer}" if forwarded else peer),
                ("X-Forwarded-Proto", "https"),
                ("X-Forwarded-Host", self.headers.get("Host", "")),
                ("Content-Length", str(len(body))),
            ]
            conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for key, value in headers:
                conn.putheader(key, value)
            conn.endheaders(body)
            answer = conn.getresponse()
            content = answer.read()
            self.send_response(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
            conn.close()

        do_GET = do_POST = do_HEAD = _forward

        def log_message(self, *args):  # quiet
            pass

    return Forward


def start_proxy(upstream_port: int) -> tuple[subprocess.Popen, int]:
    """Start the proxy process in front of ``upstream_port``; returns (process, its port)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.proxy", str(upstream_port)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    match = re.search(r"proxy on 127\.0\.0\.1:(\d+)", line)
    if not match:
        proc.kill()
        raise AssertionError(f"the proxy did not start: {line!r}")
    return proc, int(match.group(1))


class Browser:
    """HTTP client with a cookie jar, connecting from ``source`` to ``port``.

    ``host`` is the Host header the user typed (the proxy forwards it); cookies
    marked Secure are sent too, as a browser does over the proxy's TLS.
    """

    def __init__(self, port: int, source: str, host: str | None = None):
        self.port, self.source = port, source
        self.host = host or f"127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}
        self.set_cookie: list[str] = []  # raw Set-Cookie headers received

    def request(self, method: str, path: str, body: bytes = b"", headers=None):
        """Send one request; returns (status, headers as a dict of lists, text)."""
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=120, source_address=(self.source, 0)
        )
        sent = {"Host": self.host, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=sent)
        answer = conn.getresponse()
        received: dict[str, list[str]] = {}
        for key, value in answer.getheaders():
            received.setdefault(key.lower(), []).append(value)
        for raw in received.get("set-cookie", []):
            self.set_cookie.append(raw)
            for name, morsel in SimpleCookie(raw).items():
                self.cookies[name] = morsel.value
        text = answer.read().decode("utf-8", "replace")
        conn.close()
        return answer.status, received, text

    def get(self, path: str, headers=None):
        """GET ``path``."""
        return self.request("GET", path, headers=headers)

    def login(self, username: str, password: str, origin: str, headers=None):
        """Fetch the login form, then post it with its CSRF token as a browser does."""
        status, _, page = self.get("/anmelden/", headers=headers)
        assert status == 200, (status, page[:300])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"csrfmiddlewaretoken": token, "username": username, "password": password}
        sent = {
            "Origin": origin,
            "Referer": origin + "/anmelden/",
            "Content-Type": "application/x-www-form-urlencoded",
            **(headers or {}),
        }
        return self.request("POST", "/anmelden/", urlencode(form).encode(), sent)


def main() -> None:
    """Serve as a proxy to the port given on the command line until killed."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(int(sys.argv[1])))
    print(f"proxy on 127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
