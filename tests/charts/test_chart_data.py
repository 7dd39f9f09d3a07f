"""quartier.charts without Django: gaps are never bridged, hidden values never carried."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest

from quartier.charts.data import (
    Bar,
    BarChart,
    Distribution,
    Point,
    Series,
    Texts,
    TimeSeriesChart,
    gaps,
    segments,
)
from quartier.charts.render import format_number, period_labels, svg


def points(*values, status="suppressed"):
    return tuple(
        Point(date(2018 + i, 12, 31), v, "ok" if v is not None else status)
        for i, v in enumerate(values)
    )


def texts_of(document: str) -> list[str]:
    """The texts of a matplotlib SVG (kept as comments beside their glyph paths)."""
    return re.findall(r"<!-- (.*?) -->", document)


def test_a_gap_ends_the_line_instead_of_bridging_it():
    runs = segments(points(1.0, 2.0, None, 4.0, 5.0, None, 7.0))
    assert [[p.value for p in run] for run in runs] == [[1.0, 2.0], [4.0, 5.0], [7.0]]
    assert segments(points(None, None)) == []
    assert [[p.value for p in r] for r in segments(points(None, 3.0))] == [[3.0]]


def test_a_hidden_point_cannot_carry_its_number():
    with pytest.raises(ValueError):
        Point(date(2020, 12, 31), 3.0, "suppressed")
    with pytest.raises(ValueError):
        Bar("Altstadt", 3.0, "missing")


def test_gaps_name_secret_before_missing_and_skip_empty_series():
    area = Series("A", "area", points(1.0, None, 3.0))
    city = Series("S", "city", points(1.0, None, None, status="missing"))
    nothing = Series("P", "parent", points(None, None, None))
    assert gaps((area, city, nothing)) == {
        date(2019, 12, 31): "suppressed",
        date(2020, 12, 31): "missing",
    }


def test_time_series_draws_each_run_and_marks_the_gap():
    area = Series("Altstadt", "area", points(10.5, 11.5, None, 12.5, 13.5))
    city = Series("Gesamtstadt", "city", points(20.0, 21.0, 22.0, 23.0, 24.0))
    document = svg(TimeSeriesChart((area, city), Texts(unit="%"), 1))
    words = texts_of(document)
    assert [w for w in words if w.isdigit()] == ["2018", "2019", "2020", "2021", "2022"]
    assert "geheim" in words and "Altstadt" in words and "Gesamtstadt" in words and "%" in words
    # Data lines are clipped to the axes (the legend's sample line is not): the area's
    # colour appears in two pieces, never joined across 2020; the city's in one.
    area_lines = re.findall(r'<path d="M [^"]+" clip-path="[^"]+" style="[^"]*#1f3b73', document)
    city_lines = re.findall(r'<path d="M [^"]+" clip-path="[^"]+" style="[^"]*#333333', document)
    assert (len(area_lines), len(city_lines)) == (2, 1)


def test_numbers_follow_the_language():
    assert format_number(1234.55, 1, "de") == "1.234,6"
    assert format_number(1234.55, 1, "en") == "1,234.6"
    assert format_number(-2.0, 0, "de") == "−2"
    assert period_labels([date(2020, 12, 31), date(2021, 12, 31)]) == ["2020", "2021"]
    assert period_labels([date(2020, 6, 30), date(2020, 12, 31)], "de") == [
        "30.06.2020",
        "31.12.2020",
    ]
    chart = BarChart(
        (Bar("Altstadt", 1234.5), Bar("Nordstadt", None, "suppressed"), Bar("S", 99.0, "ok", True)),
        Texts(language="en", secret="secret"),
        1,
    )
    words = texts_of(svg(chart))
    assert "1,234.5" in words and "secret" in words and "Nordstadt" in words


def test_confidential_charts_say_so():
    marked = Series("A", "area", (Point(date(2020, 12, 31), 5.0, "confidential"),))
    assert "VERTRAULICH" in texts_of(svg(TimeSeriesChart((marked,))))
    assert "VERTRAULICH" not in texts_of(svg(Distribution((1.0, 2.0, 3.0))))


def test_the_same_chart_gives_the_same_bytes():
    chart = Distribution((1.0, 2.0, 2.5, 7.0), "Altstadt", 2.5, 3.0, 1)
    assert svg(chart) == svg(chart)


def test_sparklines_do_not_bridge_a_gap_either():
    from quartier.explorer.charts import sparkline

    series = [(date(2018 + i, 12, 31), v) for i, v in enumerate([1.0, 2.0, None, 4.0, 5.0])]
    assert sparkline(series)["path"].count("M") == 2


def _drawn(chart: TimeSeriesChart, width: float):
    """The chart drawn as render draws it, laid out, for reading positions off."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from quartier.charts import render

    with matplotlib.rc_context(render.RC):
        figure = Figure(figsize=(width, width * 0.55), layout="constrained", dpi=150)
        render._time_series(figure, chart)
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
    return figure, canvas.get_renderer()


