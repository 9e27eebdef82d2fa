"""Pareto fronts and hypervolume, for any number of objectives (all minimized: multiply maximized ones by -1).

``pareto_mask`` keeps every point that no other point dominates (no worse in every objective, better in one);
equal points are all kept. ``hypervolume`` is exact: a sweep in two dimensions, slicing along the last objective
above (HSO, While et al., IEEE TEVC 2006) — fine for the few hundred points a front holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pareto_mask(values: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``values`` (n points x m objectives, all minimized).

    Rows holding a NaN are never on the front.
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 2:
        raise ValueError(f"expected a 2-D array (points x objectives), got shape {v.shape}")
    n = v.shape[0]
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    valid = ~np.isnan(v).any(axis=1)
    idx = np.flatnonzero(valid)
    # lexicographic order: a point can only be dominated by one before it
    order = idx[np.lexsort(v[idx].T[::-1])]
    front: list[int] = []
    for i in order:
        row = v[i]
        if front:
            f = v[front]
            dominated = np.any(np.all(f <= row, axis=1) & np.any(f < row, axis=1))
            if dominated:
                continue
        front.append(i)
    mask[front] = True
    return mask


def hypervolume(points: Sequence[Sequence[float]] | np.ndarray, reference: Sequence[float]) -> float:
    """The volume dominated by ``points`` (minimized) and bounded by ``reference``; points not strictly better
    than the reference in every objective add nothing."""
    ref = np.asarray(reference, dtype=float)
    p = np.asarray(points, dtype=float).reshape(-1, ref.size)
    p = p[~np.isnan(p).any(axis=1)]
    p = p[np.all(p < ref, axis=1)]
    if p.shape[0] == 0:
        return 0.0
    p = p[pareto_mask(p)]
    return float(_hv(p, ref))


def _hv(p: np.ndarray, ref: np.ndarray) -> float:
    m = ref.size
    if m == 1:
        return float(ref[0] - p[:, 0].min())
    if m == 2:
        order = np.argsort(p[:, 0], kind="stable")
        total, best_y = 0.0, ref[1]
        for x, y in p[order]:
            if y < best_y:
                total += (ref[0] - x) * (best_y - y)
                best_y = y
        return total
    # slice along the last objective: between consecutive levels, the (m-1)-D volume of the points below
    order = np.argsort(p[:, -1], kind="stable")
    p = p[order]
    total = 0.0
    for k in range(p.shape[0]):
        upper = p[k + 1, -1] if k + 1 < p.shape[0] else ref[-1]
        depth = upper - p[k, -1]
        if depth <= 0:
            continue
        sub = p[: k + 1, :-1]
        sub = sub[pareto_mask(sub)]
        total += depth * _hv(sub, ref[:-1])
    return total


def normalize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values scaled to [0, 1] per column (ideal 0, nadir 1), with the column minima and maxima used."""
    v = np.asarray(values, dtype=float)
    lo = np.nanmin(v, axis=0)
    hi = np.nanmax(v, axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return (v - lo) / span, lo, hi
