"""Serving Quartier with waitress: one process, threads, no extra services."""

from __future__ import annotations

import errno
import socket

from quartier.errors import QuartierError


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


def warm_up() -> None:
    """Pay one-off costs (numba compilation in mapclassify and esda) before requests do."""
    import numpy as np

    from quartier.core.autocorrelation import warm_up as warm_up_lisa
    from quartier.core.classification import classify

    classify(np.arange(20, dtype=float), "natural_breaks", 3)
    warm_up_lisa()


def serve(sock: socket.socket, threads: int = 8) -> None:
    """Serve the WSGI application on an already bound socket until interrupted."""
    import threading

    from waitress import serve as waitress_serve

    from quartier.wsgi import application

    threading.Thread(target=warm_up, name="quartier-warm-up", daemon=True).start()
    waitress_serve(
        application,
        sockets=[sock],
        threads=threads,
        ident="Quartier",
        clear_untrusted_proxy_headers=True,
    )


def url_for(sock: socket.socket) -> str:
    """The http URL of a bound socket."""
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"
