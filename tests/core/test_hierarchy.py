import numpy as np

from quartier.core.hierarchy import compose, positions_of


def test_positions_of_finds_unsorted_ids_and_marks_missing():
    assert positions_of(np.array([30, 10, 99]), np.array([10, 20, 30])).tolist() == [2, 0, -1]
    assert positions_of(np.array([5]), np.array([], dtype=np.int64)).tolist() == [-1]


def test_compose_chains_parent_maps():
    block_to_quarter = np.array([0, 0, 1, 2, -1])
    quarter_to_district = np.array([1, 0, -1])
    assert compose([block_to_quarter, quarter_to_district]).tolist() == [1, 1, 0, -1, -1]