def test_a_narrow_chart_of_eleven_years_keeps_its_labels_and_legend_apart():
    """The Steckbrief's charts are 3.4 in wide: eleven years and three long names once
    overlapped each other and ran off the picture's edge."""
    years = [date(2014 + i, 12, 31) for i in range(11)]

    def line(name, role, start):
        return Series(name, role, tuple(Point(y, start + i, "ok") for i, y in enumerate(years)))

    chart = TimeSeriesChart(
        (
            line("Sozialraum Altstadt-Ost", "area", 10.0),
            line("Stadtbezirk Altstadt-Mitte", "parent", 12.0),
            line("Gesamtstadt", "city", 11.0),
        ),
        Texts(unit="%"),
        1,
    )
    figure, renderer = _drawn(chart, 3.4)
    labels = [t for t in figure.axes[0].get_xticklabels() if t.get_text()]
    assert labels[-1].get_text() == "2024"  # the latest year always keeps its label
    boxes = [t.get_window_extent(renderer) for t in labels]
    assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:], strict=False))
    legend = figure.legends[0].get_window_extent(renderer)
    assert legend.x0 >= 0 and legend.x1 <= figure.bbox.width


def test_png_charts_are_opaque():
    """WeasyPrint splits an alpha channel off into a second image: PNGs come without."""
    from PIL import Image

    from quartier.charts.render import png

    chart = TimeSeriesChart((Series("A", "area", points(1.0, 2.0, 3.0)),), Texts(unit="%"), 1)
    assert Image.open(io.BytesIO(png(chart, width=3.4))).mode == "RGB"


def test_a_reused_figure_draws_exactly_what_a_new_one_draws():
    """Charts of the same size share one figure per process (issue 17, speed): nothing of
    the chart before — a VERTRAULICH title, a legend, gaps, bars, ticks — may carry over."""
    from quartier.charts import render

    years = [date(2014 + i, 12, 31) for i in range(11)]
    secret = Series(
        "Altstadt-Ost",
        "area",
        tuple(
            Point(y, None, "suppressed") if i == 3 else Point(y, 10.0 + i, "confidential")
            for i, y in enumerate(years)
        ),
    )
    city = Series(
        "Gesamtstadt", "city", tuple(Point(y, 1000.0 * i, "ok") for i, y in enumerate(years))
    )
    charts = [
        TimeSeriesChart((secret, city), Texts(unit="%"), 1),
        TimeSeriesChart((Series("A", "area", points(1.0, None, 3.0)),), Texts(unit="Personen"), 0),
        BarChart((Bar("Altstadt", 12.5), Bar("Stadt", 10.0, "ok", True)), Texts(unit="%"), 1),
        BarChart((Bar("Nordstadt", None, "suppressed"), Bar("Süd", 3.0)), Texts(unit="%"), 1),
        Distribution((1.0, 2.0, 2.5, 7.0), "Altstadt", 2.5, 3.0, 1),
    ]

    def fresh(chart, fmt):
        render._figures.clear()
        return render.png(chart, width=3.4) if fmt == "png" else render.svg(chart)

    alone = {(i, fmt): fresh(c, fmt) for i, c in enumerate(charts) for fmt in ("png", "svg")}
    for fmt in ("png", "svg"):
        # Each chart after every other one, on the figure the previous one left behind.
        for i, chart in enumerate(charts):
            for before in charts:
                fresh(before, fmt)
                again = render.png(chart, width=3.4) if fmt == "png" else render.svg(chart)
                assert again == alone[i, fmt], (i, fmt)
    assert render._figures  # they were reused, not made anew
