"""Executors: where design points are evaluated. One interface, one registry (``EXECUTORS``).

``run(job, chunks)`` takes chunks of points (consecutive points that share mapping-relevant parameters, see
:mod:`accelkit.explore.space`) and yields one :class:`~accelkit.explore.evaluator.Outcome` per point as it
finishes, in any order; the caller (the parent process) writes each to the store at once.

* ``serial`` — in this process.
* ``process`` (default) — a pool of worker processes (all cores by default), each with its own mapping cache.
  Chunks of one mapping group go to the worker that already searched those mappings when it is free (affinity),
  and each point's result is sent back as soon as it is known. A worker that dies (out of memory, a crash in a
  native library) fails only the point it was on; the rest of its chunk is re-queued and a new worker started.
  Workers exit by themselves when the parent process disappears (e.g. killed).
* ``dask`` — a Dask distributed cluster: an existing scheduler (``address``, e.g. ``tcp://host:8786``) or a
  ``LocalCluster`` of ``local_workers`` processes started for the sweep. accelkit must be importable on workers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from accelkit.errors import AccelkitError
from accelkit.explore.evaluator import Job, Outcome, iter_chunk, run_chunk
from accelkit.registry import Registry


@dataclass
class Chunk:
    """Consecutive points (id, params) sent to one worker as one task; ``group`` is their mapping group."""

    id: int
    group: str
    points: list[tuple[str, dict[str, Any]]]


class Executor:
    """Base of every executor; a context manager (start workers on enter, stop them on exit)."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    #: points per chunk that suit this executor (small chunks keep results streaming; large ones amortize IPC)
    chunk_size: ClassVar[int] = 32

    def __init__(self, workers: int | None = None, **options: Any) -> None:
        self.workers = workers or 1

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        pass

    def run(self, job: Job, chunks: Iterable[Chunk]) -> Iterator[Outcome]:
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"


EXECUTORS: Registry[type[Executor]] = Registry("executor", "accelkit.executors")


@EXECUTORS.register("serial")
class SerialExecutor(Executor):
    name = "serial"
    summary = "in this process, one point after the other"
    chunk_size = 64

    def __init__(self, workers: int | None = None, **options: Any) -> None:
        super().__init__(1)

    def run(self, job: Job, chunks: Iterable[Chunk]) -> Iterator[Outcome]:
        for chunk in chunks:
            yield from iter_chunk(job, chunk.points)


# ---- local process pool ----------------------------------------------------------------------------------------------
def _worker_main(wid: int, inbox: Any, outbox: Any, parent: int) -> None:
    """A pool worker: evaluate the chunks it is sent, report each point at once; exit when the parent is gone."""
    import accelkit.model.evaluate  # noqa: F401  (import before the first chunk, not during it)

    job: Job | None = None
    outbox.put(("ready", wid, None, None))
    while True:
        try:
            msg = inbox.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:
                outbox.cancel_join_thread()
                os._exit(0)
            continue
        if msg is None:
            return
        kind, payload = msg
        if kind == "job":
            job = payload
            continue
        chunk_id, points = payload
        for outcome in iter_chunk(job, points):  # type: ignore[arg-type]
            if os.getppid() != parent:  # the parent was killed: nobody will read this, stop now
                outbox.cancel_join_thread()
                os._exit(0)
            outbox.put(("point", wid, chunk_id, outcome))
        outbox.put(("done", wid, chunk_id, None))


