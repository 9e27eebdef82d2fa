"""explore(): run a study's sweep — strategy asks, executor evaluates, the parent writes each point as it arrives.

Resuming replays the strategy from the start with the same seed; points already in the store are not evaluated
again but their stored results are used (and told to the strategy as if they had just been evaluated), so an
interrupted and resumed sweep ends with exactly the points and results of an uninterrupted one.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from accelkit.errors import AccelkitError, SpecError
from accelkit.explore.evaluator import Job, Outcome
from accelkit.explore.executors import EXECUTORS, Chunk, Executor
from accelkit.explore.result import StudyResult, feasibility
from accelkit.explore.space import DesignSpace, build_space, canonical, point_id
from accelkit.explore.store import SCHEMA_VERSION, Store, StoreError
from accelkit.explore.strategies import STRATEGIES
from accelkit.spec.explore import COMPONENT_METRICS, ExploreSpec

#: progress(done, total, failed): points resolved so far (evaluated now or found in the store), of how many
Progress = Callable[[int, int, int], None]


def default_db(study: Any) -> str:
    """``<study>.db`` next to the study file; in memory for a study given as data."""
    if study.source and study.base_dir is not None:
        return str(Path(study.source).with_suffix(".db"))
    return ":memory:"


def study_key(job: Job) -> str:
    """The identity of the study the stored points belong to (network, accelerator, evaluate options, blocks,
    accuracy figures) — not where the file lies, nor its explore section."""
    import hashlib

    return hashlib.sha256(canonical([job.study, job.accuracy_loss_pp]).encode()).hexdigest()[:16]


def _check_components(spec: ExploreSpec, space_builder_levels: list[str]) -> None:
    """Per-level metrics (``traffic_bytes.glb``) must name a level of the accelerator."""
    import difflib

    known = {
        "traffic_bytes": space_builder_levels,
        "energy_by_level_j": [*space_builder_levels, "mac", "noc", "adder", "leakage"],
    }
    problems = []
    items = [(f"explore.constraints[{i}].metric", c.metric) for i, c in enumerate(spec.constraints)]
    items += [(f"explore.objectives[{i}].metric", o.metric) for i, o in enumerate(spec.objectives)]
    for where, metric in items:
        head, _, comp = metric.partition(".")
        if head in COMPONENT_METRICS and head in known and comp not in known[head]:
            close = difflib.get_close_matches(comp, known[head], n=2, cutoff=0.5)
            hint = f"; did you mean {', '.join(repr(f'{head}.{c}') for c in close)}?" if close else ""
            problems.append((where, f"{comp!r} is not a component of the accelerator{hint} (known: {known[head]})"))
    if problems:
        raise SpecError(problems)


def _chunks(todo: list[tuple[str, dict[str, Any]]], space: DesignSpace, size: int, start: int) -> Iterator[Chunk]:
    """Consecutive points cut into chunks of at most ``size``, cut early where the mapping group changes."""
    cur: list[tuple[str, dict[str, Any]]] = []
    group = ""
    n = start
    for pid, params in todo:
        g = space.group_key(params)
        if cur and (len(cur) >= size or (g != group and len(cur) >= max(1, size // 4))):
            yield Chunk(n, group, cur)
            n += 1
            cur = []
        if not cur:
            group = g
        cur.append((pid, params))
    if cur:
        yield Chunk(n, group, cur)


def explore(
    study: Any,
    *,
    strategy: str | None = None,
    budget: int | None = None,
    seed: int | None = None,
    population: int | None = None,
    executor: str | Executor | None = None,
    workers: int | None = None,
    dask: str | None = None,
    dask_local: int | None = None,
    dask_timeout: float = 10.0,
    db: str | os.PathLike[str] | None = None,
    resume: bool = False,
    fresh: bool = False,
    retry_failed: bool = False,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> StudyResult:
    """Explore the design space of ``study`` (a study YAML file, a mapping, a StudySpec or a Study with an
    ``explore`` section) and return a :class:`StudyResult`.

    ``strategy``/``budget``/``seed``/``population`` override the explore section. ``executor``: ``serial``,
    ``process`` (default; ``workers`` processes, all cores by default) or ``dask`` (``dask="tcp://host:8786"`` for
    a running scheduler, reached within ``dask_timeout`` seconds, ``dask_local=N`` for a LocalCluster of N
    processes; either implies ``dask``). ``db``: the
    SQLite store (default ``<study>.db`` next to the study file, in memory for a study given as data). An existing
    store of this study needs ``resume=True`` (skip finished points) or ``fresh=True`` (start over);
    ``retry_failed`` evaluates failed points again.
    """
    from accelkit.model.study import load_study

    st = load_study(study)
    spec = st.spec.explore
    if spec is None:
        raise AccelkitError(
            f"{st.source or 'the study'} has no explore section: add explore: {{axes: ..., objectives: ...}}"
        )
    space = build_space(st, spec)
    from accelkit.explore.space import PointBuilder

    _check_components(spec, [m.name for m in PointBuilder(st).base_accelerator.memory])
    name = strategy or spec.strategy
    cls = STRATEGIES.get(name)
    strat = cls(
        space,
        objectives=spec.objectives,
        constraints=spec.constraints,
        budget=budget if budget is not None else spec.budget,
        seed=seed if seed is not None else spec.seed,
        population=population or spec.population,
    )
    if dask is not None or dask_local is not None:
        if executor not in (None, "dask") and not isinstance(executor, Executor):
            raise AccelkitError(f"--dask/--dask-local run on the dask executor, not {executor!r}")
        executor = "dask"
    job = Job.from_study(st, spec.accuracy.loss_pp)
    key = study_key(job)
    path = os.fspath(db) if db is not None else default_db(st)
    store = Store(path)
    try:
        stored_key = store.meta("study_key")
        count = store.count()
        if fresh:
            store.clear()
        elif stored_key is not None and stored_key != key and count:
            raise StoreError(
                f"{path} holds {count} points of a different version of this study (its network, accelerator, "
                "evaluate options, blocks or accuracy figures changed): use --fresh to start over, or --db for a "
                "new store"
            )
        elif count and not resume:
            raise StoreError(
                f"{path} already holds {count} points of this study: use --resume to continue (finished points "
                "are skipped) or --fresh to start over"
            )
        from accelkit import __version__

        store.set_meta(
            {
                "schema_version": SCHEMA_VERSION,
                "study_key": key,
                "study_name": st.name,
                "study_source": st.source,
                "study": job.study,
                "explore": spec.model_dump(mode="json"),
                "axes": space.describe(),
                "space_size": space.size,
                "accelkit_version": __version__,
            }
        )
    except BaseException:
        store.close()
        raise
    if isinstance(executor, Executor):
        ex = executor
    else:
        ex_cls = EXECUTORS.get(executor or "process")
        ex = ex_cls(workers=workers, address=dask, local_workers=dask_local, timeout=dask_timeout)
    result = StudyResult(store, spec, name=st.name)
    t0 = time.perf_counter()
    run = store.start_run(strategy=name, seed=strat.seed, budget=strat.planned, executor=ex.name, workers=ex.workers)
    counts = {"evaluated": 0, "reused": 0, "failed": 0, "done": 0}
    status = "interrupted"
    try:
        with ex:
            _sweep(strat, space, ex, job, store, spec, counts, retry_failed, chunk_size, progress)
        status = "finished"
    finally:
        store.finish_run(
            run, evaluated=counts["evaluated"], reused=counts["reused"], failed=counts["failed"], status=status
        )
        elapsed = time.perf_counter() - t0
        result.run = {
            "strategy": name,
            "seed": strat.seed,
            "budget": strat.planned,
            "executor": ex.describe(),
            "workers": ex.workers,
            "evaluated": counts["evaluated"],
            "reused": counts["reused"],
            "failed": counts["failed"],
            "seconds": elapsed,
            "points_per_s": counts["evaluated"] / elapsed if elapsed > 0 else math.nan,
            "status": status,
        }
    return result


def _sweep(
    strat: Any,
    space: DesignSpace,
    ex: Executor,
    job: Job,
    store: Store,
    spec: ExploreSpec,
    counts: dict[str, int],
    retry_failed: bool,
    chunk_size: int | None,
    progress: Progress | None,
) -> None:
    finished: dict[str, tuple[str, dict[str, Any] | None]] = store.finished()
    retried: set[str] = set()
    pending: dict[str, tuple[dict[str, Any], int]] = {}  # id -> (params, seq) of points sent to the executor
    total = strat.planned
    seq = 0
    chunk_no = 0

    def tick(n: int = 1) -> None:
        counts["done"] += n
        if progress:
            progress(min(counts["done"], total), total, counts["failed"])

    def record(o: Outcome) -> None:
        params, s = pending.pop(o.id)
        feasible, broken = feasibility(o.metrics, spec.constraints)
        store.write(
            id=o.id,
            seq=s,
            params=params,
            status=o.status,
            error=o.error,
            metrics=o.metrics,
            feasible=feasible,
            violations=broken if o.status == "ok" else None,
            elapsed_s=o.elapsed_s,
            worker=o.worker,
        )
        finished[o.id] = (o.status, o.metrics)
        counts["evaluated"] += 1
        if o.status != "ok":
            counts["failed"] += 1
        tick()

    def todo_of(batch: list[dict[str, Any]]) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
        """Ids of the batch's points, and those to evaluate (not stored, not already on their way)."""
        nonlocal seq
        ids = []
        todo = []
        for params in batch:
            pid = point_id(params)
            ids.append(pid)
            here = finished.get(pid)
            again = here is not None and retry_failed and here[0] != "ok" and pid not in retried
            if pid in pending or (here is not None and not again):
                counts["reused"] += here is not None and pid not in pending
                tick()
                seq += 1
                continue
            if again:
                retried.add(pid)
            pending[pid] = (params, seq)
            seq += 1
            todo.append((pid, params))
        return ids, todo

    def size_for(n: int) -> int:
        if chunk_size:
            return chunk_size
        return max(1, min(ex.chunk_size, math.ceil(n / (2 * ex.workers))))

    if not strat.feedback:

        def chunks() -> Iterator[Chunk]:
            nonlocal chunk_no
            for batch in iter(strat.ask, None):
                _, todo = todo_of(batch)
                for c in _chunks(todo, space, size_for(len(todo)), chunk_no):
                    chunk_no = c.id + 1
                    yield c

        for outcome in ex.run(job, chunks()):
            record(outcome)
        return
    while (batch := strat.ask()) is not None:
        ids, todo = todo_of(batch)
        if todo:
            for outcome in ex.run(job, _chunks(todo, space, size_for(len(todo)), chunk_no)):
                record(outcome)
            chunk_no += len(todo)
        strat.tell([finished[pid] for pid in ids])


def load_result(path: str | os.PathLike[str]) -> StudyResult:
    """The :class:`StudyResult` stored at ``path`` (a ``.db`` written by :func:`explore`)."""
    return StudyResult.from_db(path)


def points_of(result: StudyResult) -> Mapping[str, dict[str, Any]]:
    """id -> {params, status, metrics} of every point (for comparisons in tests and scripts)."""
    return {r["id"]: {"params": r["params"], "status": r["status"], "metrics": r["metrics"]} for r in result.rows()}
