"""accelkit's own speed, side by side in one run (main .venv; ZigZag not needed).

    .venv/bin/python bench/speed.py [--presets a,b] [--network resnet50] [--json PATH]

* **Whole-network evaluation**: ``accelkit.evaluate(network, preset)`` (default objective, mapping search
  included) on every packaged preset, each in a fresh subprocess so that wall time and peak RSS are those of one
  evaluation (the subprocess's import time is excluded from the wall time, included in the peak RSS).
* **Candidate throughput**: tilings evaluated per second by the vectorized cost model alone
  (``_Problem.evaluate`` on batches of random tilings of ResNet-50 layers, as large as the search's batches:
  ``search(chunk=...)``, 8,192; the same (L, 8, n) contiguous layout), and per second of whole search
  (``candidates_evaluated`` of the searched mappings / wall time of the evaluation).

The issue's targets (ResNet-50 <= 2 s on 2 cores, peak memory <= 1 GB, >= 1e6 candidate mappings/s) are printed
next to each figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
import accelkit
net, preset = sys.argv[1], sys.argv[2]
t0 = time.perf_counter(); c0 = time.process_time()
ev = accelkit.evaluate(net, preset)
wall = time.perf_counter() - t0; cpu = time.process_time() - c0
searched = {id(r.mapping): r.mapping for r in ev.layers if r.mapping is not None}
print(json.dumps({
    "wall_s": wall, "cpu_s": cpu,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "searches": len(searched),
    "exhaustive": sum(bool(m.info.get("exhaustive")) for m in searched.values()),
    "evaluated": sum(int(m.info.get("candidates_evaluated", 0)) for m in searched.values()),
    "energy_j": sum(r.energy_j for r in ev.layers),
}))
"""


def evaluate_presets(network: str, presets: list[str]) -> list[dict]:
    rows = []
    for p in presets:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, network, p], check=True, capture_output=True, text=True
        ).stdout
        rows.append({"preset": p, **json.loads(out.strip().splitlines()[-1])})
    return rows


def model_throughput(network: str, preset: str, n: int | None = None, repeat: int = 3) -> dict:
    """Tilings/s of the cost model alone on random tilings of the network's distinct MAC layers, in batches of
    ``n`` (default: the batch size the search uses, ``search(chunk=...)``)."""
    import inspect

    import numpy as np

    import accelkit  # noqa: F401
    from accelkit.mapping.dataflows import spatial_candidates
    from accelkit.mapping.search import _Problem, ordered_factorizations, search

    if n is None:
        n = int(inspect.signature(search).parameters["chunk"].default)
    from accelkit.model.pricing import price
    from accelkit.presets import load_accelerator
    from accelkit.workload.ir import LOOP_DIMS
    from accelkit.workload.loader import load_network

    arch = load_accelerator(preset)
    costs = price(arch).unit_costs
    rng = np.random.default_rng(0)
    done = 0
    spent = 0.0
    spent_cpu = 0.0
    seen = set()
    for layer in load_network(network).layers:
        if not layer.op.is_mac or tuple(layer.dims.values()) in seen:
            continue
        seen.add(tuple(layer.dims.values()))
        prob = _Problem(layer, arch, costs)
        cand = spatial_candidates(layer, arch, arch.dataflow)[0]
        s = np.array([cand.factor(d) for d in LOOP_DIMS], dtype=np.float64)
        tables = [ordered_factorizations(int(r), prob.L) for r in -(-prob.dims // s.astype(np.int64))]
        # (L, 8, n) float64, C-contiguous: the layout of the search's own batches
        T = np.ascontiguousarray(np.stack([t[rng.integers(0, len(t), n)].T for t in tables], axis=1), np.float64)
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            prob.evaluate(T, s, "edp")
            spent += time.perf_counter() - t0
            spent_cpu += time.process_time() - c0
            done += n
    return {
        "preset": preset,
        "batch": n,
        "tilings": done,
        "seconds": spent,
        "cpu_seconds": spent_cpu,
        "tilings_per_s": done / spent,
        "tilings_per_cpu_s": done / spent_cpu,
    }


def main(argv: list[str] | None = None) -> int:
    from accelkit.presets import preset_names

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--network", default="resnet50")
    ap.add_argument("--presets", default=None, help="comma-separated (default: every packaged preset)")
    ap.add_argument("--json", default=str(Path(__file__).resolve().parent / "results" / "speed.json"))
    args = ap.parse_args(argv)
    presets = args.presets.split(",") if args.presets else preset_names()
    load0 = os.getloadavg()[0]
    rows = evaluate_presets(args.network, presets)
    thr = [model_throughput(args.network, p) for p in presets]
    print(f"accelkit speed: {args.network}, cores {os.cpu_count()}, load average at start {load0:.2f}")
    print(
        f"{'preset':16s} {'wall s':>7s} {'cpu s':>7s} {'peak MB':>8s} {'searches':>8s} {'exhaust.':>8s}"
        f" {'tilings':>10s} {'search /s':>11s} {'model /s':>11s} {'model/cpu s':>11s}"
        "  targets (<=2 s, <=1024 MB, >=1e6/s)"
    )
    for r, t in zip(rows, thr, strict=True):
        ok = r["wall_s"] <= 2.0 and r["peak_rss_mb"] <= 1024 and t["tilings_per_s"] >= 1e6
        print(
            f"{r['preset']:16s} {r['wall_s']:7.2f} {r['cpu_s']:7.2f} {r['peak_rss_mb']:8.0f} {r['searches']:8d}"
            f" {r['exhaustive']:8d} {r['evaluated']:10,d} {r['evaluated'] / r['wall_s']:11,.0f}"
            f" {t['tilings_per_s']:11,.0f} {t['tilings_per_cpu_s']:11,.0f}  {'met' if ok else 'NOT met'}"
        )
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"network": args.network, "evaluate": rows, "model": thr}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
