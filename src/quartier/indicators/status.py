"""The status of one value (cell): the one vocabulary of every output.

Four states, each with the word the machine interfaces use (REST API, map
payload, JavaScript), the German word of files and pages and the mark tables and
CSV files put in place of a value:

* OK — ``ok``; the value is shown.
* MISSING — ``missing``, "keine Daten"; "–" on pages, an empty cell in files.
* SUPPRESSED — ``suppressed``, "geheim" (disclosure control); "•" on pages,
  "." in CSV and XLSX files (as in official statistics), never the number.
* CONFIDENTIAL — ``confidential``, "vertraulich"; the value is shown, marked "V"
  on pages.

CONFIDENTIAL is a value this user sees (an administrator, a data steward of
the owning unit) that everybody else sees SUPPRESSED. The numbers are the codes
kept in numpy status arrays; they never leave the server as meaning — outputs
use the words.
"""

from __future__ import annotations

import enum

import numpy as np
from django.utils.translation import gettext_noop


class Status(enum.IntEnum):
    """Status of one cell of a read-layer result."""

    OK = 0
    MISSING = 1
    SUPPRESSED = 2
    CONFIDENTIAL = 3

    @property
    def word(self) -> str:
        """The API word: ``ok``, ``missing``, ``suppressed``, ``confidential``."""
        return self.name.lower()

    @property
    def german(self) -> str:
        """The fixed German word of files (e.g. a GeoJSON status column); "" for OK."""
        return _GERMAN[self]

    @property
    def label(self) -> str:
        """The German word in the active language (pages, legends)."""
        from django.utils.translation import gettext

        return gettext(self.german) if self.german else ""

    @property
    def mark(self) -> str:
        """What a page's table shows for the status: ``•`` (hidden), ``V`` (confidential)."""
        return _MARK[self]

    @property
    def file_mark(self) -> str:
        """What a CSV or XLSX cell holds instead of a value: ``.`` for hidden, else ""."""
        return "." if self is Status.SUPPRESSED else ""

    @property
    def shown(self) -> bool:
        """True if the cell carries a value for this user (OK or CONFIDENTIAL)."""
        return self in (Status.OK, Status.CONFIDENTIAL)

    @property
    def colour(self) -> str | None:
        """Map colour of an area without a class: missing and hidden ones."""
        from quartier.core import palettes

        return {
            Status.MISSING: palettes.MISSING_COLOUR,
            Status.SUPPRESSED: palettes.SUPPRESSED_COLOUR,
        }.get(self)

    @classmethod
    def from_word(cls, word: str) -> Status:
        """The status with API word ``word``."""
        return cls[word.upper()]


_GERMAN = {
    Status.OK: "",
    Status.MISSING: gettext_noop("keine Daten"),
    Status.SUPPRESSED: gettext_noop("geheim"),
    Status.CONFIDENTIAL: gettext_noop("vertraulich"),
}
_MARK = {Status.OK: "", Status.MISSING: "–", Status.SUPPRESSED: "•", Status.CONFIDENTIAL: "V"}

#: API words in code order (for schemas and documentation).
WORDS = [status.word for status in Status]
#: The status of each code: ``BY_CODE[code]`` is quicker than ``Status(code)`` in loops.
BY_CODE: tuple[Status, ...] = tuple(Status)
#: Codes of the statuses that carry a value, for quick membership tests.
SHOWN_CODES = frozenset(int(status) for status in Status if status.shown)


def shown(status: np.ndarray) -> np.ndarray:
    """Boolean mask of the cells that carry a value (OK or CONFIDENTIAL)."""
    return (status == Status.OK) | (status == Status.CONFIDENTIAL)


def legend() -> dict[str, dict]:
    """{code as text: {word, label, mark, colour}}: how the map reads its status string."""
    return {
        str(int(status)): {
            "word": status.word,
            "label": status.label,
            "mark": status.mark,
            "colour": status.colour,
        }
        for status in Status
    }
