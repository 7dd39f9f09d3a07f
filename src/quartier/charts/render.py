"""Charts drawn by matplotlib (Agg-free SVG backend, DejaVu fonts shipped with it).

Styles tell the lines apart without colour: the area solid with circles, the
parent dashed with squares, the city dotted with triangles; colours are dark
enough for 4.5:1 against white. Text is drawn as paths (the same glyphs in
every browser, in print and in a PDF); matplotlib keeps each text as an XML
comment next to its glyphs, so the numbers of an SVG can still be read by tests.
matplotlib is imported on first use only: nothing heavy at import time.
"""

from __future__ import annotations

import io
import threading
from datetime import date

from quartier.charts.data import (
    SUPPRESSED,
    BarChart,
    Distribution,
    Series,
    TimeSeriesChart,
    bins,
    gaps,
    segments,
)
from quartier.core.numbers import round_half_up

STYLES = {
    "area": {"color": "#1f3b73", "linestyle": "-", "marker": "o", "linewidth": 2.2},
    "parent": {"color": "#9a3a00", "linestyle": "--", "marker": "s", "linewidth": 1.8},
    "city": {"color": "#333333", "linestyle": ":", "marker": "^", "linewidth": 1.8},
}
GAP_COLOUR = "#e6e6e6"
TEXT_COLOUR = "#222222"
RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "svg.fonttype": "path",
    "svg.hashsalt": "quartier",  # the same data gives the same bytes (ETags, caches)
    "axes.edgecolor": TEXT_COLOUR,
    "axes.labelcolor": TEXT_COLOUR,
    "xtick.color": TEXT_COLOUR,
    "ytick.color": TEXT_COLOUR,
    "text.color": TEXT_COLOUR,
}
# matplotlib's rcParams are global: one chart at a time per process.
_lock = threading.Lock()


def format_number(value: float, decimals: int, language: str = "de") -> str:
    """``value`` rounded half up with grouping: 1.234,5 (German) or 1,234.5 (English)."""
    text = f"{round_half_up(value, decimals):,.{max(decimals, 0)}f}"
    if language == "de":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text.replace("-", "−")


def period_labels(periods: list[date], language: str = "de") -> list[str]:
    """The years, or full dates when a year holds several periods."""
    if len({p.year for p in periods}) == len(periods):
        return [str(p.year) for p in periods]
    return [p.strftime("%d.%m.%Y" if language == "de" else "%Y-%m-%d") for p in periods]


def svg(chart: TimeSeriesChart | BarChart | Distribution, width: float = 5.2) -> str:
    """The chart as an SVG document (``width`` in inches; the height follows the kind)."""
    return _draw(chart, width, "svg").decode("utf-8")


def png(chart: TimeSeriesChart | BarChart | Distribution, width: float = 5.2) -> bytes:
    """The chart as a PNG image at 150 dpi (for documents that show SVG unreliably)."""
    return _draw(chart, width, "png")


