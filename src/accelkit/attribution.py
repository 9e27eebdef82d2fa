"""attribute(): the individual and combined effect of each optimization block on *this* network and accelerator.

For ``n`` blocks it evaluates the baseline (no blocks), each block alone, all blocks, and all but each; for up to
``shapley_limit`` blocks (default 10) it evaluates every subset (2^n evaluations, mapping searches shared through
one cache) and splits the combined effect exactly among the blocks (Shapley values). Two splits are reported:

* ``shapley`` — of the log-ratio: a factor per block (> 1 = better) whose product is the combined ratio;
* ``shapley_delta`` — of the metric itself, in SI units: the deltas sum to (all blocks - baseline).

Ratios are always baseline / new (above 1 = better, DESIGN.md output contract). The ``waterfall`` adds blocks one
at a time, each step taking the block that improves the primary metric most given those already added. Each
block's alone ratio is set beside the range the literature catalog reports for its techniques, and flagged when
outside it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from accelkit.errors import AccelkitError
from accelkit.optimizations.base import Optimization, resolve_blocks

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from accelkit.model.evaluate import Evaluation

#: metric name -> (how to read it from an Evaluation, catalog metric it compares with); all lower-is-better
METRICS: dict[str, tuple[Callable[[Evaluation], float], str]] = {
    "energy_per_inference_j": (lambda ev: ev.energy_per_inference_j, "energy"),
    "latency_s": (lambda ev: ev.latency_s, "latency"),
    "footprint_bytes": (lambda ev: ev.memory()["footprint_bytes"], "memory"),
    "area_mm2": (lambda ev: ev.area_mm2, "area"),
    "average_power_w": (lambda ev: ev.average_power_w, "power"),
}


#: metric -> the catalog metrics whose ranges it is compared with (at a fixed batch, baseline / new latency is the
#: throughput gain too)
CATALOG_METRICS: dict[str, tuple[str, ...]] = {
    "energy_per_inference_j": ("energy",),
    "latency_s": ("latency", "throughput"),
    "footprint_bytes": ("memory",),
    "area_mm2": ("area",),
    "average_power_w": ("power",),
}


def _ratio(base: float, new: float) -> float:
    if new == base:
        return 1.0
    if new <= 0:
        return math.inf
    return base / new


@dataclass(frozen=True)
class BlockEffect:
    """One block's effect, per metric."""

    kind: str
    label: str
    description: str
    catalog_ids: tuple[str, ...]
    alone: dict[str, float]
    marginal: dict[str, float]
    shapley: dict[str, float] | None
    shapley_delta: dict[str, float] | None
    #: metric (as in ``alone``) -> [lowest, highest] improvement (baseline / new) the literature reports for the
    #: block's techniques on the catalog metrics it compares with (CATALOG_METRICS)
    literature: dict[str, list[float]]
    #: metrics whose alone ratio lies outside the literature range
    outside_literature: tuple[str, ...]
    #: the same ranges keyed by catalog metric (energy, latency, throughput, memory, area, power, ...)
    literature_catalog: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "description": self.description,
            "catalog_ids": list(self.catalog_ids),
            "alone": dict(self.alone),
            "marginal": dict(self.marginal),
            "shapley": dict(self.shapley) if self.shapley is not None else None,
            "shapley_delta": dict(self.shapley_delta) if self.shapley_delta is not None else None,
            "literature": {k: list(v) for k, v in self.literature.items()},
            "literature_catalog": {k: list(v) for k, v in self.literature_catalog.items()},
            "outside_literature": list(self.outside_literature),
        }


