"""Maps of an indicator over the areas of a level, drawn by matplotlib (for reports).

Classes by quantiles of the shown values (mapclassify's definition, as on the map), a
sequential palette that stays readable in grey, secret areas hatched and named in the
legend, areas without data white; a scale bar and north arrow as on the Steckbrief's location map.
"""

from __future__ import annotations

import io

import numpy as np
import shapely
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from quartier.charts.render import opaque_png
from quartier.core.classification import quantile_breaks
from quartier.indicators.status import Status
from quartier.reports.locationmap import metres, north_arrow, patch, scale_bar

PALETTE = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]  # ColorBrewer Blues
SECRET = "#bdbdbd"


def choropleth(
    shapes: list[shapely.Geometry], values, statuses, labels: dict, fmt: str = "svg"
) -> bytes:
    """The map as SVG or PNG. ``labels``: ``secret``, ``missing``, ``north``, ``number``
    (a number formatter taking value and decimals) and ``decimals``.
    """
    values = np.asarray(values, dtype=float)
    shown = np.array([Status(s) in (Status.OK, Status.CONFIDENTIAL) for s in statuses])
    shown &= ~np.isnan(values)
    secret = np.array([Status(s) == Status.SUPPRESSED for s in statuses])
    data = values[shown]
    k = int(min(5, len(np.unique(data)))) if data.size else 0
    bins = quantile_breaks(data, k) if k >= 2 else np.array([data.max()] if k else [])
    colours = PALETTE[-len(bins) :] if len(bins) else []
    figure = Figure(figsize=(6.3, 5.0))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    axes.set_aspect("equal")
    projected = [metres(s) for s in shapes]
    for geometry, value, is_shown, is_secret in zip(projected, values, shown, secret, strict=True):
        if is_shown:
            colour = colours[min(int(np.searchsorted(bins, value)), len(bins) - 1)]
            axes.add_patch(patch(geometry, facecolor=colour, edgecolor="#555555", lw=0.3))
        elif is_secret:
            axes.add_patch(
                patch(geometry, facecolor=SECRET, edgecolor="#555555", lw=0.3, hatch="////")
            )
        else:
            axes.add_patch(patch(geometry, facecolor="white", edgecolor="#555555", lw=0.3))
    number, decimals = labels["number"], labels["decimals"]
    handles, low = [], data.min() if data.size else None
    for colour, high in zip(colours, bins, strict=True):
        text = f"{number(low, decimals)} – {number(high, decimals)}"
        handles.append(Patch(facecolor=colour, edgecolor="#555555", label=text))
        low = high
    if secret.any():
        handles.append(Patch(facecolor=SECRET, edgecolor="#555555", hatch="////",
                             label=labels["secret"]))  # fmt: skip
    if (~shown & ~secret).any():
        handles.append(Patch(facecolor="white", edgecolor="#555555", label=labels["missing"]))
    frame = shapely.union_all(projected) if projected else shapely.box(0, 0, 1, 1)
    minx, miny, maxx, maxy = frame.bounds
    pad = max(maxx - minx, maxy - miny) * 0.03
    axes.set_xlim(minx - pad, maxx + pad)
    axes.set_ylim(miny - pad, maxy + pad)
    if handles:
        axes.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.9)
    scale_bar(axes, minx - pad, maxx + pad, miny - pad, maxy + pad, number)
    north_arrow(axes, maxx + pad, maxy + pad, maxy - miny, labels["north"])
    if fmt == "png":
        return opaque_png(figure)
    out = io.BytesIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
