"""Explorer speed: whole-network design points per second on an MLPerf Tiny model, 1 -> N workers, side by side.

    .venv/bin/python bench/explore_speed.py                 # KWS on tinyml_int8, 6,000 points, 1 and 2 workers
    .venv/bin/python bench/explore_speed.py --points 1200 --workers 1 2 --executor process serial
    .venv/bin/python bench/explore_speed.py --json          # machine-readable (also written to bench/results/)

Every point is a whole-network evaluation (all 12 layers of DS-CNN mapped, counted and priced, totals, memory,
accuracy, constraints) written to the SQLite store by the parent process, as in `accelkit explore`. The sweep is a
designer's: L2 size x supply voltage (both change the mapping search) x inference rate x power gating on/off x
assumed activation density (none of which does), so the mapping searches are shared across points, which is what
the mapping cache is for. Wall time includes starting the worker processes and every mapping search.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent


def study(points: int) -> dict[str, Any]:
    glb, volts, pg, density = 2, 3, 2, 5
    rates = max(1, points // (glb * volts * pg * density))
    return {
        "name": "bench-explore-kws",
        "network": {"zoo": "mlperf_tiny_kws"},
        "accelerator": "tinyml_int8",
        "evaluate": {"objective": "edp", "inference_rate": 10},
        "blocks": [
            {"kind": "zero_gating", "operands": ["input"], "activation_density": 0.5},
            {"kind": "voltage_scaling", "voltage": "1.0 V"},
            {"kind": "power_gating"},
        ],
        "explore": {
            "axes": {
                "accelerator.memory.glb.capacity": ["256 KiB", "512 KiB"],
                "blocks.voltage_scaling.voltage": {"start": 0.8, "stop": 1.0, "step": 0.1, "unit": "V"},
                "evaluate.inference_rate": {"start": 1, "stop": 1000, "num": rates, "scale": "log"},
                "blocks.power_gating": "on_off",
                "blocks.zero_gating.activation_density": [0.3, 0.4, 0.5, 0.6, 0.7],
            },
            "constraints": ["average_power_w <= 1 mW", "meets_rate"],
            "objectives": ["energy_per_inference_j", "average_power_w"],
        },
    }


def run(executor: str, workers: int, points: int, folder: Path) -> dict[str, Any]:
    import accelkit

    path = folder / f"bench_{executor}_{workers}.yaml"
    path.write_text(yaml.safe_dump(study(points), sort_keys=False))
    t0 = time.perf_counter()
    res = accelkit.explore(path, executor=executor, workers=workers, fresh=True)
    wall = time.perf_counter() - t0
    n = res.run["evaluated"]
    s = res.summary()
    return {
        "executor": executor,
        "workers": workers if executor != "serial" else 1,
        "points": n,
        "failed": s["failed"],
        "wall_s": wall,
        "points_per_s": n / wall,
        "points_per_min": n / wall * 60,
        "front": s["front"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=6000, help="design points per run (default 6000)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="process-pool sizes (default 1 2)")
    ap.add_argument("--executor", nargs="+", default=["process"], help="executors to time (default process)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for ex in args.executor:
            for w in args.workers if ex != "serial" else [1]:
                rows.append(run(ex, w, args.points, Path(tmp)))
    base = next((r for r in rows if r["executor"] == "process" and r["workers"] == 1), rows[0])
    for r in rows:
        r["speedup_vs_1_worker"] = r["points_per_s"] / base["points_per_s"]
    info = {
        "benchmark": "explore_speed",
        "network": "mlperf_tiny_kws",
        "accelerator": "tinyml_int8",
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "goal_points_per_min": 10_000,
        "runs": rows,
    }
    out = HERE / "results" / "explore_speed.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(info, indent=2) + "\n")
    if args.json:
        print(json.dumps(info, indent=2))
        return
    print(f"explore speed: MLPerf Tiny KWS (DS-CNN, 12 layers) on tinyml_int8, {os.cpu_count()} cores")
    print(
        f"{'executor':<9} {'workers':>7} {'points':>7} {'wall s':>8} {'points/s':>9} {'points/min':>11} {'speedup':>8}"
    )
    for r in rows:
        print(
            f"{r['executor']:<9} {r['workers']:>7} {r['points']:>7} {r['wall_s']:>8.2f} {r['points_per_s']:>9.1f} "
            f"{r['points_per_min']:>11,.0f} {r['speedup_vs_1_worker']:>7.2f}x"
        )
    print(f"goal: >= 10,000 points/min; written to {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