@dataclass(frozen=True)
class Attribution:
    """The result of :func:`attribute`."""

    baseline: Evaluation
    combined: Evaluation
    blocks: tuple[BlockEffect, ...]
    waterfall: tuple[dict[str, Any], ...]
    primary_metric: str
    evaluations: int
    metrics: tuple[str, ...] = field(default_factory=lambda: tuple(METRICS))

    @property
    def combined_ratio(self) -> dict[str, float]:
        return {m: _ratio(METRICS[m][0](self.baseline), METRICS[m][0](self.combined)) for m in self.metrics}

    def to_dict(self) -> dict[str, Any]:
        """The ``attribute --json`` output contract (DESIGN.md)."""
        return {
            "baseline": self.baseline.totals(),
            "combined": self.combined.totals(),
            "combined_ratio": self.combined_ratio,
            "primary_metric": self.primary_metric,
            "evaluations": self.evaluations,
            "blocks": [b.to_dict() for b in self.blocks],
            "waterfall": [dict(w) for w in self.waterfall],
        }

    def _repr_html_(self) -> str:
        """Notebook display: the per-block table and the waterfall."""
        from accelkit.report.notebook import attribution_html

        return attribution_html(self)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per block and metric: alone, marginal, Shapley factor and delta, literature range."""
        import pandas as pd

        rows = []
        for b in self.blocks:
            for m in self.metrics:
                lit = b.literature.get(m)
                rows.append(
                    {
                        "block": b.label,
                        "kind": b.kind,
                        "metric": m,
                        "alone": b.alone[m],
                        "marginal": b.marginal[m],
                        "shapley": b.shapley[m] if b.shapley else None,
                        "shapley_delta": b.shapley_delta[m] if b.shapley_delta else None,
                        "literature_low": lit[0] if lit else None,
                        "literature_high": lit[1] if lit else None,
                        "outside_literature": m in b.outside_literature,
                    }
                )
        return pd.DataFrame(rows)


def literature_range(block: Optimization) -> dict[str, list[float]]:
    """[lowest, highest] improvement factor (baseline / new) per catalog metric over the block's techniques."""
    from accelkit import kit

    out: dict[str, list[float]] = {}
    for tid in block.techniques():
        try:
            tech = kit.get(tid)
        except Exception:  # an entry-point block naming an id the catalog lacks: no range, not a crash
            continue
        for e in tech.effects:
            lo, hi = e.improvement, e.improvement_max
            if lo is None or hi is None:
                continue
            lo, hi = min(lo, hi), max(lo, hi)
            cur = out.setdefault(e.metric.value, [lo, hi])
            cur[0], cur[1] = min(cur[0], lo), max(cur[1], hi)
    return out


