"""Search strategies: which design points to evaluate, in which order. One registry, ``STRATEGIES``.

A strategy hands out batches of points (``ask``) and, when it learns from results (``feedback``), is told the
outcome of each batch in the order it asked (``tell``) — never in the order results arrive — so a seed gives the
same points whatever executor runs them and however often the sweep was interrupted and resumed.

* ``grid`` — every point of the axes' product (up to ``budget``), mapping-relevant axes outermost.
* ``random`` — ``budget`` distinct points drawn uniformly from the grid (a larger budget extends the same draw).
* ``nsga2`` — multi-objective evolutionary search with optuna's ``NSGAIISampler`` (constraints by constrained
  domination), ``population`` points per generation, ``budget`` points in all.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from accelkit.errors import AccelkitError
from accelkit.explore.space import DesignSpace
from accelkit.registry import Registry
from accelkit.spec.explore import ConstraintSpec, ObjectiveSpec

#: a batch a streaming strategy hands out at a time (bounds memory on huge grids)
BATCH = 4096
#: (status, metrics) of an evaluated point, as a strategy is told it
Result = tuple[str, dict[str, Any] | None]


class Strategy:
    """Base of every search strategy."""

    name: ClassVar[str] = ""
    #: whether the strategy needs the results of a batch before asking the next one
    feedback: ClassVar[bool] = False
    summary: ClassVar[str] = ""
    default_budget: ClassVar[int | None] = None

    def __init__(
        self,
        space: DesignSpace,
        *,
        objectives: Sequence[ObjectiveSpec],
        constraints: Sequence[ConstraintSpec] = (),
        budget: int | None = None,
        seed: int = 0,
        population: int | None = None,
    ) -> None:
        self.space = space
        self.objectives = list(objectives)
        self.constraints = list(constraints)
        self.seed = int(seed)
        self.population = population
        self.budget = self._budget(budget)

    def _budget(self, budget: int | None) -> int:
        if budget is not None and budget < 1:
            raise AccelkitError(f"the budget must be at least 1 point, got {budget}")
        if budget is None:
            budget = self.default_budget if self.default_budget is not None else self.space.size
        return min(budget, self.space.size)

    @property
    def planned(self) -> int:
        """Points this run will ask for (the progress bar's total)."""
        return self.budget

    def ask(self) -> list[dict[str, Any]] | None:
        """The next batch of points (None when done)."""
        raise NotImplementedError

    def tell(self, results: Sequence[Result]) -> None:
        """The results of the last batch, in the order asked (only called when ``feedback``)."""


STRATEGIES: Registry[type[Strategy]] = Registry("search strategy", "accelkit.strategies")


@STRATEGIES.register("grid")
class Grid(Strategy):
    name = "grid"
    summary = "every point of the axes' product (budget: a cap), mapping-relevant axes outermost"

    def __init__(self, space: DesignSpace, **kw: Any) -> None:
        super().__init__(space, **kw)
        self._next = 0

    def ask(self) -> list[dict[str, Any]] | None:
        if self._next >= self.budget:
            return None
        stop = min(self._next + BATCH, self.budget)
        batch = [self.space.point(i) for i in range(self._next, stop)]
        self._next = stop
        return batch


@STRATEGIES.register("random")
class Random(Strategy):
    name = "random"
    summary = "distinct points drawn uniformly from the grid (seeded; a larger budget extends the same draw)"
    default_budget = 100

    def __init__(self, space: DesignSpace, **kw: Any) -> None:
        super().__init__(space, **kw)
        self._order = self._draw()
        self._next = 0

    def _draw(self) -> list[int]:
        rng = np.random.default_rng(self.seed)
        n = self.space.size
        if n <= 2_000_000:  # a permutation: every prefix is a uniform sample without replacement
            return [int(i) for i in rng.permutation(n)[: self.budget]]
        seen: dict[int, None] = {}
        while len(seen) < self.budget:  # rejection of repeats: prefix-stable too
            for i in rng.integers(0, n, size=1024):
                seen.setdefault(int(i))
                if len(seen) == self.budget:
                    break
        return list(seen)

    def ask(self) -> list[dict[str, Any]] | None:
        if self._next >= len(self._order):
            return None
        idx = self._order[self._next : self._next + BATCH]
        self._next += len(idx)
        # within a batch, grid order keeps points that share mappings together (results are order-free)
        return [self.space.point(i) for i in sorted(idx)]


@STRATEGIES.register("nsga2")
class NSGA2(Strategy):
    name = "nsga2"
    feedback = True
    summary = "multi-objective evolutionary search (optuna NSGAIISampler, constrained domination)"
    default_budget = 200

    def __init__(self, space: DesignSpace, **kw: Any) -> None:
        super().__init__(space, **kw)
        # a budget larger than the grid is allowed here: generations may propose known points again (not re-run)
        if kw.get("budget") is not None:
            self.budget = int(kw["budget"])
        elif self.default_budget is not None:
            self.budget = self.default_budget
        try:
            import optuna
        except ImportError as exc:  # pragma: no cover - optuna is a dependency
            raise AccelkitError("the nsga2 strategy needs optuna (pip install optuna)") from exc
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        pop = self.population or max(4, min(50, math.ceil(self.budget / 10)))
        self.population = pop
        from optuna.distributions import CategoricalDistribution

        self._dists = {a.name: CategoricalDistribution(list(range(len(a)))) for a in space.axes}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sampler = optuna.samplers.NSGAIISampler(population_size=pop, seed=self.seed)
            self._study = optuna.create_study(
                directions=[o.direction for o in self.objectives], sampler=sampler, study_name="accelkit"
            )
        self._trials: list[Any] = []
        self._asked = 0

    def ask(self) -> list[dict[str, Any]] | None:
        if self._asked >= self.budget:
            return None
        n = min(self.population or 1, self.budget - self._asked)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._trials = [self._study.ask(self._dists) for _ in range(n)]
        self._asked += n
        return [self.space.params([t.params[a.name] for a in self.space.axes]) for t in self._trials]

    def tell(self, results: Sequence[Result]) -> None:
        from optuna.trial import TrialState

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for trial, (status, metrics) in zip(self._trials, results, strict=True):
                values = None
                if status == "ok" and metrics is not None:
                    values = [_number(metrics.get(o.metric)) for o in self.objectives]
                    if not all(math.isfinite(v) for v in values):
                        values = None
                if values is None:
                    self._study.tell(trial, state=TrialState.FAIL)
                    continue
                for i, c in enumerate(self.constraints):
                    trial.set_constraint(f"c{i}", c.violation(metrics.get(c.metric)))  # type: ignore[union-attr]
                self._study.tell(trial, values)
        self._trials = []


def _number(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan
