"""How far the default (sampled) mapping search lands from the optimum of its space, side by side in one run.

    .venv/bin/python bench/optimality_gap.py [--cases alexnet:eyeriss_v1,resnet50:edge_npu_int8,...]
                                             [--objective edp] [--max-space 2e8] [--json PATH]

For every distinct layer shape of each network:preset case, the mapper runs twice on the same problem:

* **default**: ``search(layer, arch, costs, objective=...)`` as ``accelkit.evaluate`` calls it (exhaustive up to
  200,000 tilings; above that 12,000 sampled tilings and a local search);
* **exhaustive**: the same call with ``exhaustive_limit`` above the space, so every tiling of the soundly pruned
  space is evaluated (the mapping's ``info["space"]``; capacity is then checked per tiling). Loop orders are exact
  in both runs (closed form per level, see ``accelkit.mapping.search``).

Layers whose pruned space exceeds ``--max-space`` are listed as skipped (an exhaustive pass evaluates about
2-3 million tilings per second here). The table gives both objective values, the gap (default / optimum - 1),
both wall times and the tilings each evaluated.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

DEFAULT_CASES = (
    "alexnet:eyeriss_v1,resnet50:edge_npu_int8,mobilenet_v2:edge_npu_int8,resnet8:tinyml_int8,ds_cnn:tinyml_int8,"
    "resnet18:tpu_like"
)


def _cases(spec: str) -> list[tuple[str, str]]:
    """``net:preset,net:preset`` -> pairs, each name checked (an unknown one is an argparse error, exit 2)."""
    from accelkit.presets import preset_names
    from accelkit.workload.zoo import is_zoo_name

    out = []
    for part in spec.split(","):
        net, sep, preset = (x.strip() for x in part.partition(":"))
        if not sep or not net or not preset:
            raise argparse.ArgumentTypeError(f"{part!r} is not network:preset (e.g. alexnet:eyeriss_v1)")
        if not is_zoo_name(net):
            raise argparse.ArgumentTypeError(f"{net!r} is not a zoo network")
        if preset not in preset_names():
            raise argparse.ArgumentTypeError(f"{preset!r} is not a preset ({', '.join(preset_names())})")
        out.append((net, preset))
    return out


def run(cases: list[tuple[str, str]], objective: str, max_space: float) -> list[dict[str, Any]]:
    import accelkit
    from accelkit.mapping.search import search
    from accelkit.model.pricing import price
    from accelkit.workload.zoo import get_network

    rows: list[dict[str, Any]] = []
    for net_name, preset in cases:
        net = get_network(net_name, batch=4) if net_name == "alexnet" else get_network(net_name)
        if net_name == "alexnet":  # the Eyeriss golden's layers: CONV1-5
            upto = [lyr.name for lyr in net.layers].index("conv5") + 1
            net = net.with_layers(net.layers[:upto], outputs=net.layers[upto - 1].outputs)
        arch = accelkit.load_accelerator(preset)
        costs = price(arch).unit_costs
        # the problems evaluate() solves (layers cast to the datapath), on the whole hierarchy
        t0 = time.perf_counter()
        ev = accelkit.evaluate(net, arch, objective=objective, residency="dram")  # type: ignore[arg-type]
        print(f"{net_name}/{preset}: evaluate() {time.perf_counter() - t0:.2f} s", flush=True)
        layers = {lyr.name: lyr for lyr in ev.network.layers}
        seen: set[int] = set()
        for result in ev.layers:
            default = result.mapping
            if default is None or id(default) in seen:  # vector layers; shapes that share a search
                continue
            seen.add(id(default))
            layer = layers[result.name]
            t0 = time.perf_counter()
            default = search(layer, arch, costs, objective=objective)  # type: ignore[arg-type]
            t_default = time.perf_counter() - t0
            row: dict[str, Any] = {
                "case": f"{net_name}/{preset}",
                "layer": layer.name,
                "space": default.info["space"],
                "default": default.info["objective_value"],
                "default_exhaustive": default.info["exhaustive"],
                "default_evaluated": default.info["candidates_evaluated"],
                "default_s": t_default,
            }
            if default.info["exhaustive"]:
                row.update(optimum=row["default"], gap=0.0, optimum_s=0.0, optimum_evaluated=0)
            elif default.info["space"] > max_space:
                row.update(optimum=None, gap=None, skipped=True)
            else:
                t0 = time.perf_counter()
                best = search(layer, arch, costs, objective=objective, exhaustive_limit=10**15, chunk=1 << 15)  # type: ignore[arg-type]
                row.update(
                    optimum=best.info["objective_value"],
                    gap=row["default"] / best.info["objective_value"] - 1,
                    optimum_s=time.perf_counter() - t0,
                    optimum_evaluated=best.info["candidates_evaluated"],
                )
            rows.append(row)
            _print_row(row)
    return rows


def _print_row(r: dict[str, Any]) -> None:
    if r.get("skipped"):
        print(f"{r['case']:28s} {r['layer']:26s} space {r['space']:9.3g}  skipped (above --max-space)", flush=True)
        return
    how = "exhaustive" if r["default_exhaustive"] else "sampled"
    print(
        f"{r['case']:28s} {r['layer']:26s} space {r['space']:9.3g}  default ({how}) {r['default']:.8g} "
        f"in {r['default_s']:.2f} s  optimum {r['optimum']:.8g} in {r['optimum_s']:.1f} s  gap {r['gap']:+.4%}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default=DEFAULT_CASES, type=_cases, help="network:preset pairs, comma separated")
    ap.add_argument("--objective", default="edp", choices=["energy", "latency", "edp"])
    ap.add_argument("--max-space", type=float, default=2e8)
    ap.add_argument("--json", type=Path, default=Path(__file__).with_name("results") / "optimality_gap.json")
    args = ap.parse_args()
    rows = run(args.cases, args.objective, args.max_space)
    done = [r for r in rows if r.get("gap") is not None]
    sampled = [r for r in done if not r["default_exhaustive"]]
    at_optimum = sum(1 for r in sampled if r["gap"] <= 1e-9)
    worst = max((r["gap"] for r in sampled), default=0.0)
    print(
        f"\n{len(rows)} distinct layers; {len(done) - len(sampled)} searched exhaustively by default; of the "
        f"{len(sampled)} sampled ones checked against their exhaustive optimum, {at_optimum} found it exactly, "
        f"worst gap {worst:+.4%}; {len(rows) - len(done)} skipped (space above {args.max_space:g})"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"objective": args.objective, "rows": rows}, indent=1))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
