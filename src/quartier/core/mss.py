"""Presets for Berlin's "Monitoring Soziale Stadtentwicklung" (MSS) 2021.

Method (Indikatorenheft MSS 2021, section 4, "gestuftes Indexverfahren")
    Status-Index: the shares S1 (Arbeitslosigkeit SGB II), S3 (Transferbezug) and S4
    (Kinderarmut) are z-standardised over the considered Planungsräume (PLR), summed to the
    "Statussumme", and the sum is z-standardised again. Classes by SD: "hoch" x < −1,
    "mittel" −1 ≤ x ≤ +1, "niedrig" +1 < x ≤ +1.5, "sehr niedrig" x > +1.5.
    Dynamik-Index: the same with the two-year changes D1, D3, D4 (percentage points) and
    three classes: "positiv" x < −1, "stabil" −1 ≤ x ≤ +1, "negativ" x > +1.
    Gesamtindex Soziale Ungleichheit: status class (1–4) followed by "+", "+/-" or "-" for
    positive, stable or negative dynamics, 12 groups ("1+" … "4-").
    Considered PLR are those with KOM == "gültig" (536 of 542); the others carry -9999.

Which standard deviation (ddof) — evidence
    The published tables carry, for every single indicator X, the class ``X_SD_GR`` by
    standard deviation. Recomputing them from the published values (536 valid PLR, z over
    those PLR, the boundary rules above) gives:

    ================  ======  ======  ======  ======  ======  ======  ==========
    classes agreeing    S1      S3      S4      D1      D3      D4     12 context
    ================  ======  ======  ======  ======  ======  ======  ==========
    ddof=0 (pop.)      536     536     536     535     535     536     6432/6432
    ddof=1 (sample)    536     535     535     535     536     535     6427/6432
    ================  ======  ======  ======  ======  ======  ======  ==========

    ("12 context": KI_01…KI_17 with values in ``mss_2021_kontext_indikatoren.csv``, same
    scheme.) In total ddof=0 reproduces 9,646 of 9,648 classes, ddof=1 9,639. Each of the
    seven classes that only ddof=1 gets wrong (one each in S3, S4, D4 and five context
    classes) belongs to a PLR within 0.0008 SD of a break, just where the slightly larger
    sample SD moves it across. Hence **ddof=0** (population SD). For the 2021 Status- and
    Dynamik-Index themselves the choice changes no class (both give the same 536 classes).

    The S indicators use four classes (breaks −1, +1, +1.5); the D indicators only three
    (−1, +1; no class 4 occurs) — the Dynamik-Index scheme.

    The two remaining misses are not explained by either SD, by rounding the values (to
    1–4 decimals, before or after computing the statistics), by rounding z, by recomputing
    D from rounded S values, or by any boundary rule:

    * 11501339 Karlshorst West, D1 = 0.16918: z = −0.9957 (ddof=0) and −0.9948 (ddof=1),
      published class 1 (would need z < −1; the value is 0.004 pp above the break);
    * 10300734 Biesdorf Süd, D3 = 0.51858: z = +1.0008 (ddof=0), published class 2
      (ddof=1 gives +0.9999 and class 2, but then S3, S4 and D4 each miss one PLR).

    We assume the publisher classified these two from a slightly different data state of
    the back-calculated (new-LOR) 2018 values.

Boundary rules
    No published value lies within 6e-5 SD of a break, so the data cannot tell "<" from
    "≤"; the rules are taken verbatim from the handbook.

Check against the published indices
    The published Gesamtindex (FIS-Broker layer ``s_Indizes_MSS2021_homogen``, not in
    ``../shared/data``) agrees for the 26 PLR whose Status- or Dynamik-Index lies closest
    to a break and for the two PLR above; ``tests/core/test_mss.py`` keeps these codes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from quartier.core.indices import (
    Component,
    IndexResult,
    IndexSpec,
    classify_sd,
    compute_index,
    standardise,
)
from quartier.errors import QuartierError

MISSING = -9999  # the publisher's NoData value
VALID_KOM = "gültig"
MSS_DDOF = 0  # population SD, see the module docstring

STATUS_LABELS = ("hoch", "mittel", "niedrig", "sehr niedrig")
DYNAMIC_LABELS = ("positiv", "stabil", "negativ")
STATUS_BREAKS = (-1.0, 1.0, 1.5)
STATUS_INCLUSIVE = ("left", "both", "right", "right")
DYNAMIC_BREAKS = (-1.0, 1.0)
DYNAMIC_INCLUSIVE = ("left", "both", "right")
DYNAMIC_SIGNS = ("+", "+/-", "-")
COMBINED_CODES = [f"{s}{d}" for s in range(1, 5) for d in DYNAMIC_SIGNS]
# The 12 groups: one hue per status class (ColorBrewer Greens, Blues, Oranges, RdPu), the
# dynamics as lightness (positiv light, stabil medium, negativ dark), in COMBINED_CODES
# order. Chosen among the colour-blind-safe ColorBrewer ramps for the largest smallest
# difference between any two groups, also with simulated protanopia and deuteranopia
# (tests/core/test_mss.py); a sequential ramp of 12 has near-identical neighbours.
COMBINED_COLOURS = [
    "#a1d99b", "#41ab5d", "#006d2c",  # status 1 hoch
    "#9ecae1", "#4292c6", "#08519c",  # status 2 mittel
    "#fdae6b", "#f16913", "#a63603",  # status 3 niedrig
    "#fa9fb5", "#dd3497", "#7a0177",  # status 4 sehr niedrig
]  # fmt: skip


def combined_label(code: str) -> str:
    """The meaning of a group code, e.g. "2+/-: Status mittel, Dynamik stabil"."""
    status, sign = int(code[0]), code[1:]
    dynamic = DYNAMIC_LABELS[DYNAMIC_SIGNS.index(sign)]
    return f"{code}: Status {STATUS_LABELS[status - 1]}, Dynamik {dynamic}"


STATUS_SPEC = IndexSpec(
    components=(Component("S1"), Component("S3"), Component("S4")),
    sd_breaks=STATUS_BREAKS,
    inclusive=STATUS_INCLUSIVE,
    labels=STATUS_LABELS,
    ddof=MSS_DDOF,
)
DYNAMIC_SPEC = IndexSpec(
    components=(Component("D1"), Component("D3"), Component("D4")),
    sd_breaks=DYNAMIC_BREAKS,
    inclusive=DYNAMIC_INCLUSIVE,
    labels=DYNAMIC_LABELS,
    ddof=MSS_DDOF,
)


def clean(values) -> np.ndarray:
    """Float array with the publisher's -9999 (and anything not finite) as NaN."""
    x = np.asarray(values, dtype=np.float64).copy()
    x[~np.isfinite(x) | (x == MISSING)] = np.nan
    return x


