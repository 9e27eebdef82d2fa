"""Evaluating design points: what every executor runs, in whatever process it runs in.

A :class:`Job` is the study as plain data (small, picklable, hashed); each process keeps one
:class:`PointEvaluator` per job with its caches — the loaded network, the patched accelerators, the resolved
blocks and, above all, one mapping cache shared by every point the process evaluates, so points that do not change
mapping-relevant parameters never search a mapping again.
"""

from __future__ import annotations

import math
import os
import socket
import time
import traceback
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accelkit.errors import AccelkitError
from accelkit.explore.space import PointBuilder, canonical

#: mapping-cache entries a worker keeps before starting afresh (bounds memory on very long sweeps)
MAPPING_CACHE_LIMIT = 200_000


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to evaluate points of one study (plain data: picklable, hashable by content)."""

    study: dict[str, Any]
    base_dir: str | None
    source: str | None
    accuracy_loss_pp: dict[str, float] = field(default_factory=dict)
    key: str = ""

    @classmethod
    def from_study(cls, study: Any, accuracy_loss_pp: Mapping[str, float] | None = None) -> Job:
        import hashlib

        data = study.spec.model_dump(mode="json", exclude_none=True, exclude={"explore"})
        acc = dict(accuracy_loss_pp or {})
        base_dir = str(study.base_dir) if study.base_dir is not None else None
        key = hashlib.sha256(canonical([data, base_dir, acc]).encode()).hexdigest()[:16]
        return cls(data, base_dir, study.source, acc, key)


@dataclass(frozen=True)
class Outcome:
    """One evaluated point: its metrics (flattened totals + accuracy) or the error that stopped it."""

    id: str
    status: str  # "ok" or "failed"
    metrics: dict[str, Any] | None
    error: str | None
    elapsed_s: float
    worker: str


def flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested totals as one level, keys joined by dots (``memory.footprint_bytes``); numbers as Python floats."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + "."))
        elif isinstance(v, bool) or v is None or isinstance(v, str):
            out[key] = v
        elif isinstance(v, int | float):
            out[key] = float(v) if not isinstance(v, int) else int(v)
        else:
            try:
                out[key] = float(v)
            except (TypeError, ValueError):
                out[key] = str(v)
    return out


class _LRU(OrderedDict):  # type: ignore[type-arg]
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_or(self, key: str, make: Any) -> Any:
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = make()
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)
        return value


class PointEvaluator:
    """Evaluates points of one job; caches everything points share (see the module docstring)."""

    def __init__(self, job: Job) -> None:
        from accelkit.model.study import Study, load_study

        loaded = load_study(job.study)
        self.study = Study(loaded.spec, loaded.blocks, Path(job.base_dir) if job.base_dir else None, job.source)
        self.job = job
        self.builder = PointBuilder(self.study)
        self.mapping_cache: dict[Any, Any] = {}
        self._acc = _LRU(256)
        self._net = _LRU(8)
        self._opts = _LRU(256)
        self._blocks = _LRU(1024)
        self._accuracy = _LRU(1024)
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    def _accelerator(self, changes: dict[str, Any]) -> tuple[Any, Any]:
        def make() -> tuple[Any, Any]:
            from accelkit.hardware.accelerator import Accelerator

            spec = self.builder.accelerator_spec(changes)
            return spec, Accelerator.from_spec(spec)

        return self._acc.get_or(canonical(changes), make)

    def _network(self, changes: dict[str, Any]) -> Any:
        from accelkit.workload.loader import load_network

        return self._net.get_or(canonical(changes), lambda: load_network(self.builder.network_source(changes)))

    def evaluate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The metrics of one point (raises what evaluate raises)."""
        from accelkit.model.evaluate import evaluate

        parts = self.builder.split(params)
        acc_spec, acc = self._accelerator(parts["accelerator"])
        net = self._network(parts["network"])
        opts = self._opts.get_or(canonical(parts["evaluate"]), lambda: self.builder.options(parts["evaluate"]))
        bkey = canonical(parts["blocks"])
        blocks = self._blocks.get_or(bkey, lambda: self.builder.blocks(parts["blocks"]))
        # a resolved Accelerator skips re-building it, unless a block rewrites the accelerator description
        target = acc_spec if any(b.enabled and b.overrides("accelerator_spec") for b in blocks) else acc
        if len(self.mapping_cache) > MAPPING_CACHE_LIMIT:
            self.mapping_cache.clear()
        ev = evaluate(
            net,
            target,
            optimizations=blocks,
            objective=opts.objective,
            batch=opts.batch,
            dataflow=opts.dataflow,
            residency=opts.residency,
            inference_rate=opts.inference_rate_ips,
            mapping_cache=self.mapping_cache,
        )
        metrics = flatten(ev.totals())
        metrics.update(self._accuracy.get_or(bkey, lambda: accuracy_loss(blocks, self.job.accuracy_loss_pp)))
        return metrics

    def run(self, point_id: str, params: Mapping[str, Any]) -> Outcome:
        t0 = time.perf_counter()
        try:
            metrics = self.evaluate(params)
        except AccelkitError as exc:
            return Outcome(
                point_id, "failed", None, f"{type(exc).__name__}: {exc}", time.perf_counter() - t0, self.worker
            )
        except Exception as exc:  # a bug or an unforeseen input: recorded with its traceback, the sweep goes on
            tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-4))
            return Outcome(
                point_id, "failed", None, f"{type(exc).__name__}: {exc}\n{tb}", time.perf_counter() - t0, self.worker
            )
        return Outcome(point_id, "ok", metrics, None, time.perf_counter() - t0, self.worker)


