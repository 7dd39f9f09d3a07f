"""Berlin MSS 2021 presets, checked on the real published data (../shared/data)."""

from pathlib import Path

import numpy as np
import pytest

from quartier.core import mss
from quartier.errors import QuartierError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "berlin-mss-2021"
INDEX_CSV = DATA / "mss_2021_index_indikatoren.csv"
CONTEXT_CSV = DATA / "mss_2021_kontext_indikatoren.csv"


def needs_data(test):
    """Real-data tests run everywhere ../shared/data is (CI has it): a missing file fails."""
    return test


@pytest.fixture(scope="module")
def table():
    return mss.read_table(INDEX_CSV)


def reference_index(columns: list[np.ndarray], ddof: int) -> np.ndarray:
    """Independent plain-numpy version of the handbook's steps 2–4."""
    z = [(x - x.mean()) / x.std(ddof=ddof) for x in columns]
    total = np.sum(z, axis=0)
    return (total - total.mean()) / total.std(ddof=ddof)


def reference_classes(z: np.ndarray, four: bool) -> np.ndarray:
    """The handbook's class rules written out with comparison operators."""
    c = np.where(z < -1, 1, np.where(z <= 1, 2, 3))
    return np.where(four & (z > 1.5), 4, c)


# --- the table ----------------------------------------------------------------------------------


@needs_data
def test_read_table_keeps_ids_as_text_and_marks_missing(table):
    assert len(table) == 542 and int(table["valid"].sum()) == 536
    assert table["PLR_ID"].iloc[0] == "01100101" and table["PLR_ID"].str.len().eq(8).all()
    invalid = table[~table["valid"]]
    assert invalid["KOM"].str.startswith("ungültig").all()
    # -9999 became NaN for every invalid PLR; valid PLR have all six index indicators
    assert invalid[["S1", "S3", "S4", "D1", "D3", "D4"]].isna().all().all()
    assert table.loc[table["valid"], ["S1", "S3", "S4", "D1", "D3", "D4"]].notna().all().all()