def _exclude(valid, n: int) -> np.ndarray | None:
    if valid is None:
        return None
    valid = np.asarray(valid, dtype=bool)
    if valid.shape != (n,):
        raise QuartierError("Die Liste der gültigen Planungsräume passt nicht zu den Werten.")
    return ~valid


def _index(spec: IndexSpec, arrays, valid) -> IndexResult:
    values = {c.key: clean(a) for c, a in zip(spec.components, arrays, strict=True)}
    n = next(iter(values.values())).size
    return compute_index(values, spec, exclude=_exclude(valid, n))


def status_index(s1, s3, s4, valid=None) -> IndexResult:
    """MSS Status-Index from S1, S3, S4 (shares in %); ``valid``: the PLR considered.

    Classes 1–4 are ``STATUS_LABELS``; ``result.raw`` is the Statussumme.
    """
    return _index(STATUS_SPEC, (s1, s3, s4), valid)


def dynamic_index(d1, d3, d4, valid=None) -> IndexResult:
    """MSS Dynamik-Index from D1, D3, D4 (changes in pp); ``valid``: the PLR considered.

    Classes 1–3 are ``DYNAMIC_LABELS``; ``result.raw`` is the Dynamiksumme.
    """
    return _index(DYNAMIC_SPEC, (d1, d3, d4), valid)


