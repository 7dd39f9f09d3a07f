"""Checking a mapped table before anything is written (see :func:`check_table`).

The check produces the validation report (errors block, warnings must be accepted, notes
inform) and the values exactly as they will be stored; :mod:`.values_import` commits them.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from quartier.access.territories import outside_codes, writable_area_ids
from quartier.imports.checkreport import Report, listed
from quartier.imports.codes import CodeMatches
from quartier.imports.longvalues import CHUNK_ROWS, LongValues, long_values
from quartier.imports.plausibility import jumps, numerators_above, shares_outside
from quartier.imports.reporttexts import new_indicator_names, preview_decimals, symbol_note
from quartier.imports.sheets import release_freed_memory
from quartier.imports.stored import StoredValues, match, select_stored
from quartier.imports.sums import find_sums, sum_notes
from quartier.imports.tablemap import TableMapping
from quartier.imports.tables import RawTable
from quartier.imports.targets import check_write_rights, indicators_of, reuse_existing
from quartier.indicators.models import Indicator, Kind


def _computed(indicator: Indicator) -> bool:
    """True for rates computed from numerator and denominator (new or existing)."""
    spec = getattr(indicator, "_new_spec", None)
    if spec is not None:
        return spec.kind == Kind.RATE and bool(spec.numerator and spec.denominator)
    return indicator.is_computed


def _code_findings(matches: CodeMatches, report: Report) -> None:
    unknown = [
        f"„{c}“" + (f" (meinten Sie {', '.join(s)}?)" if s else "")
        for c, s in sorted(matches.unknown.items())
    ]
    listed(report, "warnings", unknown, "Unbekannte Gebietsschlüssel (Zeilen werden übersprungen)")
    listed(
        report,
        "warnings",
        [f"„{c}“ → {n}" for c, n in sorted(matches.renamed.items())],
        "Schlüssel mit fehlenden oder zusätzlichen führenden Nullen zugeordnet",
    )
    listed(
        report,
        "warnings",
        [f"„{c}“ passt zu {', '.join(v)}" for c, v in sorted(matches.ambiguous.items())],
        "Mehrdeutige Schlüssel (bitte eine Raumebene wählen)",
    )


def _value_checks(stored, indicators, report: Report, user=None) -> None:
    """Shares outside 0–100 %, numerator above denominator, jumps from the previous period."""
    listed(report, "errors", shares_outside(stored, indicators), "Anteile außerhalb von 0–100 %")
    listed(report, "errors", numerators_above(stored, indicators, user), "Zähler größer als Nenner")
    listed(report, "warnings", jumps(stored), "Große Sprünge gegenüber dem vorigen Stichtag")


def check_table(
    table: RawTable,
    mapping: TableMapping,
    user=None,
    new_keys: set[str] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> tuple[Report, StoredValues]:
    """Validate ``table`` under ``mapping``; returns the report and the values to store.

    ``new_keys`` are the indicators this import creates (default: the mapping's new ones
    that do not exist yet). The table is turned into columns ``chunk_rows`` rows at a
    time; the values to store iterate as ``(indicator key, area id, period, value, flag)``.
    """
    report = Report(rows_read=len(table.rows))
    mapping, reused = reuse_existing(mapping, user)
    report.notes += reused
    if new_keys is None:
        new_keys = {n.key for n in mapping.new_indicators}
    indicators = indicators_of(mapping, user)
    check_write_rights(user, indicators)
    values, problems = long_values(table, mapping, chunk_rows)
    listed(report, "errors", problems, "Ungültige Stichtage")
    matches, area = match(values, mapping.level)
    _code_findings(matches, report)
    sentinels = _count_flag(values, "sentinel")
    codes = [values.codes[c] for c in np.unique(values.code)]
    stored = select_stored(
        table,
        values,
        area,
        matches,
        indicators,
        _computed,
        lambda severity, items, heading: listed(report, severity, items, heading),
    )
    del area
    release_freed_memory()  # the columns before narrowing them
    if not len(stored):
        report.errors.append(_nothing_to_store(codes, matches, mapping))
    _value_checks(stored, indicators, report, user)
    if sentinels:
        report.notes.append(f"{sentinels} Werte wie −9999 werden als fehlende Werte behandelt.")
    for (symbol, flag), n in sorted(_symbols(stored).items()):
        report.notes.append(symbol_note(symbol, flag, n))
    _missing_areas(stored, mapping, report, writable_area_ids(user))
    listed(
        report,
        "errors",
        outside_codes(user, stored.area),
        "Gebiete außerhalb Ihrer Gebietskörperschaft: dort dürfen Sie keine Werte importieren",
    )
    report.sums = find_sums(stored, indicators)
    report.notes += sum_notes(report.sums, indicators, new_keys)
    for label, names in new_indicator_names(indicators, new_keys):
        listed(report, "notes", names, f"Neu angelegt, Sichtbarkeit „{label}“")
    present = {values.indicators[i] for i in np.unique(values.indicator)}
    empty = sorted(i.name for key, i in indicators.items() if key not in present)
    listed(report, "warnings", empty, "Ohne einen einzigen Wert in der Datei")
    report.values = len(stored)
    report.indicators = sorted(present)
    report.periods = sorted(values.periods[p].isoformat() for p in np.unique(values.period))
    report.preview = [_preview(stored, i, indicators) for i in range(min(20, len(stored)))]
    return report, stored


def _count_flag(values: LongValues, flag: str) -> int:
    """How many values carry ``flag``."""
    kinds = [n for n, (f, _symbol) in enumerate(values.kinds) if f == flag]
    return int(np.isin(values.kind, kinds).sum()) if kinds else 0


def _symbols(stored: StoredValues) -> Counter:
    """How often each (symbol as written, flag) is stored."""
    counts = np.bincount(stored.values.kind, minlength=len(stored.values.kinds))
    found: Counter = Counter()
    for n, (_flag, symbol) in enumerate(stored.values.kinds):
        flag = stored.flags[n]
        if flag and counts[n]:
            found[(symbol or flag, flag)] += int(counts[n])
    return found


def _preview(stored: StoredValues, i: int, indicators) -> dict:
    """Value ``i`` as the wizard previews it."""
    key, area, period, value, flag = stored.row(i)
    m = stored.matches.areas[area]
    return {
        "zeile": stored.line(i),
        "schluessel": m.code,
        "gebiet": m.name,
        "ebene": m.level_key,
        "indikator": indicators[key].name,
        "stichtag": period.isoformat(),
        "wert": value,
        "dezimalen": preview_decimals(indicators[key], value),
        "kennzeichen": flag,
        "zeichen": stored.values.kinds[stored.values.kind[i]][1],  # as the file wrote it
    }


def _nothing_to_store(codes: list[str], matches: CodeMatches, mapping: TableMapping) -> str:
    """Why not a single value of the table can be stored (an error: an empty import is refused).

    ``codes`` are the distinct codes of the table's values.
    """
    if codes and not matches.any_matched:
        if matches.ambiguous and not matches.unknown:
            return (
                "Die Gebietsschlüssel passen zu Gebieten mehrerer Raumebenen – bitte eine "
                "Raumebene wählen. Nichts kann übernommen werden."
            )
        samples = ", ".join(f"„{c}“" for c in sorted(codes)[:3])
        if mapping.level == "auto":
            where = "einer Raumebene"
        else:
            from quartier.spatial.index import area_index

            where = f"der Raumebene {area_index().level(mapping.level).name}"
        return (
            f"Kein Gebietsschlüssel der Datei passt zu einem Gebiet {where} (z. B. {samples}). "
            "Bitte Schlüsselspalte und Raumebene prüfen; nichts kann übernommen werden."
        )
    return (
        "Die Datei enthält keinen einzigen Wert, der übernommen werden kann (leere Zellen, "
        "nicht gewählte Spalten oder Gebiete, die zum Stichtag nicht gültig sind)."
    )


def _missing_areas(
    stored: StoredValues, mapping: TableMapping, report: Report, allowed: np.ndarray | None
) -> None:
    """Warn of the level's areas without a value (only those of the importing steward's
    territories, ``allowed``; None: all).
    """
    if mapping.level == "auto" or not len(stored):
        return
    from quartier.spatial.index import area_index

    index = area_index()
    level = index.level(mapping.level)
    covered = np.unique(stored.area)
    areas = index.areas(level)
    missing: set[str] = set()
    seen: set[bytes] = set()
    for p in np.unique(stored.values.period):
        valid = areas.valid_at(stored.values.periods[p])
        if valid.tobytes() in seen:  # periods with the same areas miss the same ones
            continue
        seen.add(valid.tobytes())
        absent = valid[~np.isin(areas.ids[valid], covered)]
        if allowed is not None:
            absent = absent[np.isin(areas.ids[absent], allowed)]
        missing.update(areas.codes[i] for i in absent)
    listed(report, "warnings", sorted(missing), f"Gebiete der Ebene {level.name} ohne Werte")