def test_read_table_errors_are_german(tmp_path):
    with pytest.raises(QuartierError, match="kann nicht gelesen werden"):
        mss.read_table(tmp_path / "fehlt.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("A,B\n1,2\n", encoding="utf-8")
    with pytest.raises(QuartierError, match="PLR_ID und KOM"):
        mss.read_table(bad)


# --- Status- and Dynamik-Index against an independent reference ------------------------------


@needs_data
@pytest.mark.parametrize(
    ("build", "keys", "four"),
    [(mss.status_index, ("S1", "S3", "S4"), True), (mss.dynamic_index, ("D1", "D3", "D4"), False)],
)
def test_index_matches_plain_numpy_reference(table, build, keys, four):
    valid = table["valid"].to_numpy()
    result = build(*(table[k] for k in keys), valid=valid)
    columns = [table.loc[valid, k].to_numpy(float) for k in keys]
    expected = reference_index(columns, ddof=mss.MSS_DDOF)
    np.testing.assert_allclose(result.score[valid], expected, rtol=0, atol=1e-12)
    assert np.isnan(result.score[~valid]).all() and (result.classes[~valid] == 0).all()
    np.testing.assert_array_equal(result.classes[valid], reference_classes(expected, four))
    assert result.included.sum() == 536
    # the Statussumme / Dynamiksumme and its statistics
    total = np.sum([(x - x.mean()) / x.std() for x in columns], axis=0)
    np.testing.assert_allclose(result.raw[valid], total, atol=1e-12)
    assert result.sd == pytest.approx(total.std(), abs=1e-12)


@needs_data
def test_status_and_dynamic_class_counts_are_plausible(table):
    valid = table["valid"]
    status = mss.status_index(table["S1"], table["S3"], table["S4"], valid)
    dynamic = mss.dynamic_index(table["D1"], table["D3"], table["D4"], valid)
    assert status.counts() == {"hoch": 75, "mittel": 366, "niedrig": 46, "sehr niedrig": 49}
    assert dynamic.counts() == {"positiv": 48, "stabil": 436, "negativ": 52}
    assert status.labels == list(mss.STATUS_LABELS)
    assert dynamic.labels == list(mss.DYNAMIC_LABELS)


@needs_data
def test_invalid_plr_left_out_even_without_valid_mask(table):
    # -9999 is read as missing, so the six invalid PLR drop out on their own.
    raw = table[["S1", "S3", "S4"]].fillna(mss.MISSING)
    result = mss.status_index(raw["S1"], raw["S3"], raw["S4"])
    assert result.included.sum() == 536
    with_mask = mss.status_index(table["S1"], table["S3"], table["S4"], table["valid"])
    np.testing.assert_array_equal(result.classes, with_mask.classes)


@needs_data
def test_excluding_more_plr_changes_the_statistics(table):
    valid = table["valid"].to_numpy().copy()
    full = mss.status_index(table["S1"], table["S3"], table["S4"], valid)
    valid[table["BEZ_ID"].eq("01").to_numpy()] = False
    part = mss.status_index(table["S1"], table["S3"], table["S4"], valid)
    assert part.included.sum() < full.included.sum()
    assert part.mean == pytest.approx(0.0, abs=1e-9)  # sum of z-scores over the new set
    assert not np.allclose(part.score[valid], full.score[valid])


# --- published single-indicator classes: the evidence for ddof ---------------------------------

# Classes that agree with the publisher's X_SD_GR for the 536 valid PLR (see core/mss.py).
AGREEMENT = {
    0: {"S1": 536, "S3": 536, "S4": 536, "D1": 535, "D3": 535, "D4": 536},
    1: {"S1": 536, "S3": 535, "S4": 535, "D1": 535, "D3": 536, "D4": 535},
}


def agreement(table, key: str, ddof: int) -> int:
    valid = table["valid"].to_numpy()
    x = table.loc[valid, key].to_numpy(float)
    z = (x - x.mean()) / x.std(ddof=ddof)
    published = table.loc[valid, f"{key}_SD_GR"].to_numpy(int)
    return int((reference_classes(z, key.startswith("S")) == published).sum())


@needs_data
def test_published_indicator_classes_favour_population_sd(table):
    for ddof, expected in AGREEMENT.items():
        got = {key: agreement(table, key, ddof) for key in expected}
        assert got == expected, ddof
    assert sum(AGREEMENT[0].values()) > sum(AGREEMENT[1].values())
    assert mss.MSS_DDOF == 0


@needs_data
def test_indicator_classes_reproduce_published_sd_groups(table):
    valid = table["valid"]
    mismatches = {}
    for key in ("S1", "S3", "S4", "D1", "D3", "D4"):
        kind = "status" if key.startswith("S") else "dynamic"
        ours = mss.indicator_classes(table[key], valid, kind)
        published = table[f"{key}_SD_GR"].fillna(0).to_numpy(int)
        mismatches[key] = table.loc[ours != published, "PLR_ID"].tolist()
        assert (ours[~valid.to_numpy()] == 0).all()
    # The two PLR documented in core/mss.py; no SD, rounding or boundary rule explains them.
    assert mismatches == {
        "S1": [],
        "S3": [],
        "S4": [],
        "D1": ["11501339"],
        "D3": ["10300734"],
        "D4": [],
    }


@needs_data
def test_dynamic_indicators_have_three_published_classes(table):
    for key in ("D1", "D3", "D4"):
        assert set(table.loc[table["valid"], f"{key}_SD_GR"].astype(int)) == {1, 2, 3}
    for key in ("S1", "S3", "S4"):
        assert set(table.loc[table["valid"], f"{key}_SD_GR"].astype(int)) == {1, 2, 3, 4}


@pytest.mark.skipif(not CONTEXT_CSV.is_file(), reason="../shared/data is not available")
def test_context_indicator_classes_agree_fully_only_with_population_sd():
    context = mss.read_table(CONTEXT_CSV)
    keys = [c[: -len("_SD_GR")] for c in context.columns if c.endswith("_SD_GR")]
    keys = [k for k in keys if context.loc[context["valid"], k].notna().any()]
    assert len(keys) == 12
    total = {0: 0, 1: 0}
    for ddof in (0, 1):
        for key in keys:
            valid = context["valid"].to_numpy()
            x = context.loc[valid, key].to_numpy(float)
            z = (x - x.mean()) / x.std(ddof=ddof)
            published = context.loc[valid, f"{key}_SD_GR"].to_numpy(int)
            total[ddof] += int((reference_classes(z, True) == published).sum())
    assert total == {0: 12 * 536, 1: 12 * 536 - 5}


# --- Gesamtindex -------------------------------------------------------------------------------


@needs_data
def test_gesamtindex_on_real_data(table):
    valid = table["valid"]
    status = mss.status_index(table["S1"], table["S3"], table["S4"], valid)
    dynamic = mss.dynamic_index(table["D1"], table["D3"], table["D4"], valid)
    codes = mss.combined(status.classes, dynamic.classes)
    present = {c for c in codes if c is not None}
    assert present <= set(mss.COMBINED_CODES) and len(present) == 12
    assert sum(c is None for c in codes) == 6
    counts = mss.matrix(status.classes, dynamic.classes)
    assert list(counts) == mss.COMBINED_CODES and sum(counts.values()) == 536
    table_4x3 = np.array(list(counts.values())).reshape(4, 3)
    assert table_4x3.sum(axis=1).tolist() == [75, 366, 46, 49]
    assert table_4x3.sum(axis=0).tolist() == [48, 436, 52]
    assert counts["2+/-"] == max(counts.values())


def test_combined_codes_and_order():
    assert mss.COMBINED_CODES == [
        "1+", "1+/-", "1-", "2+", "2+/-", "2-", "3+", "3+/-", "3-", "4+", "4+/-", "4-",
    ]  # fmt: skip
    status = np.array([1, 2, 3, 4, 0, 2])
    dynamic = np.array([1, 2, 3, 3, 2, 0])
    assert mss.combined(status, dynamic) == ["1+", "2+/-", "3-", "4-", None, None]
    # float classes with NaN (as read from a CSV) and None work too
    assert mss.combined([1.0, np.nan, None], [3.0, 1.0, 1]) == ["1-", None, None]


def test_matrix_counts_every_code():
    counts = mss.matrix([1, 1, 4, 2, 0], [1, 1, 3, 2, 2])
    assert counts["1+"] == 2 and counts["4-"] == 1 and counts["2+/-"] == 1
    assert sum(counts.values()) == 4 and len(counts) == 12


def test_combined_rejects_bad_classes():
    with pytest.raises(QuartierError, match="Status-Klassen"):
        mss.combined([5], [1])
    with pytest.raises(QuartierError, match="Dynamik-Klassen"):
        mss.combined([1], [4])
    with pytest.raises(QuartierError, match="Dynamik-Klassen"):
        mss.combined([1], [1.5])
    with pytest.raises(QuartierError, match="dieselben Gebiete"):
        mss.combined([1, 2], [1])


# --- small synthetic checks --------------------------------------------------------------------


def test_status_index_boundaries_on_exact_values():
    # Three identical indicators: the index is z of x, and x / 2 is exact here.
    x = np.array([3.0, -3.0, 2.0, -2.0, 1.0, -1.0, 0.0]) + 10
    r = mss.status_index(x, x, x)
    np.testing.assert_array_equal(r.score, (x - 10) / 2)
    assert r.class_labels() == [
        "niedrig", "hoch", "mittel", "mittel", "mittel", "mittel", "mittel",
    ]  # fmt: skip
    d = mss.dynamic_index(x, x, x)
    assert d.class_labels() == [
        "negativ", "positiv", "stabil", "stabil", "stabil", "stabil", "stabil",
    ]  # fmt: skip


def test_sentinel_and_valid_mask():
    s = np.array([1.0, 2.0, 3.0, 4.0, mss.MISSING])
    r = mss.status_index(s, s * 2, s + 1, valid=[True, True, True, False, True])
    assert r.included.tolist() == [True, True, True, False, False]
    with pytest.raises(QuartierError, match="gültigen Planungsräume"):
        mss.status_index(s, s, s, valid=[True, False])


def test_indicator_classes_kind_is_checked():
    with pytest.raises(QuartierError, match="Indikatorart"):
        mss.indicator_classes(np.arange(5.0), kind="kontext")


# Colour-vision deficiency simulation (Machado, Oliveira & Fernandes 2009, severity 1).
CVD = {
    "normal": np.eye(3),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
         [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
         [-0.011820, 0.042940, 0.968881]]
    ),
}  # fmt: skip


