"""Berlin's MSS preset: Status-Index, Dynamik-Index, the 12 groups, and why areas got none."""

from __future__ import annotations

from datetime import date

import numpy as np
from django.db import transaction

from quartier.analysis.describe import describe_mss, in_german
from quartier.analysis.models import Analysis
from quartier.analysis.reading import Reader, secret_summary
from quartier.analysis.results import Output, categories, save_analysis, store_outputs
from quartier.errors import QuartierError

STATUS_FIELDS, DYNAMIC_FIELDS = ["s1", "s3", "s4"], ["d1", "d3", "d4"]
MSS_MIN_RESIDENTS = 300  # the official method leaves out areas under 300 residents
# Why an area got no group, in the order the reasons are checked (first one counts).
REASONS = ("few_residents", "secret", "missing")


def _keys(keys: dict) -> tuple[dict, list[str], int, int]:
    """The checked inputs: role → key, the indicator roles in order, years, minimum."""
    years = int(keys.get("d_years") or 0)
    if years < 0:
        raise QuartierError("Die Zahl der Jahre für die Dynamik muss positiv sein.")
    minimum = keys.get("min_residents")
    minimum = MSS_MIN_RESIDENTS if minimum is None else int(minimum)
    if minimum < 0:
        raise QuartierError("Die Mindestzahl der Einwohnerinnen und Einwohner ist negativ.")
    # With d_years the dynamics are the changes of S1, S3, S4 over that many years (the MSS
    # definition of D1, D3, D4), for municipalities that have only the status indicators.
    order = STATUS_FIELDS + ([] if years else DYNAMIC_FIELDS)
    missing = [k.upper() for k in order if not keys.get(k)]
    if missing:
        raise QuartierError(f"Für das MSS-Verfahren fehlen die Indikatoren {', '.join(missing)}.")
    if minimum and not keys.get("residents"):
        raise QuartierError(
            f"Für die Mindestzahl von {minimum} Einwohnerinnen und Einwohnern bitte den "
            "Indikator der Einwohnerzahl wählen (oder die Mindestzahl 0)."
        )
    chosen = {k: keys[k] for k in order}
    if minimum:
        chosen["residents"] = keys["residents"]
    chosen |= {"min_residents": minimum} | ({"d_years": years} if years else {})
    return chosen, order + (["residents"] if minimum else []), years, minimum


def run_mss(
    user, name: str, level_key: str, period: date, keys: dict, *, unprotected: bool = False
) -> Analysis:
    """Berlin's MSS preset: Status-Index (S1,S3,S4), Dynamik-Index (D1,D3,D4), 12 groups.

    ``keys`` names the inputs by role (``s1`` … ``d4``), optionally ``d_years`` (dynamics
    as the change of S1, S3, S4 over that many years), ``residents`` and
    ``min_residents`` (default 300, as the official method; 0 = no minimum). Areas under
    the minimum, with a missing or a secret value take no part and get no group; the
    result says how many for each reason, and which.
    """
    from quartier.core import mss

    keys, roles, years, minimum = _keys(keys)
    reader = Reader(user, unprotected)
    inputs = reader.load([keys[k] for k in roles], level_key, period)
    few = np.zeros(len(inputs.codes), dtype=bool)
    valid = None
    if minimum:
        residents = inputs.values[keys["residents"]]
        few = residents < minimum  # NaN (missing or secret) compares False
        valid = ~few & ~np.isnan(residents)
    status = mss.status_index(*(inputs.values[keys[k]] for k in STATUS_FIELDS), valid=valid)
    if years:
        changes = reader.changes([keys[k] for k in STATUS_FIELDS], inputs, years)
        dynamic_values = [changes[keys[k]] for k in STATUS_FIELDS]
    else:
        dynamic_values = [inputs.values[keys[k]] for k in DYNAMIC_FIELDS]
    dynamic = mss.dynamic_index(*dynamic_values, valid=valid)
    codes = mss.combined(status.classes, dynamic.classes)
    combined_values = np.array([mss.COMBINED_CODES.index(c) + 1 if c else np.nan for c in codes])
    definition = {
        "name": name,
        "kind": "mss",
        "inputs": keys,
        "min_residents": minimum,
        "description": in_german(describe_mss, period, years, minimum),
    }
    # Outputs (indicators, batch, values) and the analysis record: all or nothing.
    with transaction.atomic():
        made = _outputs(name, status, dynamic, combined_values)
        outputs = store_outputs(reader, f"mss_{name}", inputs, made, definition)
        cells = {code: [] for code in mss.COMBINED_CODES}
        for code, area_code, area_name in zip(codes, inputs.codes, inputs.names, strict=True):
            if code:
                cells[code].append([area_code, area_name])
        secret = secret_summary(inputs.secret)
        result = {
            "cells": cells,
            "counts": mss.matrix(status.classes, dynamic.classes),
            "unclassified": _unclassified(inputs, codes, few, secret_summary_masks(inputs)),
        }
        return save_analysis(
            reader, "mss", name, inputs.level, period, definition, result, outputs, secret
        )


def _outputs(name: str, status, dynamic, combined_values) -> list[Output]:
    from quartier.core import mss

    def classes(result):
        return np.where(result.classes > 0, result.classes, np.nan)

    groups = categories([mss.combined_label(c) for c in mss.COMBINED_CODES], mss.COMBINED_COLOURS)
    return [
        Output("status", f"{name}: Status-Index", status.score, polarity="worse"),
        Output(
            "status_klasse", f"{name}: Status (Klasse)", classes(status), decimals=0,
            categories=categories(list(mss.STATUS_LABELS)), polarity="worse",
        ),
        Output("dynamik", f"{name}: Dynamik-Index", dynamic.score, polarity="worse"),
        Output(
            "dynamik_klasse", f"{name}: Dynamik (Klasse)", classes(dynamic), decimals=0,
            categories=categories(list(mss.DYNAMIC_LABELS)), polarity="worse",
        ),
        Output(
            "gesamt", f"{name}: Status/Dynamik-Index", combined_values, decimals=0,
            categories=groups, polarity="worse",
        ),
    ]  # fmt: skip


def secret_summary_masks(inputs) -> np.ndarray:
    """Areas with any secret input value (also a secret change)."""
    masks = [np.asarray(m, dtype=bool) for m in inputs.secret.values()]
    return np.logical_or.reduce(masks) if masks else np.zeros(len(inputs.codes), dtype=bool)


def _unclassified(inputs, codes, few: np.ndarray, secret: np.ndarray) -> dict:
    """Areas without a group per reason: too few residents, a secret value, a missing one."""
    out = {reason: [] for reason in REASONS}
    for i, code in enumerate(codes):
        if code:
            continue
        reason = "few_residents" if few[i] else "secret" if secret[i] else "missing"
        out[reason].append([inputs.codes[i], inputs.names[i]])
    return out
