"""Charts as SVG, drawn by matplotlib from plain data (no Django, no database).

:mod:`.data` holds what a chart shows — series with ``None`` for a value that is
missing or secret and a status that says which — and how a series falls apart
into the line segments between gaps. :mod:`.render` draws it with matplotlib's
SVG backend and the DejaVu fonts matplotlib ships, so pages, print and PDF (a
report builder can call :func:`.render.svg` directly) show the same picture.
"""
