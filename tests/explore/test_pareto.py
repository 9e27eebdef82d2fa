from __future__ import annotations

import itertools

import numpy as np
import pytest

from accelkit.explore.pareto import hypervolume, normalize, pareto_mask


def test_front_of_a_small_set() -> None:
    pts = [[1, 5], [2, 3], [3, 4], [4, 1], [2, 3], [5, 5]]
    assert pareto_mask(pts).tolist() == [True, True, False, True, True, False]


def test_nan_rows_are_never_on_the_front() -> None:
    assert pareto_mask([[float("nan"), 0.0], [1.0, 1.0]]).tolist() == [False, True]
    assert pareto_mask(np.zeros((0, 2))).tolist() == []


def test_front_agrees_with_brute_force() -> None:
    rng = np.random.default_rng(3)
    for m in (2, 3, 4):
        v = rng.integers(0, 6, size=(60, m)).astype(float)
        brute = [not any(np.all(v[j] <= v[i]) and np.any(v[j] < v[i]) for j in range(len(v))) for i in range(len(v))]
        assert pareto_mask(v).tolist() == brute


def test_hypervolume_2d_by_hand() -> None:
    # staircase (1,3), (2,2), (3,1) under reference (4,4): 3 + 2 + 1 = 6 unit squares
    assert hypervolume([[1, 3], [2, 2], [3, 1]], [4, 4]) == pytest.approx(6.0)
    assert hypervolume([[1, 3], [2, 2], [3, 1], [3, 3]], [4, 4]) == pytest.approx(6.0)  # dominated: no change
    assert hypervolume([[5, 5]], [4, 4]) == 0.0
    assert hypervolume([[4, 1]], [4, 4]) == 0.0  # on the reference: adds nothing


def _cells(points: np.ndarray, ref: list[int]) -> int:
    """Unit cells of the integer grid dominated by some point (exact for integer coordinates)."""
    count = 0
    for cell in itertools.product(*(range(r) for r in ref)):
        c = np.array(cell, dtype=float)
        if np.any(np.all(points <= c, axis=1)):
            count += 1
    return count


@pytest.mark.parametrize("m", [2, 3, 4])
def test_hypervolume_matches_cell_counting(m: int) -> None:
    rng = np.random.default_rng(m)
    ref = [6] * m
    for _ in range(5):
        pts = rng.integers(0, 6, size=(12, m)).astype(float)
        assert hypervolume(pts, ref) == pytest.approx(_cells(pts, ref))


def test_normalize() -> None:
    scaled, lo, hi = normalize(np.array([[1.0, 10.0], [3.0, 10.0]]))
    assert scaled.tolist() == [[0.0, 0.0], [1.0, 0.0]]
    assert lo.tolist() == [1.0, 10.0] and hi.tolist() == [3.0, 10.0]
