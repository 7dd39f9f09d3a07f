"""Queen contiguity, Moran's I and LISA against libpysal/esda on the Berlin Planungsräume."""

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from quartier.core import autocorrelation as ac
from quartier.errors import QuartierError

DATA = Path(__file__).resolve().parents[3] / "shared/data"
PLR = DATA / "berlin-lor-2021-geometrien/lor_planungsraeume_2021.shp"
MSS = DATA / "berlin-mss-2021/mss_2021_index_indikatoren.csv"
KOELN = DATA / "koeln-stadtteile-2012/Stadtteil.shp"


@pytest.fixture(scope="module")
def berlin():
    """The 542 Planungsräume with S4 (NaN where the MSS has -9999)."""
    import geopandas as gpd

    areas = gpd.read_file(PLR)
    mss = pd.read_csv(MSS, dtype={"PLR_ID": str})
    areas = areas.merge(mss[["PLR_ID", "S4"]], on="PLR_ID", how="left", validate="1:1")
    areas["S4"] = areas["S4"].where(areas["S4"] != -9999)
    assert len(areas) == 542 and areas["S4"].isna().sum() == 6
    return areas


@pytest.fixture(scope="module")
def reference(berlin):
    """libpysal Queen weights on the areas with a value, as an analyst would build them."""
    from libpysal.weights import Queen

    subset = berlin[berlin["S4"].notna()].reset_index(drop=True)
    w = Queen.from_dataframe(subset, use_index=False)
    assert w.islands == []  # otherwise the reference would need the same island handling
    w.transform = "r"
    return subset["S4"].to_numpy(dtype=float), w, berlin["S4"].notna().to_numpy()


def _libpysal_queen(geoms):
    from libpysal.weights import Queen

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = Queen.from_iterable(list(geoms))
    return [sorted(w.neighbors[i]) for i in range(len(geoms))]


def test_queen_neighbours_equal_libpysal_on_berlin(berlin):
    ours = ac.queen_neighbours(berlin.geometry.values)
    assert ours == _libpysal_queen(berlin.geometry.values)
    assert sum(map(len, ours)) > 2 * 542  # not trivially empty


def test_queen_finds_t_junctions_libpysal_misses():
    # B sits on A's top edge without sharing a vertex: neighbours geometrically, not by vertices.
    geoms = np.array([shapely.box(0, 0, 3, 1), shapely.box(1, 1, 2, 2)], dtype=object)
    assert ac.queen_neighbours(geoms) == [[1], [0]]
    assert _libpysal_queen(geoms) == [[], []]


def test_queen_on_koeln_is_a_superset_of_libpysal():
    import geopandas as gpd

    areas = gpd.read_file(KOELN)
    ours = ac.queen_neighbours(areas.geometry.values)
    theirs = _libpysal_queen(areas.geometry.values)
    assert all(set(t) <= set(o) for o, t in zip(ours, theirs, strict=True))
    extra = [(i, j) for i, o in enumerate(ours) for j in set(o) - set(theirs[i])]
    # Köln's Stadtteile overlap by slivers along some borders; these pairs share kilometres
    # of border, so they are real neighbours.
    longest = max(areas.geometry[i].intersection(areas.geometry[j]).length for i, j in extra)
    assert longest > 1000


def test_queen_corner_contact_islands_and_empty_geometries():
    geoms = np.array(
        [
            shapely.box(0, 0, 1, 1),
            shapely.box(1, 1, 2, 2),  # touches the first only at the corner (1, 1)
            shapely.box(10, 10, 11, 11),  # far away: island
            None,
            shapely.Polygon(),
        ],
        dtype=object,
    )
    assert ac.queen_neighbours(geoms) == [[1], [0], [], [], []]


def test_queen_tolerance_bridges_small_gaps():
    geoms = np.array([shapely.box(0, 0, 1, 1), shapely.box(1.5, 0, 2.5, 1)], dtype=object)
    assert ac.queen_neighbours(geoms) == [[], []]
    assert ac.queen_neighbours(geoms, tolerance=1.0) == [[1], [0]]


def test_moran_equals_esda(berlin, reference):
    import esda

    y, w, _ = reference
    np.random.seed(42)
    expected = esda.Moran(y, w, permutations=999)
    result = ac.moran(berlin["S4"].to_numpy(), ac.queen_neighbours(berlin.geometry.values))
    moran_i = result.I
    assert moran_i == pytest.approx(expected.I, abs=1e-12)
    assert result.expected == pytest.approx(expected.EI, abs=1e-15)
    assert result.p_value == expected.p_sim
    assert result.z == pytest.approx(expected.z_sim, rel=1e-9)
    assert result.areas == 536 and result.permutations == 999
    assert moran_i > 0.3  # the Berlin social index is strongly clustered


def test_moran_keeps_the_global_random_state():
    rng_check = np.random.RandomState(5).random_sample()
    np.random.seed(5)
    squares = [shapely.box(x, y, x + 1, y + 1) for y in range(5) for x in range(5)]
    ac.moran(np.arange(25.0), ac.queen_neighbours(np.array(squares, dtype=object)), 99)
    assert np.random.random_sample() == rng_check


