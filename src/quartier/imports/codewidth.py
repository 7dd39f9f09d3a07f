"""Area codes a GIS stored as numbers: detecting lost leading zeros and restoring them.

Official keys are text with a fixed number of digits ("011001" for a Berlin
Bezirksregion). A GeoPackage or shapefile exported with an *integer* field keeps
11001, and the leading zero is gone without a trace. Converting text to a number
can only drop digits, never add any, so the codes with the **most** digits still
show the full width: restoring pads every shorter code to that maximum. The
*most common* width would be wrong — in Berlin 109 of 143 Bezirksregionen start
with 0, so the common width of the stored numbers is 5, not 6.

Running numbers (1, 2, … 143) are numbers, not keys that lost zeros; they are
left alone, and the user can still ask for a width. When the level exists
already, its codes decide the width.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np

from quartier.imports.geofiles import GeoSource, guarded, ogr_read

SAMPLES = 4  # changed codes shown as examples (plus one that stays)


@dataclass
class CodeWidth:
    """What the numeric codes of one field look like, and the proposed width."""

    field: str
    count: int
    digits: dict[int, int]  # number of digits → number of codes
    proposed: int | None  # pad to this many digits; None: keep as stored
    reason: str  # German: why this proposal
    samples: list[tuple[str, str]] = field(default_factory=list)  # (stored, restored)

    def to_json(self) -> dict:
        """Plain data for a job's analysis (JSON)."""
        data = asdict(self)
        data["digits"] = {str(k): v for k, v in sorted(self.digits.items())}
        data["samples"] = [list(s) for s in self.samples]
        return data

    @property
    def note(self) -> str:
        """One German sentence: how the codes are stored and what is proposed."""
        return (
            f"Das Feld „{self.field}“ speichert die Codes als Zahlen "
            f"({digits_text(self.digits)}): {self.reason}."
        )


def pad_code(code: str, width: int) -> str:
    """``code`` with leading zeros up to ``width`` digits; codes that are not all digits stay."""
    return code.zfill(width) if code.isdigit() and len(code) < width else code


def decide(
    source: GeoSource, code_field: str, chosen: int | None, known: list[str] | None
) -> tuple[int | None, CodeWidth | None]:
    """The width to pad ``code_field`` to (None: keep), and the proposal if one was made.

    ``chosen`` is the user's choice (0: keep as stored); None lets the proposal decide.
    """
    if chosen is not None:
        return (chosen or None), None
    numbers = numeric_codes(source, [code_field]).get(code_field)
    if numbers is None:
        return None, None
    proposal = propose(code_field, numbers, known)
    return proposal.proposed, proposal


def numeric_codes(source: GeoSource, fields: list[str] | None = None) -> dict[str, list[int]]:
    """Fields stored as numbers whose values could be codes: complete, whole, unique, ≥ 0."""
    meta, _, _, data = guarded(
        source.path, ogr_read, layer=source.layer, encoding=source.encoding,
        read_geometry=False, columns=fields,
    )  # fmt: skip
    out = {}
    for name, dtype, values in zip(meta["fields"], meta["dtypes"], data, strict=True):
        if np.dtype(dtype).kind not in "iuf":
            continue
        numbers = _whole_numbers(values)
        if numbers is not None and numbers and len(set(numbers)) == len(numbers):
            out[str(name)] = numbers
    return out


def _whole_numbers(values) -> list[int] | None:
    numbers = []
    for value in values:
        value = value.item() if isinstance(value, np.generic) else value
        if isinstance(value, float):
            if not math.isfinite(value) or not value.is_integer():
                return None  # missing values or fractions: not a code field
            value = int(value)
        if not isinstance(value, int) or value < 0:
            return None
        numbers.append(value)
    return numbers


def propose(field_name: str, numbers: list[int], known: list[str] | None = None) -> CodeWidth:
    """The width to restore for codes stored as ``numbers`` (see the module docstring).

    ``known`` are the current codes of the level the file updates, if it exists.
    """
    digits = Counter(len(str(n)) for n in numbers)
    widest = max(digits)
    known_widths = {len(c) for c in known or [] if c.isdigit()}
    width = known_widths.pop() if len(known_widths) == 1 else 0
    if width >= widest and width > min(digits):  # the level's own codes say how wide
        why = f"wie die vorhandenen Gebiete dieser Ebene ({width} Stellen)"
        return _result(field_name, numbers, digits, width, why)
    if len(digits) == 1:
        why = f"alle Codes haben {widest} Stellen; nichts deutet auf verlorene führende Nullen hin"
        return _result(field_name, numbers, digits, None, why)
    if max(numbers) <= 2 * len(numbers):
        why = (
            f"die Werte sehen nach laufenden Nummern aus (bis {max(numbers)}); "
            "sie bleiben ohne führende Nullen"
        )
        return _result(field_name, numbers, digits, None, why)
    why = (
        f"die längsten Codes haben {widest} Stellen; die kürzeren haben beim Speichern "
        "als Zahl vermutlich ihre führenden Nullen verloren"
    )
    return _result(field_name, numbers, digits, widest, why)


def _result(name, numbers, digits, width, why) -> CodeWidth:
    return CodeWidth(name, len(numbers), dict(digits), width, why, samples(numbers, width))


def samples(numbers: list[int], width: int | None) -> list[tuple[str, str]]:
    """A few codes as stored and as they would be stored after padding to ``width``."""
    codes = [str(n) for n in numbers]
    if not width:
        return [(c, c) for c in codes[: SAMPLES + 1]]
    changed = [(c, pad_code(c, width)) for c in codes if len(c) < width][:SAMPLES]
    kept = [(c, c) for c in codes if len(c) >= width][:1]
    return changed + kept


def digits_text(digits: dict) -> str:
    """Digit counts as text, e.g. "5 Stellen: 109, 6 Stellen: 34" (keys may be JSON strings)."""
    items = sorted((int(k), v) for k, v in digits.items())
    return ", ".join(f"{k} Stelle{'n' if k != 1 else ''}: {v}" for k, v in items)


def restored_message(
    field_name: str, changed: list[tuple[str, str]], total: int, width: int
) -> str:
    """What padding did, for the report and the command line."""
    if not changed:
        return (
            f"Feld „{field_name}“: alle Codes haben schon mindestens {width} Stellen; "
            "nichts wurde ergänzt."
        )
    examples = ", ".join(f"{a} → {b}" for a, b in changed[:3])
    return (
        f"Feld „{field_name}“: {len(changed)} von {total} Codes wurden mit führenden Nullen auf "
        f"{width} Stellen ergänzt (z. B. {examples})."
    )


def likely_level_codes(numbers: list[int]) -> list[str] | None:
    """The codes of an existing level that ≥ 80 % of ``numbers`` match without leading zeros.

    Used before the user has chosen a level: a file that updates a level should get
    that level's width even where the file alone shows no lost zeros.
    """
    from quartier.imports.codes import normal_code
    from quartier.spatial.index import area_index

    wanted = {str(n) for n in numbers}
    index = area_index()
    best, best_share = None, 0.8
    for level in index.levels:
        codes = [str(c) for c in index.areas(level).codes]
        share = len(wanted & {normal_code(c) for c in codes}) / len(wanted)
        if share >= best_share:
            best, best_share = codes, share
    return best
