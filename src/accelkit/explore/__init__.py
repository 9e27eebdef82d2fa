"""Design-space exploration: sweep axes over any study field, constraints, objectives, Pareto fronts.

    import accelkit
    result = accelkit.explore("examples/explore_kws.yaml", strategy="grid")   # -> StudyResult
    result.to_dataframe()        # one row per design point: parameters, metrics, feasibility
    result.pareto()              # the feasible non-dominated points
    result.hypervolume()

Parts: :mod:`~accelkit.explore.space` (axes, points, their stable ids), :mod:`~accelkit.explore.strategies`
(grid, random, nsga2; registry ``STRATEGIES``), :mod:`~accelkit.explore.executors` (serial, process, dask;
registry ``EXECUTORS``), :mod:`~accelkit.explore.store` (SQLite, one transaction per point),
:mod:`~accelkit.explore.result` (``StudyResult``), :mod:`~accelkit.explore.pareto` (front, hypervolume).
"""

from __future__ import annotations

from accelkit.explore.executors import EXECUTORS, Executor
from accelkit.explore.pareto import hypervolume, pareto_mask
from accelkit.explore.result import StudyResult
from accelkit.explore.runner import explore, load_result
from accelkit.explore.strategies import STRATEGIES, Strategy

__all__ = [
    "EXECUTORS",
    "STRATEGIES",
    "Executor",
    "Strategy",
    "StudyResult",
    "explore",
    "hypervolume",
    "load_result",
    "pareto_mask",
]