def smallest_difference(colours: list[str], matrix: np.ndarray) -> float:
    """The smallest OKLab distance between two of ``colours`` as seen through ``matrix``."""
    from quartier.core.palettes import _M1, _M2, _srgb_to_linear

    labs = []
    for c in colours:
        rgb = np.array([int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)])
        linear = np.clip(matrix @ _srgb_to_linear(rgb), 0, 1)
        labs.append(_M2 @ np.cbrt(_M1 @ linear))
    labs = np.array(labs)
    d = np.sqrt(((labs[:, None] - labs[None]) ** 2).sum(-1))
    return float(d[~np.eye(len(colours), dtype=bool)].min())


def test_the_twelve_groups_have_distinguishable_colours_with_readable_text():
    from quartier.core.palettes import contrast_ratio, sequential, text_on

    colours = mss.COMBINED_COLOURS
    assert len(set(colours)) == 12 == len(mss.COMBINED_CODES)
    # Normal vision: clearly apart; simulated protanopia and deuteranopia: still apart.
    assert smallest_difference(colours, CVD["normal"]) > 0.1
    assert smallest_difference(colours, CVD["protanopia"]) > 0.07
    assert smallest_difference(colours, CVD["deuteranopia"]) > 0.045
    # The former sequential ramp of 12 fails the first test (near-identical neighbours).
    assert smallest_difference(sequential(12, "worse"), CVD["normal"]) < 0.1
    # Codes are written on the colours (not colour alone): the text reads at WCAG AA.
    assert all(contrast_ratio(c, text_on(c)) >= 4.5 for c in colours)
    assert mss.combined_label("2+/-") == "2+/-: Status mittel, Dynamik stabil"


def test_the_stylesheet_has_the_colours_of_the_groups():
    from quartier.analysis.pages import css_class
    from quartier.core.palettes import text_on

    css = (
        Path(mss.__file__).parents[1] / "analysis" / "static" / "quartier" / "analysis.css"
    ).read_text(encoding="utf-8")
    for code, colour in zip(mss.COMBINED_CODES, mss.COMBINED_COLOURS, strict=True):
        rule = f".{css_class(code)} {{ background: {colour}; color: {text_on(colour)}; }}"
        assert rule in css, code