def attribute(
    network: Any,
    accelerator: Any = None,
    *,
    blocks: Sequence[Any] | None = None,
    primary_metric: str = "energy_per_inference_j",
    shapley_limit: int = 10,
    progress: Callable[[int, int], None] | None = None,
    **evaluate_kwargs: Any,
) -> Attribution:
    """Split the effect of ``blocks`` on ``network`` x ``accelerator`` among the blocks.

    Takes the same inputs as :func:`accelkit.evaluate` (or a study file / StudySpec as ``network`` and no
    accelerator, whose blocks are used unless ``blocks`` is given). Disabled blocks are left out.
    """
    from accelkit.model.evaluate import evaluate

    if primary_metric not in METRICS:
        raise AccelkitError(f"unknown metric {primary_metric!r}; expected one of {', '.join(METRICS)}")
    if accelerator is None:
        from accelkit.model.study import load_study

        study = load_study(network)
        opts = study.evaluate
        defaults = {
            "objective": opts.objective,
            "batch": opts.batch,
            "dataflow": opts.dataflow,
            "residency": opts.residency,
            "inference_rate": opts.inference_rate_ips,
        }
        for k, v in defaults.items():
            evaluate_kwargs.setdefault(k, v)
        network, accelerator = study.network_source(), study.accelerator_source()
        if blocks is None:
            blocks = study.blocks
    chosen = [b for b in resolve_blocks(blocks or (), prefix="blocks") if b.enabled]  # conflicts checked there
    if not chosen:
        raise AccelkitError("attribute needs at least one enabled block")
    n = len(chosen)
    cache: dict[Any, Any] = {}
    evals: dict[frozenset[int], Evaluation] = {}
    exhaustive = n <= shapley_limit
    # beyond the Shapley limit: baseline, all, each alone, all but each, and the greedy waterfall's steps
    planned = 2**n if exhaustive else 2 * n + 2 + n * (n - 1) // 2
    done = 0

    def run(subset: frozenset[int]) -> Evaluation:
        nonlocal done
        if subset not in evals:
            evals[subset] = evaluate(
                network,
                accelerator,
                optimizations=[chosen[i] for i in sorted(subset)],
                mapping_cache=cache,
                **evaluate_kwargs,
            )
            done += 1
            if progress:
                progress(min(done, planned), planned)
        return evals[subset]

    full = frozenset(range(n))
    if exhaustive:
        for k in range(n + 1):
            for combo in itertools.combinations(range(n), k):
                run(frozenset(combo))
    base, combined = run(frozenset()), run(full)

    # every metric of an evaluation read once: the Shapley sums read each subset's metrics many times, and the
    # footprint walks the whole network (network_stats) on every read
    metric_values: dict[int, dict[str, float]] = {}

    def value(ev: Evaluation, m: str) -> float:
        if id(ev) not in metric_values:  # evaluations live on in ``evals``, so their ids stay unique
            metric_values[id(ev)] = {name: float(get(ev)) for name, (get, _) in METRICS.items()}
        return metric_values[id(ev)][m]

    effects = []
    for i, b in enumerate(chosen):
        alone_ev, without_ev = run(frozenset({i})), run(full - {i})
        alone = {m: _ratio(value(base, m), value(alone_ev, m)) for m in METRICS}
        marginal = {m: _ratio(value(without_ev, m), value(combined, m)) for m in METRICS}
        shap = shap_d = None
        if exhaustive:
            shap, shap_d = {}, {}
            others = [j for j in range(n) if j != i]
            for m in METRICS:
                phi_log = phi_d = 0.0
                for k in range(n):
                    w = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
                    for combo in itertools.combinations(others, k):
                        s = frozenset(combo)
                        a, c = value(evals[s], m), value(evals[s | {i}], m)
                        phi_d += w * (c - a)
                        phi_log += w * (math.log(a / c) if a > 0 and c > 0 else 0.0)
                shap[m] = math.exp(phi_log)
                shap_d[m] = phi_d
        lit_catalog = literature_range(b)
        lit: dict[str, list[float]] = {}
        for m, cats in CATALOG_METRICS.items():
            spans = [lit_catalog[c] for c in cats if c in lit_catalog]
            if spans:
                lit[m] = [min(s[0] for s in spans), max(s[1] for s in spans)]
        outside = tuple(
            m
            for m in METRICS
            if (r := lit.get(m)) is not None
            and alone[m] != 1.0
            and not (r[0] * (1 - 1e-9) <= alone[m] <= r[1] * (1 + 1e-9))
        )
        effects.append(
            BlockEffect(
                kind=b.kind,
                label=b.label,
                description=b.describe(),
                catalog_ids=tuple(b.techniques()),
                alone=alone,
                marginal=marginal,
                shapley=shap,
                shapley_delta=shap_d,
                literature=lit,
                outside_literature=outside,
                literature_catalog=lit_catalog,
            )
        )
    # waterfall: greedy on the primary metric
    steps: list[dict[str, Any]] = []
    current: frozenset[int] = frozenset()
    remaining = set(range(n))
    while remaining:
        best = min(sorted(remaining), key=lambda j: value(run(current | {j}), primary_metric))
        before, after = run(current), run(current | {best})
        current = current | {best}
        remaining.discard(best)
        steps.append(
            {
                "label": chosen[best].label,
                "kind": chosen[best].kind,
                **{f"{m}_ratio": _ratio(value(before, m), value(after, m)) for m in METRICS},
                **{m: value(after, m) for m in METRICS},
            }
        )
    return Attribution(
        baseline=base,
        combined=combined,
        blocks=tuple(effects),
        waterfall=tuple(steps),
        primary_metric=primary_metric,
        evaluations=len(evals),
    )