def _draw(chart, width: float, fmt: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    draw = {TimeSeriesChart: _time_series, BarChart: _bars, Distribution: _distribution}
    with _lock, matplotlib.rc_context(RC):
        figure = _figure(Figure, fmt, width, _height(chart, width))
        draw[type(chart)](figure, chart)
        if chart.confidential:
            figure.suptitle(
                chart.texts.confidential,
                color="#8b0000",
                fontweight="bold",
                x=0.98,
                ha="right",
                fontsize=9,
            )
        if fmt == "png":
            return opaque_png(figure)
        out = io.BytesIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


# Figures kept for the next chart of the same size and format (under ``_lock``): a new
# Figure, its canvas and its renderer cost about a tenth of a chart, and a renderer that
# lives on keeps matplotlib's text metrics cached (tick labels repeat from chart to chart).
_figures: dict[tuple, object] = {}
MAX_FIGURES = 16


def _figure(figure_class, fmt: str, width: float, height: float):
    """A cleared figure of ``width`` × ``height`` inches for ``fmt`` (callers hold ``_lock``).

    ``Figure.clear()`` drops axes, legends and titles; the size, the layout engine and
    the canvas stay. Per format, since PNGs set their own dpi on the figure.
    """
    key = (fmt, width, height)
    figure = _figures.get(key)
    if figure is None:
        if len(_figures) >= MAX_FIGURES:  # bar charts come in many heights
            _figures.clear()
        figure = _figures[key] = figure_class(figsize=(width, height), layout="constrained")
    figure.clear()
    return figure


def opaque_png(figure, dpi: int = 150) -> bytes:
    """``figure`` as a PNG without alpha channel, lightly compressed, at ``dpi``.

    For PDFs: WeasyPrint decodes every PNG and compresses it again, and splits an
    alpha channel off into a second image first (savefig writes RGBA). An opaque,
    quickly compressed PNG saves both (about a fifth of a Steckbrief's image work).
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    figure.set_dpi(dpi)
    # A figure's own Agg canvas keeps its renderer between draws of the same size.
    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else None
    canvas = canvas or FigureCanvasAgg(figure)
    canvas.draw()  # runs the figure's layout engine, as savefig does
    pixels = np.asarray(canvas.buffer_rgba())
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels[..., :3])).save(out, "PNG", compress_level=1)
    return out.getvalue()


def _height(chart, width: float) -> float:
    if isinstance(chart, BarChart):
        return bar_chart_height(len(chart.bars))
    return width * 0.55


def bar_chart_height(bars: int) -> float:
    """Height in inches of a bar chart with ``bars`` bars (pages size its image with it)."""
    return min(0.9 + 0.32 * bars, 6.0)


def _numbers(axis, decimals: int, language: str) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: format_number(v, decimals, language)))


def _time_series(figure, chart: TimeSeriesChart) -> None:
    ax = figure.add_subplot()
    texts = chart.texts
    periods = sorted({p.period for s in chart.series for p in s.points})
    x = {period: i for i, period in enumerate(periods)}
    drawn = [s for s in chart.series if s.shown]
    for period, status in gaps(tuple(drawn)).items():
        # A band over the period, never a point: where a secret value lies stays unknown.
        ax.axvspan(
            x[period] - 0.4,
            x[period] + 0.4,
            facecolor=GAP_COLOUR,
            hatch="///",
            edgecolor="#999999",
            linewidth=0,
            zorder=0,
        )
        word = texts.secret if status == SUPPRESSED else texts.missing
        ax.text(
            x[period],
            0.5,
            word,
            transform=ax.get_xaxis_transform(),
            rotation=90,
            ha="center",
            va="center",
            fontsize=8,
            color=TEXT_COLOUR,
        )
    for line in drawn:
        _line(ax, line, x)
    if drawn and drawn[0].role == "area":  # the area's latest value, written at its point
        last = drawn[0].shown[-1]
        ax.annotate(
            format_number(last.value, chart.decimals, texts.language),
            (x[last.period], last.value),
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            color=STYLES["area"]["color"],
            fontweight="bold",
        )
    ax.set_xticks(range(len(periods)), thinned(period_labels(periods, texts.language), figure))
    ax.set_xlim(-0.5, len(periods) - 0.5)
    ax.set_ylabel(texts.unit)
    _numbers(ax.yaxis, _tick_decimals(chart.decimals), texts.language)
    ax.grid(axis="y", color="#cccccc", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    if drawn:
        columns = legend_columns([s.label for s in drawn], figure.get_figwidth())
        figure.legend(loc="outside lower center", ncols=columns, frameon=False)


# Approximate widths in inches of DejaVu Sans at 9 pt: enough to keep labels apart.
CHAR_WIDTH = 0.075
Y_AXIS_WIDTH = 0.7  # tick labels and unit left of the plot


def thinned(labels: list[str], figure) -> list[str]:
    """``labels`` with every second (third …) one left empty so that they don't overlap.

    The latest period keeps its label; the ticks stay on every period.
    """
    if not labels:
        return labels
    room = figure.get_figwidth() - Y_AXIS_WIDTH
    fits = max(int(room / (max(map(len, labels)) * CHAR_WIDTH + 0.1)), 1)
    step = -(-len(labels) // fits)  # ceiling division
    last = len(labels) - 1
    return [label if (last - i) % step == 0 else "" for i, label in enumerate(labels)]


def legend_columns(labels: list[str], width: float) -> int:
    """How many legend entries fit side by side below a chart ``width`` inches wide."""
    for columns in range(min(len(labels), 3), 1, -1):
        widest = max(map(len, labels)) * CHAR_WIDTH + 0.6  # text, line sample, spacing
        if columns * widest <= width:
            return columns
    return 1


def _line(ax, line: Series, x: dict) -> None:
    style = STYLES.get(line.role, STYLES["area"])
    for i, run in enumerate(segments(line.points)):
        ax.plot(
            [x[p.period] for p in run],
            [p.value for p in run],
            label=line.label if i == 0 else "_nolegend_",
            markersize=5,
            zorder=3,
            **style,
        )


def _tick_decimals(decimals: int) -> int:
    return min(max(decimals, 0), 2)


def _bars(figure, chart: BarChart) -> None:
    ax = figure.add_subplot()
    texts = chart.texts
    labels = [b.label for b in chart.bars]
    positions = list(range(len(chart.bars)))[::-1]  # first bar on top
    shown = [b.value for b in chart.bars if b.value is not None]
    span = max([abs(v) for v in shown], default=1.0) or 1.0
    for y, bar in zip(positions, chart.bars, strict=True):
        if bar.value is None:
            word = texts.secret if bar.status == SUPPRESSED else texts.missing
            ax.text(span * 0.01, y, word, va="center", ha="left", fontsize=8, style="italic")
            continue
        style = STYLES["city"] if bar.reference else STYLES["area"]
        ax.barh(
            y,
            bar.value,
            color="white" if bar.reference else style["color"],
            edgecolor=style["color"],
            hatch="xx" if bar.reference else None,
            height=0.6,
        )
        mark = " V" if bar.status == "confidential" else ""
        ax.text(
            bar.value + span * 0.01 * (1 if bar.value >= 0 else -1),
            y,
            format_number(bar.value, chart.decimals, texts.language) + mark,
            va="center",
            ha="left" if bar.value >= 0 else "right",
            fontsize=8,
        )
    ax.set_yticks(positions, labels)
    ax.set_xlabel(texts.unit)
    low = min([0.0, *shown])
    ax.set_xlim(low * 1.2 if low < 0 else 0, max([0.0, *shown]) * 1.2 or 1.0)
    ax.set_ylim(-0.6, len(chart.bars) - 0.4)
    _numbers(ax.xaxis, _tick_decimals(chart.decimals), texts.language)
    if not shown:  # no value to read off: an axis of made-up numbers would mislead
        ax.set_xticks([])
    ax.grid(axis="x", color="#cccccc", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)


def _distribution(figure, chart: Distribution) -> None:
    ax = figure.add_subplot()
    texts = chart.texts
    edges = bins(chart.values)
    ax.hist(chart.values, bins=edges, color="#9db3d9", edgecolor="#1f3b73", linewidth=0.6)
    if chart.marked_value is not None:
        ax.axvline(
            chart.marked_value,
            color=STYLES["area"]["color"],
            linewidth=2.4,
            label=f"{chart.marked_label}: "
            f"{format_number(chart.marked_value, chart.decimals, texts.language)}",
        )
    if chart.city_value is not None:
        ax.axvline(
            chart.city_value,
            color=STYLES["city"]["color"],
            linestyle="--",
            linewidth=1.8,
            label=f"{texts.city}: "
            f"{format_number(chart.city_value, chart.decimals, texts.language)}",
        )
    ax.set_xlabel(texts.unit)
    ax.set_ylabel(texts.areas)
    _numbers(ax.xaxis, _tick_decimals(chart.decimals), texts.language)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    if texts.gap_note:
        ax.set_title(texts.gap_note, fontsize=8, loc="left")
    if chart.marked_value is not None or chart.city_value is not None:
        figure.legend(loc="outside lower center", ncols=2, frameon=False)
