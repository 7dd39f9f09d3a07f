"""Protection against spreadsheet formula injection (CSV and XLSX exports).

A spreadsheet program runs a cell's text as a formula when it starts with ``=``,
``+``, ``-`` or ``@`` (and some also after a tab or carriage return). Names of
areas, indicator sources or descriptions come from imports and could carry such
text, e.g. ``=HYPERLINK(…)``. Every *text* cell an export writes goes through
:func:`neutralise`; numbers are written as numbers and never pass through it, so
a negative value stays a negative number.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """``text`` with a leading apostrophe if a spreadsheet would read it as a formula.

    The apostrophe is the usual marker of "this is text" in Excel and LibreOffice;
    text that does not start with a formula character is returned unchanged.
    """
    return "'" + text if text[:1] in FORMULA_STARTS else text
