"""Serving Quartier: one process with waitress, or several with gunicorn (:mod:`.prefork`)."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket

from quartier.errors import QuartierError
from quartier.warmup import warm_up  # noqa: F401 (bench scripts warm up through here)


def bind(host: str, port: int) -> socket.socket:
    """Open the listening socket, with a clear message when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise QuartierError(
                f"Port {port} auf {host} ist bereits belegt – beenden Sie das andere Programm "
                f"oder starten Sie mit --port {port + 1}. / Port {port} is already in use."
            ) from exc
        raise QuartierError(
            f"Kann nicht auf {host}:{port} lauschen ({exc.strerror}). "
            f"/ Cannot listen on {host}:{port}."
        ) from exc
    return sock


def _networks(proxies) -> list:
    return [ipaddress.ip_network(proxy, strict=False) for proxy in proxies]


def _address(peer: str | None):
    """The peer's address as an ip_address; IPv4-mapped IPv6 (dual-stack sockets) as IPv4."""
    try:
        address = ipaddress.ip_address((peer or "").strip("[]"))
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def behind_proxy(app, proxies=(), count: int = 1, headers=()):
    """Wrap ``app`` so that only the trusted reverse proxies may name client, scheme and host.

    A request whose peer address lies in ``proxies`` has its X-Forwarded-* (or
    Forwarded) headers applied by waitress: ``REMOTE_ADDR`` becomes the client
    the last ``count`` proxies saw, ``wsgi.url_scheme`` and ``HTTP_HOST`` what
    the client asked for. Every other request has these headers removed, so a
    client cannot forge its address by sending them itself. After this, the
    application reads the client from ``REMOTE_ADDR`` only (one place decides).
    Waitress' own ``trusted_proxy`` takes a single address; this takes a list.
    """
    from waitress.proxy_headers import proxy_headers_middleware

    networks = _networks(proxies)
    from_proxy = proxy_headers_middleware(
        app,
        trusted_proxy="*",  # the address check is done below, against the list
        trusted_proxy_count=count,
        trusted_proxy_headers=set(headers),
        clear_untrusted=True,
    )
    from_anyone = proxy_headers_middleware(app, trusted_proxy=None, clear_untrusted=True)

    def dispatch(environ, start_response):
        peer = _address(environ.get("REMOTE_ADDR"))
        trusted = peer is not None and any(peer in network for network in networks)
        return (from_proxy if trusted else from_anyone)(environ, start_response)

    return dispatch


def default_workers() -> int:
    """Worker processes by default: one per core this process may use; one on Windows."""
    if os.name == "nt":
        return 1  # gunicorn forks; waitress serves with threads only
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1


def application():
    """The WSGI application as served: behind the trusted proxies only (see behind_proxy)."""
    from django.conf import settings

    from quartier import testhooks, warmup
    from quartier.wsgi import application as django_application

    config = settings.QUARTIER
    app = behind_proxy(
        django_application,
        config.trusted_proxies,
        config.trusted_proxy_count,
        config.trusted_proxy_headers,
    )
    return testhooks.worker_header(warmup.track(app))


def serve(sock: socket.socket, threads: int = 8, workers: int | None = 1) -> None:
    """Serve the WSGI application on an already bound socket until interrupted.

    One worker: waitress in this process (also on Windows). More: gunicorn forks
    them from this process (:mod:`quartier.prefork`). ``None``: :func:`default_workers`.
    What the first map needs is loaded before any connection is accepted — once, in
    the process the workers are forked from (:func:`quartier.warmup.preload`).
    """
    from django.conf import settings

    from quartier import warmup

    workers = default_workers() if workers is None else workers
    app = application()
    warmup.preload()
    if workers > 1:
        from quartier import prefork

        prefork.serve(app, sock, workers, threads, settings.QUARTIER.data_dir)
        return
    from waitress import serve as waitress_serve

    warmup.start(settings.QUARTIER.data_dir)
    waitress_serve(
        app,
        sockets=[sock],
        threads=threads,
        ident="Quartier",
        # behind_proxy() clears or applies the proxy headers; waitress must not clear
        # them first (its own trusted_proxy allows one address only).
        clear_untrusted_proxy_headers=False,
    )


def url_for(sock: socket.socket) -> str:
    """The http URL of a bound socket."""
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"
