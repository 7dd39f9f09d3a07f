import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quartier.imports.cells import (
    SENTINELS,
    Cell,
    detect_number_format,
    parse_cell,
    parse_column,
)

GERMAN = (",", ".")
ENGLISH = (".", ",")


@pytest.mark.parametrize(
    ("text", "value", "flag", "symbol"),
    [
        (".", None, ".", ""),  # unknown or secret
        ("/", None, ".", "/"),  # not reliable enough: stored as unknown, reported as "/"
        ("-", 0.0, "-", ""),  # nothing: exactly zero
        ("\u2013", 0.0, "-", ""),  # en dash, as printed in yearbooks
        ("x", None, "x", ""),
        ("X", None, "x", ""),
        ("\u2026", None, "...", ""),
        ("...", None, "...", ""),
        (" . ", None, ".", ""),  # spaces around a symbol do not matter
        ("k. A.", None, ".", "k. A."),  # keine Angabe: its own symbol in the report
        ("k.A.", None, ".", "k. A."),
        ("K.A.", None, ".", "k. A."),
        ("n/a", None, ".", "NA"),
    ],
)
def test_symbols_of_official_statistics(text, value, flag, symbol):
    assert parse_cell(text, *GERMAN) == Cell(value, flag, None, symbol)


@pytest.mark.parametrize("text", [None, "", "   ", "\u00a0", "\t"])
def test_empty_cells_are_missing_without_a_problem(text):
    assert parse_cell(text, *GERMAN) == Cell(None, "", None)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12.0),
        ("12,5", 12.5),
        ("1.234,5", 1234.5),
        ("1.234.567", 1234567.0),
        ("-1.234,5", -1234.5),
        ("\u22123,5", -3.5),  # Unicode minus
        ("+7", 7.0),
        (" 42 ", 42.0),
        ("1\u00a0234,5", 1234.5),  # non-breaking space as thousands separator
        ("1\u2009234", 1234.0),  # thin space
        ("1\u202f234", 1234.0),  # narrow no-break space
        ("1 234 567", 1234567.0),
        ("12,5 %", 12.5),
        ("12,5%", 12.5),
        ("0,5", 0.5),
        ("1,5E-05", 1.5e-05),
        ("001", 1.0),
    ],
)
def test_german_numbers(text, value):
    cell = parse_cell(text, *GERMAN)
    assert cell.problem is None
    assert cell.flag == ""
    assert cell.value == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "value"),
    [("3.14", 3.14), ("1,234.5", 1234.5), ("1,234,567", 1234567.0), ("-0.25", -0.25)],
)
def test_english_numbers(text, value):
    assert parse_cell(text, *ENGLISH) == Cell(value, "", None)


def test_decimal_point_without_thousands_separator():
    assert parse_cell("4.22594", ".", None) == Cell(4.22594, "", None)
    assert parse_cell("1,234", ".", None).problem is not None  # no comma grouping expected


@pytest.mark.parametrize(
    ("text", "value", "flag"),
    [("12,5p", 12.5, "p"), ("12,5e", 12.5, "e"), ("12,5 p", 12.5, "p"), ("1.200r", 1200.0, "r")],
)
def test_footnote_letters_qualify_the_value(text, value, flag):
    assert parse_cell(text, *GERMAN) == Cell(value, flag, None)


@pytest.mark.parametrize("text", ["-9999", "-9999,0", "-99999", "-999999", " -9999 "])
def test_sentinels_are_missing(text):
    assert parse_cell(text, *GERMAN) == Cell(None, "sentinel", None)


def test_sentinel_with_decimal_point():
    assert parse_cell("-9999.0", ".", None) == Cell(None, "sentinel", None)


@pytest.mark.parametrize("text", ["-1", "-99", "-999", "9999"])
def test_small_negative_numbers_are_real_values(text):
    cell = parse_cell(text, *GERMAN)
    assert cell.flag == "" and cell.value == float(text)


def test_sentinel_set_is_documented_minimum():
    assert {-9999.0, -99999.0, -999999.0} <= SENTINELS
    assert -1.0 not in SENTINELS and -99.0 not in SENTINELS