@EXECUTORS.register("process")
class ProcessExecutor(Executor):
    name = "process"
    summary = "a pool of local worker processes (default: one per core), mapping caches kept per worker"
    chunk_size = 32
    #: chunks queued per worker beyond the one it is on (keeps it busy while the parent catches up)
    queued_per_worker = 1
    #: deaths of workers tolerated per worker before the sweep stops
    max_deaths_per_worker = 3

    def __init__(self, workers: int | None = None, **options: Any) -> None:
        super().__init__(workers or os.cpu_count() or 1)
        if self.workers < 1:
            raise AccelkitError(f"the process pool needs at least 1 worker, got {self.workers}")
        import multiprocessing as mp

        self._ctx = mp.get_context(options.get("start_method") or "spawn")
        self._procs: dict[int, Any] = {}
        self._inboxes: dict[int, Any] = {}
        self._outbox: Any = None
        self._next_wid = 0
        self._deaths = 0

    def __enter__(self) -> ProcessExecutor:
        self._outbox = self._ctx.Queue()
        for _ in range(self.workers):
            self._start_worker()
        return self

    def _start_worker(self) -> int:
        wid = self._next_wid
        self._next_wid += 1
        inbox = self._ctx.Queue()
        proc = self._ctx.Process(
            target=_worker_main, args=(wid, inbox, self._outbox, os.getpid()), daemon=True, name=f"accelkit-{wid}"
        )
        proc.start()
        self._procs[wid] = proc
        self._inboxes[wid] = inbox
        return wid

    def close(self) -> None:
        for wid, inbox in self._inboxes.items():
            if self._procs[wid].is_alive():
                with contextlib.suppress(OSError, ValueError):
                    inbox.put(None)
        for proc in self._procs.values():
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=2)
        self._procs.clear()
        self._inboxes.clear()

    def run(self, job: Job, chunks: Iterable[Chunk]) -> Iterator[Outcome]:
        source = iter(chunks)
        exhausted = False
        pending: deque[Chunk] = deque()
        inflight: dict[int, dict[int, Chunk]] = {w: {} for w in self._procs}
        remaining: dict[int, list[str]] = {}  # chunk id -> point ids not reported yet, in order
        warm: dict[int, list[str]] = {w: [] for w in self._procs}  # mapping groups each worker has searched
        job_sent: set[int] = set()
        lookahead = 8 * self.workers + 16

        def refill() -> None:
            nonlocal exhausted
            while not exhausted and len(pending) < lookahead:
                try:
                    pending.append(next(source))
                except StopIteration:
                    exhausted = True

        def pick(w: int) -> Chunk:
            mine = set(warm[w][-64:])
            others = {g for v, gs in warm.items() if v != w for g in gs[-64:]}
            fallback = None
            for i, c in enumerate(pending):
                if i >= 256:
                    break
                if c.group in mine:
                    del pending[i]
                    return c
                if fallback is None and c.group not in others:
                    fallback = i
            i = fallback if fallback is not None else 0
            c = pending[i]
            del pending[i]
            return c

        def dispatch() -> None:
            for w in list(inflight):
                while pending and len(inflight[w]) <= self.queued_per_worker:
                    c = pick(w)
                    if w not in job_sent:
                        self._inboxes[w].put(("job", job))
                        job_sent.add(w)
                    self._inboxes[w].put(("chunk", (c.id, c.points)))
                    inflight[w][c.id] = c
                    remaining[c.id] = [pid for pid, _ in c.points]
                    if c.group not in warm[w][-64:]:
                        warm[w].append(c.group)
                        del warm[w][:-256]

        while True:
            refill()
            dispatch()
            if exhausted and not pending and not any(inflight.values()):
                return
            try:
                kind, w, chunk_id, outcome = self._outbox.get(timeout=0.5)
            except queue.Empty:
                yield from self._reap(inflight, remaining, warm, pending, job_sent)
                continue
            if kind == "point":
                ids = remaining.get(chunk_id)
                if ids and outcome.id in ids:
                    ids.remove(outcome.id)
                    yield outcome
            elif kind == "done":
                inflight.get(w, {}).pop(chunk_id, None)
                remaining.pop(chunk_id, None)

    def _reap(
        self,
        inflight: dict[int, dict[int, Chunk]],
        remaining: dict[int, list[str]],
        warm: dict[int, list[str]],
        pending: deque[Chunk],
        job_sent: set[int],
    ) -> Iterator[Outcome]:
        """Replace dead workers: the point a dead worker was on fails, its other points go back to the queue."""
        for w, proc in list(self._procs.items()):
            if proc.is_alive():
                continue
            code = proc.exitcode
            self._deaths += 1
            chunks = list(inflight.pop(w, {}).values())
            warm.pop(w, None)
            job_sent.discard(w)
            del self._procs[w]
            del self._inboxes[w]
            for k, c in enumerate(chunks):
                ids = remaining.pop(c.id, [])
                if not ids:
                    continue
                rest = ids
                if k == 0:  # the chunk it was working on: the first unreported point is the one that killed it
                    yield Outcome(ids[0], "failed", None, f"worker process died (exit code {code})", 0.0, f"pool:{w}")
                    rest = ids[1:]
                if rest:
                    keep = set(rest)
                    pending.appendleft(Chunk(c.id, c.group, [p for p in c.points if p[0] in keep]))
            if self._deaths > self.max_deaths_per_worker * self.workers:
                raise AccelkitError(f"{self._deaths} worker processes died (last exit code {code}); stopping")
            nw = self._start_worker()
            inflight[nw] = {}
            warm[nw] = []