@pytest.mark.filterwarnings("ignore:The alternative hypothesis:DeprecationWarning")
def test_lisa_equals_esda(berlin, reference):
    import esda

    y, w, has_value = reference
    expected = esda.Moran_Local(y, w, permutations=999, seed=42)
    result = ac.lisa(berlin["S4"].to_numpy(), ac.queen_neighbours(berlin.geometry.values))
    np.testing.assert_allclose(result.local_i[has_value], expected.Is, rtol=0, atol=1e-12)
    assert np.array_equal(result.p_values[has_value], expected.p_sim)
    names = np.array(["", "HH", "LH", "LL", "HL"])[expected.q]
    quadrant = np.where(expected.p_sim <= 0.05, names, "ns")
    assert result.quadrant[has_value].tolist() == quadrant.tolist()
    assert set(result.quadrant[has_value]) == {"HH", "LL", "HL", "LH", "ns"}
    assert result.quadrant[~has_value].tolist() == [""] * 6
    assert (
        np.isnan(result.local_i[~has_value]).all() and np.isnan(result.p_values[~has_value]).all()
    )
    assert result.included.sum() == 536


def test_lisa_reproducible_and_seed_matters(berlin):
    neighbours = ac.queen_neighbours(berlin.geometry.values)
    values = berlin["S4"].to_numpy()
    first = ac.lisa(values, neighbours, permutations=99, seed=1)
    again = ac.lisa(values, neighbours, permutations=99, seed=1)
    other = ac.lisa(values, neighbours, permutations=99, seed=2)
    assert np.array_equal(first.p_values, again.p_values, equal_nan=True)
    assert not np.array_equal(first.p_values, other.p_values, equal_nan=True)


def test_islands_and_areas_without_valued_neighbours_are_excluded(berlin):
    far = shapely.box(0, 0, 10, 10)  # far west of Berlin in EPSG:25833
    pair = [shapely.box(1e5, 0, 1e5 + 1, 1), shapely.box(1e5 + 1, 0, 1e5 + 2, 1)]
    geoms = np.concatenate([berlin.geometry.values, np.array([far, *pair], dtype=object)])
    # The first of the pair has a value but its only neighbour has none: an island too.
    values = np.concatenate([berlin["S4"].to_numpy(), [99.0, 50.0, np.nan]])
    neighbours = ac.queen_neighbours(geoms)
    assert neighbours[542] == [] and neighbours[543] == [544]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no libpysal island warning may leak
        result = ac.lisa(values, neighbours, permutations=99)
        plain = ac.lisa(berlin["S4"].to_numpy(), neighbours[:542], permutations=99)
        global_i = ac.moran(values, neighbours, permutations=99)
    assert result.quadrant[542:].tolist() == ["", "", ""]
    assert np.array_equal(result.local_i[:542], plain.local_i, equal_nan=True)
    assert global_i.areas == 536


def test_one_sided_neighbour_lists_do_not_break_the_weights():
    # Area 3 lists area 2 as neighbour, but 2 is dropped (its only neighbour 1 has no value);
    # 3 is then stranded too and must be excluded instead of pointing into nowhere.
    neighbours = [[4, 5], [2], [1], [2], [0, 5], [0, 4]]
    values = np.array([1.0, np.nan, 5.0, 3.0, 2.0, 9.0])
    result = ac.lisa(values, neighbours, permutations=9)
    assert result.included.tolist() == [True, False, False, False, True, True]


def test_errors_are_german_messages():
    squares = np.array([shapely.box(x, 0, x + 1, 1) for x in range(4)], dtype=object)
    neighbours = ac.queen_neighbours(squares)
    with pytest.raises(QuartierError, match="Nachbarschaften"):
        ac.moran(np.arange(3.0), neighbours)
    with pytest.raises(QuartierError, match="zu wenige"):
        ac.moran(np.array([1.0, 2.0, np.nan, np.nan]), neighbours)
    with pytest.raises(QuartierError, match="denselben Wert"):
        ac.lisa(np.full(4, 7.0), neighbours)
    with pytest.raises(QuartierError, match="Permutationen"):
        ac.lisa(np.arange(4.0), neighbours, permutations=0)
    with pytest.raises(QuartierError, match="unbekannte Gebiete"):
        ac.moran(np.arange(4.0), [[1], [0, 7], [3], [2]])
    with pytest.raises(QuartierError, match="Signifikanzniveau"):
        ac.lisa(np.arange(4.0), neighbours, significance=1.5)


def test_warm_up_runs_and_lisa_works_afterwards():
    assert ac.warm_up() is None
    squares = np.array([shapely.box(x, 0, x + 1, 1) for x in range(6)], dtype=object)
    result = ac.lisa(np.array([1.0, 2, 3, 10, 11, 12]), ac.queen_neighbours(squares), 99)
    assert result.included.all()


def test_nothing_heavy_is_imported_with_the_modules():
    code = (
        "import sys\n"
        "import quartier.core.autocorrelation, quartier.core.typology\n"
        "import quartier.core.segregation, quartier.core.rules\n"
        "heavy = {'esda', 'libpysal', 'sklearn', 'numba', 'segregation', 'geopandas'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