def test_text_is_a_problem_in_german():
    assert parse_cell("abc", *GERMAN) == Cell(None, "", "„abc“ ist keine Zahl.")


def test_wrong_decimal_mark_is_not_silently_misread():
    # In German format "3.14" is neither 3.14 nor 314: tell the user instead of guessing.
    cell = parse_cell("3.14", *GERMAN)
    assert cell.value is None
    assert "3.14" in cell.problem and "Dezimalkomma" in cell.problem


@pytest.mark.parametrize(
    "text",
    ["12 5", "1.23,4", "1,2,3", "+", "%", "12abc", "--5", "1..234", "0.123", "1.2345", "1.234.56"],
)
def test_malformed_numbers_are_problems(text):
    cell = parse_cell(text, *GERMAN)
    assert cell.value is None and cell.problem


def test_excel_error_values_are_explained():
    assert "Fehlerwert aus Excel" in parse_cell("#DIV/0!", *GERMAN).problem
    assert "Fehlerwert aus Excel" in parse_cell("#NV", *GERMAN).problem


def test_long_texts_are_shortened_in_the_message():
    problem = parse_cell("x" * 500, *GERMAN).problem
    assert len(problem) < 80


def test_huge_exponent_is_a_problem_not_infinity():
    assert parse_cell("1e999", ".", None).problem


def test_negative_zero_becomes_zero():
    cell = parse_cell("-0", *GERMAN)
    assert cell.value == 0.0 and math.copysign(1.0, cell.value) == 1.0


def test_parse_column_matches_parse_cell():
    texts = ["1.234,5", "", None, ".", "-9999", "abc", "1.234,5", "-", "12,5p"]
    assert parse_column(texts, *GERMAN) == [parse_cell(t, *GERMAN) for t in texts]


def test_parse_column_handles_200000_cells():
    texts = [f"{i},{i % 10}" for i in range(200_000)]
    cells = parse_column(texts, *GERMAN)
    assert len(cells) == 200_000
    assert cells[123_456] == Cell(123456.6, "", None)


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(0, 99))
def test_german_formatting_round_trips(whole, cents):
    value = whole + math.copysign(cents / 100, whole) if whole else cents / 100
    text = f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    cell = parse_cell(text, *GERMAN)
    if value in SENTINELS:
        assert cell.flag == "sentinel"
    else:
        assert cell.value == pytest.approx(value, rel=1e-15, abs=1e-9)


# --- detect_number_format ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        (["1.234,5", "12"], (",", ".")),
        (["12,5", "3,0"], (",", ".")),
        (["1.234.567"], (",", ".")),
        (["1,234.5"], (".", ",")),
        (["1,234,567"], (".", ",")),
        (["3.14", "2.5"], (".", None)),
        (["3.14", "1,234"], (".", ",")),  # comma groups beside a decimal point
        (["12,5", "1.234"], (",", ".")),  # "1.234" is thousands beside decimal commas
        (["3.14", "1.234"], (".", None)),  # "1.234" is a decimal beside "3.14"
        (["1,234"], (",", ".")),  # alone: decimal comma, as usual in German data
        (["12", "7", "Mitte"], (".", None)),  # no evidence
    ],
)
def test_detect_number_format(samples, expected):
    assert detect_number_format(samples) == expected


def test_ambiguous_thousands_need_supporting_evidence():
    samples = ["1.234", "5.678", "12"]
    assert detect_number_format(samples) == (".", None)
    assert detect_number_format(samples, german_hint=True) == (",", ".")


def test_majority_decides_between_formats():
    assert detect_number_format(["1,5", "2,5", "3,5", "4.25"]) == (",", ".")
    assert detect_number_format(["1.5", "2.5", "3.5", "4,25"]) == (".", None)


def test_ids_and_dates_are_no_evidence():
    samples = ["010.005.2005.000.010", "31.12.2023", "01.01.2024", "0.123.456"]
    assert detect_number_format(samples) == (".", None)
    assert detect_number_format(samples + ["12,5"]) == (",", ".")


def test_signs_percent_and_spaces_do_not_hide_evidence():
    assert detect_number_format(["-12,5 %", "\u22121\u00a0234,5"]) == (",", ".")
    assert detect_number_format(["+0.5%"]) == (".", None)
