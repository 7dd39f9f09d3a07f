"""The Steckbrief's location map: the area among its neighbours, drawn by matplotlib.

Server-side, so the PDF needs no browser and no tile server: the area filled, the
neighbouring areas of its level in grey with their names, the parent area's outline,
a legend, a scale bar and a north arrow. Drawn in ETRS89-LAEA (EPSG:3035), an
equal-area projection in metres for all of Europe, so the scale bar is true and north
is up within a city.
"""

from __future__ import annotations

import io

import numpy as np
import shapely
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path
from pyproj import Transformer

from quartier.charts.render import opaque_png
from quartier.spatial.models import Area

_TO_METRES = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True)
AREA_COLOUR = "#1f5f99"  # contrast 6.9:1 to white
NEIGHBOUR_COLOUR = "#d9d9d9"
OUTLINE_COLOUR = "#333333"
NICE_LENGTHS = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000)


def neighbours(area: Area) -> list[Area]:
    """The current areas of ``area``'s level that touch it (its bounding box first)."""
    shape = area.shape
    near = Area.objects.filter(
        level=area.level,
        valid_to__isnull=True,
        min_lon__lte=area.max_lon,
        max_lon__gte=area.min_lon,
        min_lat__lte=area.max_lat,
        max_lat__gte=area.min_lat,
    ).exclude(code=area.code)
    # A hair of tolerance: imported neighbours rarely share their vertices exactly.
    reach = shapely.buffer(shape, 1e-6)
    return sorted((a for a in near if shapely.intersects(reach, a.shape)), key=lambda a: a.name)


def metres(geometry: shapely.Geometry) -> shapely.Geometry:
    """``geometry`` (WGS 84) in ETRS89-LAEA metres."""
    return shapely.transform(
        geometry, lambda xy: np.column_stack(_TO_METRES.transform(xy[:, 0], xy[:, 1]))
    )


def patch(geometry: shapely.Geometry, **style) -> PathPatch:
    """One matplotlib patch for a (multi)polygon, holes included."""
    vertices, codes = [], []
    for polygon in shapely.get_parts(geometry):
        for ring in (polygon.exterior, *polygon.interiors):
            coords = list(ring.coords)
            vertices += coords
            codes += [Path.MOVETO] + [Path.LINETO] * (len(coords) - 2) + [Path.CLOSEPOLY]
    return PathPatch(Path(vertices, codes), **style)


def scale_length(width_m: float) -> int:
    """A round length for a scale bar about a quarter of ``width_m`` long."""
    target = width_m / 4
    return max((n for n in NICE_LENGTHS if n <= target), default=NICE_LENGTHS[0])


def _length_text(metres: int, number) -> str:
    if metres < 1000:
        return f"{metres} m"
    return f"{number(metres / 1000, 1 if metres % 1000 else 0)} km"


def location_map(area: Area, labels: dict, fmt: str = "png") -> bytes:
    """The location map of ``area`` as PNG (150 dpi) or SVG.

    ``labels``: the legend's texts in the page's language: ``area``, ``neighbours``,
    ``parent`` (or None without parent), ``north``, and ``number`` (a number formatter).
    """
    shape = metres(area.shape)
    others = [(a.name, metres(a.shape)) for a in neighbours(area)]
    figure = Figure(figsize=(6.3, 4.4))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    axes.set_aspect("equal")
    for name, geometry in others:
        axes.add_patch(patch(geometry, facecolor=NEIGHBOUR_COLOUR, edgecolor="white", lw=1))
        point = geometry.representative_point()
        axes.annotate(name, (point.x, point.y), ha="center", va="center", fontsize=6.5,
                      color="#222222", clip_on=True)  # fmt: skip
    axes.add_patch(patch(shape, facecolor=AREA_COLOUR, edgecolor="black", lw=1.2))
    handles = [Patch(facecolor=AREA_COLOUR, edgecolor="black", label=labels["area"])]
    if others:
        neighbour_key = Patch(
            facecolor=NEIGHBOUR_COLOUR, edgecolor="white", label=labels["neighbours"]
        )
        handles.append(neighbour_key)
    if area.parent is not None and labels.get("parent"):
        outline = metres(area.parent.shape)
        axes.add_patch(patch(outline, fill=False, edgecolor=OUTLINE_COLOUR, lw=1.4, ls="--"))
        handles.append(
            Line2D([], [], color=OUTLINE_COLOUR, lw=1.4, ls="--", label=labels["parent"])
        )
    frame = shapely.union_all([shape, *(g for _n, g in others)])
    minx, miny, maxx, maxy = frame.bounds
    pad = max(maxx - minx, maxy - miny) * 0.04
    axes.set_xlim(minx - pad, maxx + pad)
    axes.set_ylim(miny - pad, maxy + pad)
    axes.legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.9)
    scale_bar(axes, minx - pad, maxx + pad, miny - pad, maxy + pad, labels["number"])
    north_arrow(axes, maxx + pad, maxy + pad, maxy - miny, labels["north"])
    if fmt == "png":
        return opaque_png(figure)
    out = io.BytesIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def scale_bar(axes, x0, x1, y0, y1, number) -> None:
    """A black-and-white scale bar of a round length in the lower right corner."""
    length = scale_length(x1 - x0)
    left, bottom, height = x1 - (x1 - x0) * 0.05 - length, y0 + (y1 - y0) * 0.05, (y1 - y0) * 0.012
    for i in range(2):  # two halves, black and white, as on printed maps
        colour = "black" if i == 0 else "white"
        axes.add_patch(
            patch(shapely.box(left + i * length / 2, bottom, left + (i + 1) * length / 2,
                               bottom + height), facecolor=colour, edgecolor="black", lw=0.8)
        )  # fmt: skip
    axes.annotate(_length_text(length, number), (left + length / 2, bottom + height * 1.8),
                  ha="center", va="bottom", fontsize=7)  # fmt: skip


def north_arrow(axes, right, top, height, north: str) -> None:
    """An arrow pointing up with the letter for north, in the upper right corner."""
    size = height * 0.08
    x, y = right - size, top - size * 2.2
    axes.annotate("", xy=(x, y + size), xytext=(x, y - size * 0.2),
                  arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2})  # fmt: skip
    axes.annotate(north, (x, y + size * 1.1), ha="center", va="bottom", fontsize=8, weight="bold")