def indicator_classes(values, valid=None, kind: str = "status") -> np.ndarray:
    """SD class of a single index indicator, as published in the ``X_SD_GR`` columns.

    ``kind="status"`` gives four classes (breaks −1, +1, +1.5 SD), ``kind="dynamic"`` three
    (−1, +1 SD); z uses the population SD over the considered PLR. 0 = no class.
    """
    if kind not in ("status", "dynamic"):
        raise QuartierError(f"Unbekannte Indikatorart „{kind}“ (status oder dynamic).")
    x = clean(values)
    include = ~np.isnan(x)
    exclude = _exclude(valid, x.size)
    if exclude is not None:
        include &= ~exclude
    z = standardise(x, "z", MSS_DDOF, include)
    if kind == "status":
        return classify_sd(z, STATUS_BREAKS, STATUS_INCLUSIVE)
    return classify_sd(z, DYNAMIC_BREAKS, DYNAMIC_INCLUSIVE)


def _class_numbers(classes, k: int, what: str) -> np.ndarray:
    """Integer classes with 0 for missing (NaN, None, 0); anything outside 1..k is an error."""
    x = np.array([np.nan if c is None else c for c in np.asarray(classes, dtype=object)], float)
    x[~np.isfinite(x)] = 0
    if np.any((x != np.round(x)) | (x < 0) | (x > k)):
        raise QuartierError(f"{what}-Klassen müssen ganze Zahlen von 1 bis {k} sein.")
    return x.astype(np.int64)


def combined(status_classes, dynamic_classes) -> list[str | None]:
    """Gesamtindex code of every PLR ("1+", "2+/-", "4-" …); ``None`` where a class is missing.

    Status classes are 1–4, dynamic classes 1–3 (positiv, stabil, negativ); 0, NaN or
    ``None`` mean "no class".
    """
    status = _class_numbers(status_classes, 4, "Status")
    dynamic = _class_numbers(dynamic_classes, 3, "Dynamik")
    if status.shape != dynamic.shape:
        raise QuartierError("Status- und Dynamik-Klassen müssen dieselben Gebiete betreffen.")
    return [
        f"{s}{DYNAMIC_SIGNS[d - 1]}" if s and d else None
        for s, d in zip(status.tolist(), dynamic.tolist(), strict=True)
    ]


def matrix(status_classes, dynamic_classes) -> dict[str, int]:
    """Number of PLR per Gesamtindex code, all 12 codes in ``COMBINED_CODES`` order.

    The order is status 1..4, each with dynamics +, +/-, -, so the values reshaped to
    (4, 3) give the status × dynamics table. PLR without both classes are not counted.
    """
    counts = dict.fromkeys(COMBINED_CODES, 0)
    for code in combined(status_classes, dynamic_classes):
        if code is not None:
            counts[code] += 1
    return counts


def read_table(path: str | Path):
    """Read an MSS 2021 indicator table (CSV) as published.

    IDs stay text (``PLR_ID`` has a leading zero), -9999 and empty cells become NaN, and a
    boolean column ``valid`` marks the PLR with ``KOM == "gültig"``.
    """
    import pandas as pd

    try:
        df = pd.read_csv(
            path,
            dtype={"PLR_ID": str, "BEZ_ID": str, "PLR_NAME": str, "KOM": str},
            na_values=[str(MISSING), f"{MISSING}.0"],
            encoding="utf-8",
        )
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise QuartierError(f"Die MSS-Tabelle „{path}“ kann nicht gelesen werden: {exc}") from exc
    if "KOM" not in df.columns or "PLR_ID" not in df.columns:
        raise QuartierError("Die MSS-Tabelle braucht die Spalten PLR_ID und KOM.")
    df["valid"] = df["KOM"].fillna("").str.strip().eq(VALID_KOM)
    return df