#: this process' evaluators, by job key (a worker may serve several sweeps one after the other)
_EVALUATORS: OrderedDict[str, PointEvaluator] = OrderedDict()


def evaluator_for(job: Job) -> PointEvaluator:
    ev = _EVALUATORS.get(job.key)
    if ev is None:
        ev = PointEvaluator(job)
        _EVALUATORS[job.key] = ev
        while len(_EVALUATORS) > 2:
            _EVALUATORS.popitem(last=False)
    return ev


def iter_chunk(job: Job, points: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterator[Outcome]:
    """Evaluate ``points`` ((id, params) pairs) one by one, yielding each outcome as soon as it is known."""
    try:
        ev = evaluator_for(job)
    except Exception as exc:  # the study itself cannot be loaded in this process: every point fails with it
        msg = f"{type(exc).__name__}: {exc}"
        for pid, _ in points:
            yield Outcome(pid, "failed", None, msg, 0.0, f"{socket.gethostname()}:{os.getpid()}")
        return
    for pid, params in points:
        yield ev.run(pid, params)


def run_chunk(job: Job, points: list[tuple[str, dict[str, Any]]]) -> list[Outcome]:
    """Evaluate a chunk of points and return the outcomes (the task a Dask worker runs)."""
    return list(iter_chunk(job, points))


# ---- accuracy from the catalog ---------------------------------------------------------------------------------------
def block_accuracy(block: Any, user_pp: Mapping[str, float]) -> tuple[float | None, str]:
    """(accuracy loss in percentage points, where the figure comes from) for one enabled block.

    Your own figure (``explore.accuracy.loss_pp.<label>``) wins. Otherwise the worst loss among the catalog's
    accuracy figures for the block's techniques (a relative % loss counts as that many points: an upper bound,
    accuracy being at most 100 %). A block with no figure counts 0 when it declares no accuracy effect (it
    changes how the network runs, not what it computes), and is *unknown* (None) when it does.
    """
    if block.label in user_pp:
        return float(user_pp[block.label]), f"{block.label}: {user_pp[block.label]:g} pp (explore.accuracy)"
    from accelkit import kit

    worst: tuple[float, str] | None = None
    for tid in block.catalog_ids:
        try:
            tech = kit.get(tid)
        except Exception:
            continue
        for e in tech.effects:
            if e.metric.value != "accuracy":
                continue
            hi = e.value_max if e.value_max is not None else e.value
            loss = hi if e.direction.value == "decrease" else -e.value
            unit = "pp" if e.unit.value == "pp" else "% relative, counted as pp"
            if worst is None or loss > worst[0]:
                worst = (loss, f"{block.label}: {loss:g} pp, catalog {tid} ({unit}; {e.source})")
    if worst is not None:
        return worst
    if "accuracy" in getattr(block, "metrics", ()):
        return None, f"{block.label}: unknown (the catalog has no accuracy figure for {', '.join(block.catalog_ids)})"
    return 0.0, f"{block.label}: 0 (declares no accuracy effect)"


def accuracy_loss(blocks: Iterable[Any], user_pp: Mapping[str, float]) -> dict[str, Any]:
    """``accuracy_loss_pp`` (NaN when a block's loss is unknown), the sources of the figures, the unknown blocks."""
    total = 0.0
    basis: list[str] = []
    unknown: list[str] = []
    for b in blocks:
        if not b.enabled:
            continue
        loss, why = block_accuracy(b, user_pp)
        basis.append(why)
        if loss is None:
            unknown.append(b.label)
        else:
            total += loss
    return {
        "accuracy_loss_pp": math.nan if unknown else total,
        "accuracy_basis": "; ".join(basis) if basis else "no blocks: baseline accuracy",
        "accuracy_unknown": ", ".join(unknown),
    }
