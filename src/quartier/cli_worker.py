"""``quartier worker``: run queued imports and analyses outside the web processes."""

from __future__ import annotations


def cmd_worker(args) -> int:
    """Run queued jobs (imports, analyses) until stopped (or until the parent process ends)."""
    from quartier.cli import setup

    setup()
    from quartier.imports.worker import serve_forever

    serve_forever(parent_pid=args.parent_pid)
    return 0


def add_parsers(sub) -> None:
    """Register the ``worker`` command."""
    worker = sub.add_parser("worker", help="Importe und Analysen im Hintergrund ausführen")
    worker.add_argument("--parent-pid", type=int, default=None, help=argparse_suppress())
    worker.set_defaults(func=cmd_worker)


def argparse_suppress():
    """Hidden option: started by ``quartier serve``, ending with it."""
    import argparse

    return argparse.SUPPRESS
