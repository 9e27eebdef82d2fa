"""Mapping-quality replay: every mapping search of whole-network evaluations, recorded, and two records compared.

    .venv/bin/python bench/quality_replay.py record OUT.json                 # main .venv: zoo networks x presets
    bench/.venv/bin/python bench/quality_replay.py record OUT.json --zigzag  # + ResNet-18 on ZigZag's tpu_like
    .venv/bin/python bench/quality_replay.py compare OLD.json NEW.json

``record`` runs ``accelkit.evaluate`` for ResNet-50 and MobileNet-v2 on every packaged preset, objectives EDP and
energy (and with ``--zigzag``, ZigZag's shipped ``resnet18.onnx`` on its translated ``tpu_like`` as
``zigzag_compare.py`` runs it, ``residency="dram"``, energy and EDP), and stores per search: the layer, the
objective value of the chosen mapping, whether the search was exhaustive and how many tilings it evaluated.
To record an older commit, check it out elsewhere (``git worktree add /tmp/old <commit>``) and put its ``src``
first: ``PYTHONPATH=/tmp/old/src .venv/bin/python bench/quality_replay.py record old.json`` (the accelkit
imported is printed). ``compare`` lists every search whose objective is worse (or better) in NEW beyond a
relative 1e-9 and exits 1 if any is worse.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

NETWORKS = ("resnet50", "mobilenet_v2")
OBJECTIVES = ("edp", "energy")


def _runs(zigzag: bool) -> list[tuple[str, Any, Any, dict[str, Any]]]:
    from accelkit.presets import preset_names

    runs: list[tuple[str, Any, Any, dict[str, Any]]] = [
        (f"{net}/{preset}/{obj}", net, preset, {"objective": obj})
        for net in NETWORKS
        for preset in preset_names()
        for obj in OBJECTIVES
    ]
    if zigzag:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import zigzag_compare as zc

        spec, _ = zc.translated("tpu_like", "tpu_like")
        for obj in ("energy", "edp"):
            runs.append(
                (f"zz_resnet18/tpu_like/{obj}", str(zc.resnet18_path()), spec, {"objective": obj, "residency": "dram"})
            )
    return runs


def record(out: str, zigzag: bool) -> int:
    import importlib

    import accelkit

    ev_mod = importlib.import_module("accelkit.model.evaluate")

    print(f"accelkit from {accelkit.__file__}")
    found: list[dict[str, Any]] = []
    real = ev_mod.search
    current = {"run": ""}

    def spy(layer, arch, costs, **kw):  # type: ignore[no-untyped-def]
        m = real(layer, arch, costs, **kw)
        found.append(
            {
                "run": current["run"],
                "layer": layer.name,
                "value": float(m.info["objective_value"]),
                "exhaustive": bool(m.info.get("exhaustive")),
                "evaluated": int(m.info.get("candidates_evaluated", 0)),
            }
        )
        return m

    ev_mod.search = spy
    t0 = time.perf_counter()
    try:
        for name, net, hw, kw in _runs(zigzag):
            current["run"] = name
            accelkit.evaluate(net, hw, **kw)
    finally:
        ev_mod.search = real
    Path(out).write_text(json.dumps(found, indent=0))
    print(f"{len(found)} searches in {time.perf_counter() - t0:.1f} s -> {out}")
    return 0


def compare(old_path: str, new_path: str, rtol: float = 1e-9) -> int:
    old = {(r["run"], r["layer"]): r for r in json.loads(Path(old_path).read_text())}
    new = {(r["run"], r["layer"]): r for r in json.loads(Path(new_path).read_text())}
    common = sorted(set(old) & set(new))
    worse = [k for k in common if new[k]["value"] > old[k]["value"] * (1 + rtol)]
    better = [k for k in common if new[k]["value"] < old[k]["value"] * (1 - rtol)]
    for label, keys in (("WORSE", worse), ("better", better)):
        for k in keys:
            o, n = old[k]["value"], new[k]["value"]
            print(f"{label:6s} {k[0]:40s} {k[1]:45s} {o:.6e} -> {n:.6e} ({n / o:.6f})")
    runs = sorted({k[0] for k in common})
    ex_o = sum(old[k]["exhaustive"] for k in common)
    ex_n = sum(new[k]["exhaustive"] for k in common)
    ev_o = sum(old[k]["evaluated"] for k in common)
    ev_n = sum(new[k]["evaluated"] for k in common)
    print(
        f"{len(common)} searches in {len(runs)} runs (only in old: {len(set(old) - set(new))}, only in new: "
        f"{len(set(new) - set(old))}): worse {len(worse)}, better {len(better)}, "
        f"equal {len(common) - len(worse) - len(better)}; "
        f"exhaustive {ex_o} -> {ex_n}; tilings evaluated {ev_o:,} -> {ev_n:,}"
    )
    return 1 if worse else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("out")
    r.add_argument("--zigzag", action="store_true", help="also ResNet-18 on ZigZag's tpu_like (bench .venv)")
    c = sub.add_parser("compare")
    c.add_argument("old")
    c.add_argument("new")
    args = ap.parse_args(argv)
    if args.cmd == "record":
        return record(args.out, args.zigzag)
    return compare(args.old, args.new)


if __name__ == "__main__":
    raise SystemExit(main())