# ---- Dask ------------------------------------------------------------------------------------------------------------
@EXECUTORS.register("dask")
class DaskExecutor(Executor):
    name = "dask"
    summary = "a Dask distributed cluster: an existing scheduler (--dask ADDR) or a LocalCluster (--dask-local N)"
    chunk_size = 64

    def __init__(
        self,
        workers: int | None = None,
        *,
        address: str | None = None,
        local_workers: int | None = None,
        timeout: float = 10.0,
        **options: Any,
    ) -> None:
        super().__init__(workers)
        self.address = address
        self.local_workers = local_workers or (workers if address is None else None) or os.cpu_count() or 1
        self.timeout = timeout
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskExecutor:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - a dependency
            raise AccelkitError("the dask executor needs dask[distributed]: pip install 'dask[distributed]'") from exc
        for name in ("distributed", "distributed.scheduler", "distributed.nanny", "distributed.worker"):
            logging.getLogger(name).setLevel(logging.WARNING)
        if self.address:
            try:
                self._client = Client(self.address, timeout=self.timeout)
            except (OSError, TimeoutError, ValueError) as exc:
                raise AccelkitError(
                    f"cannot reach the Dask scheduler at {self.address!r} within {self.timeout:g} s "
                    f"({type(exc).__name__}: {exc}); is `dask scheduler` running there and the port open?"
                ) from None
        else:
            self._cluster = LocalCluster(
                n_workers=self.local_workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.WARNING,
            )
            self._client = Client(self._cluster)
        info = self._client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))
        return self

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def describe(self) -> str:
        where = self.address or "LocalCluster"
        return f"dask at {where} ({self.workers} worker thread{'s' if self.workers != 1 else ''})"

    def run(self, job: Job, chunks: Iterable[Chunk]) -> Iterator[Outcome]:
        from distributed import as_completed

        client = self._client
        job_future = client.scatter(job, broadcast=True)
        source = iter(chunks)
        limit = 2 * self.workers + 2
        by_future: dict[Any, Chunk] = {}

        def submit() -> Any:
            c = next(source, None)
            if c is None:
                return None
            f = client.submit(run_chunk, job_future, c.points, pure=False)
            by_future[f] = c
            return f

        first = [f for f in (submit() for _ in range(limit)) if f is not None]
        if not first:
            return
        ac = as_completed(first)
        for fut in ac:
            c = by_future.pop(fut)
            try:
                outcomes = fut.result()
            except Exception as exc:  # the task died with its worker (KilledWorker) or could not run
                msg = f"dask task failed: {type(exc).__name__}: {exc}"
                outcomes = [Outcome(pid, "failed", None, msg, 0.0, "dask") for pid, _ in c.points]
            yield from outcomes
            nxt = submit()
            if nxt is not None:
                ac.add(nxt)
