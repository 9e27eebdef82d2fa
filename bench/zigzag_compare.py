"""accelkit vs ZigZag (zigzag-dse 3.9.1), side by side, on ZigZag's own shipped inputs.

    bash bench/setup.sh && bench/.venv/bin/python bench/zigzag_compare.py [--layers N]

Two measurements (see bench/README.md for what they mean and the numbers measured):

* **Agreement** — ResNet-18 conv2_x (``/layer1/layer1.0/conv1/Conv``: 3x3, K=C=64, 56x56, pad 1) on ZigZag's
  ``tpu_like`` and ``eyeriss_like`` hardware: ZigZag (LOMA, lpf 6) picks its minimum-energy mapping; the same
  mapping is evaluated with accelkit's reuse model and pricing (``bench/zigzag_bridge.py``). Energy, cycles and the
  energy per memory level and operand of both tools, side by side.
* **Speed and quality** — the whole shipped ``resnet18.onnx`` on ``tpu_like``: ZigZag's default search (the API
  as peers.md ran it: LOMA, lpf 6, ``opt="latency"``) against ``accelkit.evaluate(onnx, translated tpu_like,
  objective="energy", residency="dram")``, in one process, one after the other. Wall times, mappings evaluated,
  and per-layer energies of each tool's chosen mappings, each also under the other tool's model. ZigZag's
  minimum-energy mapping per layer is captured from the same run (every cost-model evaluation is observed), so
  its energy-optimal picks are compared with accelkit's energy-optimal picks.

Everything printed is also written to ``bench/results/zigzag_compare.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import importlib.metadata as md
import inspect
import json
import logging
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import yaml  # noqa: E402
import zigzag_bridge as zb  # noqa: E402

CONV2X = "/layer1/layer1.0/conv1/Conv"
AGREEMENT_HW = (("tpu_like", "tpu_like"), ("eyeriss_like", "default"))
SPEED_HW = ("tpu_like", "tpu_like")
PJ = 1e12


# ---------------------------------------------------------------------------------------------------------------
# ZigZag's shipped inputs
def zigzag_dir() -> Path:
    import zigzag

    return Path(zigzag.__file__).resolve().parent


def zz_paths(hw: str, mapping: str) -> tuple[Path, Path]:
    base = zigzag_dir() / "inputs"
    return base / "hardware" / f"{hw}.yaml", base / "mapping" / f"{mapping}.yaml"


def resnet18_path() -> Path:
    return zigzag_dir() / "inputs" / "workload" / "resnet18.onnx"


def translated(hw: str, mapping: str) -> tuple[dict[str, Any], list[str]]:
    hw_path, map_path = zz_paths(hw, mapping)
    with open(hw_path) as f:
        hw_yaml = yaml.safe_load(f)
    with open(map_path) as f:
        map_yaml = yaml.safe_load(f)
    spec, notes = zb.translate_hardware(hw_yaml, map_yaml)
    # ZigZag prices no clock network (as it prices no NoC, adder tree or leakage, which the bridge zeroes): since
    # accelkit's baseline prices one, zero it here so that both tools price the same actions
    spec.setdefault("energy_overrides", {})["clock"] = "0 J"
    return spec, notes


def onnx_submodel(node_names: list[str] | None = None, first_mac_layers: int | None = None) -> Any:
    """A ModelProto holding only some Conv/Gemm nodes of the shipped resnet18.onnx (shapes kept, weights absent
    as in the shipped file, whose external weight data is not in the wheel)."""
    import onnx
    from onnx import helper

    src = onnx.load(str(resnet18_path()), load_external_data=False)
    macs = [n for n in src.graph.node if n.op_type in ("Conv", "Gemm")]
    nodes = [n for n in macs if n.name in node_names] if node_names is not None else macs[:first_mac_layers]
    vi = {v.name: v for v in [*src.graph.value_info, *src.graph.input, *src.graph.output]}
    inits = {t.name: t for t in src.graph.initializer}
    used = {i for n in nodes for i in n.input}
    inputs = [vi[n.input[0]] for n in nodes]
    outputs = [vi[n.output[0]] for n in nodes]
    # unique by name, order kept
    inputs = list({v.name: v for v in inputs}.values())
    graph = helper.make_graph(
        nodes,
        "resnet18_part",
        inputs,
        outputs,
        initializer=[inits[k] for k in inits if k in used],
        value_info=[v for k, v in vi.items() if k not in {x.name for x in inputs + outputs}],
    )
    return helper.make_model(graph, opset_imports=src.opset_import, ir_version=src.ir_version)


# ---------------------------------------------------------------------------------------------------------------
# ZigZag runs with every cost-model evaluation observed
class CmeCapture(contextlib.AbstractContextManager):
    """Counts ZigZag's cost-model evaluations per layer and keeps the minimum-energy and minimum-latency ones
    (ties broken as ZigZag's MinimalEnergyStage / MinimalLatencyStage do)."""

    def __init__(self) -> None:
        self.count: dict[str, int] = {}
        self.best_energy: dict[str, Any] = {}
        self.best_latency: dict[str, Any] = {}

    def __enter__(self) -> CmeCapture:
        from zigzag.stages.evaluation.cost_model_evaluation import CostModelStage

        self._cls = CostModelStage
        self._orig = CostModelStage.run
        cap = self
        orig = self._orig

        def run(stage_self):  # type: ignore[no-untyped-def]
            for cme, extra in orig(stage_self):
                cap.record(cme)
                yield cme, extra

        CostModelStage.run = run
        return self

    def __exit__(self, *exc: object) -> None:
        self._cls.run = self._orig

    def record(self, cme: Any) -> None:
        name = cme.layer.name
        self.count[name] = self.count.get(name, 0) + 1
        e, lat = cme.energy_total, cme.latency_total2
        b = self.best_energy.get(name)
        if b is None or e < b.energy_total or (e == b.energy_total and lat < b.latency_total2):
            self.best_energy[name] = cme
        b = self.best_latency.get(name)
        if b is None or lat < b.latency_total2 or (lat == b.latency_total2 and e < b.energy_total):
            self.best_latency[name] = cme

    @property
    def total(self) -> int:
        return sum(self.count.values())


def run_zigzag(workload: Any, hw: str, mapping: str, *, opt: str, lpf: int, dump: str) -> dict[str, Any]:
    from zigzag.api import get_hardware_performance_zigzag

    hw_path, map_path = zz_paths(hw, mapping)
    with CmeCapture() as cap:
        t0 = time.perf_counter()
        energy, latency, cmes = get_hardware_performance_zigzag(
            workload,
            str(hw_path),
            str(map_path),
            opt=opt,
            lpf_limit=lpf,
            dump_folder=dump,
            loma_show_progress_bar=False,
        )
        wall = time.perf_counter() - t0
    chosen = {c.layer.name: c for c, _ in cmes[0][1]}
    return {
        "energy_pj": float(energy),
        "latency_cycles": float(latency),
        "wall_s": wall,
        "evaluations": cap.total,
        "evaluations_per_layer": dict(cap.count),
        "chosen": chosen,  # what the API returned (opt)
        "best_energy": cap.best_energy,
        "best_latency": cap.best_latency,
        "layer_order": [c.layer.name for c, _ in cmes[0][1]],
    }


# ---------------------------------------------------------------------------------------------------------------
# accelkit at a ZigZag mapping
def accelkit_at_cme(layer: Any, arch: Any, costs: Any, cme: Any) -> dict[str, Any]:
    from accelkit.mapping import analyze

    nest = zb.nest_from_cme(cme, layer.dims, list(arch.pe_array.row_dims or ()))
    counts = zb.counts_at_nest(layer, arch, nest)
    res = zb.price_counts(counts, arch, costs)
    plain = zb.plain_mapping(arch, nest)
    plain_ok: bool | None = None
    if plain is not None:
        plain_ok = zb.same_counts(counts, analyze(layer, arch, plain))
    return {"nest": nest, "result": res, "plain_mapping": plain, "plain_mapping_matches": plain_ok}


def zigzag_at(cme: Any, arch: Any, mapping: Any) -> dict[str, Any]:
    """ZigZag's cost model at accelkit's mapping (None values + the reason when it cannot be expressed)."""
    z, why = zb.zigzag_at_mapping(cme, arch, mapping)
    if z is None:
        return {"energy_pj": None, "latency_cycles": None, "why_not": why}
    return {"energy_pj": float(z.energy_total), "latency_cycles": float(z.latency_total2), "why_not": None}


def accelkit_at_mapping(layer: Any, arch: Any, costs: Any, mapping: Any) -> zb.AccelkitResult:
    from accelkit.mapping import analyze

    return zb.price_counts(analyze(layer, arch, mapping), arch, costs)


# ---------------------------------------------------------------------------------------------------------------
# causes of disagreement that can be read off the inputs
def convention_notes(layer: Any, arch: Any, cme: Any, nest: zb.LoopNest) -> list[str]:
    out: list[str] = []
    # padding: accelkit reads the padded input extent, ZigZag the tensor itself
    top, left, bottom, right = layer.padding
    if any(layer.padding):
        h_in = layer.input_rows - top - bottom
        w_in = layer.input_cols - left - right
        out.append(
            f"padding {layer.padding}: accelkit moves the padded {layer.input_rows}x{layer.input_cols} input window, "
            f"ZigZag the {h_in}x{w_in} tensor (x{layer.input_rows * layer.input_cols / (h_in * w_in):.3f} on the "
            "input's outermost transfers)"
        )
    # strided windows that skip pixels: accelkit's input tile is the bounding box of the window
    for axis, (dim, kdim) in enumerate(((zb.LoopDim.P, zb.LoopDim.R), (zb.LoopDim.Q, zb.LoopDim.S))):
        span = (layer.dims[kdim] - 1) * layer.dilation[axis] + 1
        if layer.stride[axis] > span:
            out.append(
                f"stride {layer.stride[axis]} > window {span} along {dim}: the windows skip input pixels; ZigZag "
                "counts the pixels an input tile touches, accelkit the tile's bounding box "
                f"((P_t-1)*{layer.stride[axis]}+{span} rows), up to x{layer.stride[axis] / span:.0f} per axis "
                "for large tiles"
            )
    # sliding-window reuse: accelkit keeps the overlap of consecutive input tiles when a P/Q loop steps them
    from accelkit.mapping.reuse import relevant_dims

    rel = relevant_dims(layer, zb.Operand.INPUT)
    for name, upto in nest.bounds[zb.Operand.INPUT][:-1]:
        step = next(((d, f) for d, f in nest.loops[upto:] if d in rel), None)
        if step is None or step[0] not in (zb.LoopDim.P, zb.LoopDim.Q):
            continue
        axis = 0 if step[0] is zb.LoopDim.P else 1
        kdim = zb.LoopDim.R if axis == 0 else zb.LoopDim.S
        if layer.dims[kdim] > 1 and layer.stride[axis] < (layer.dims[kdim] - 1) * layer.dilation[axis] + 1:
            out.append(
                f"{name} input: the loop that steps its tile is {step[0]}{step[1]}; accelkit keeps the overlapping "
                "rows/columns of consecutive windows (sliding-window reuse) and loads only the new ones, ZigZag "
                "reloads the whole tile"
            )
    # operands that stay on a register's output for several MACs (ZigZag: no access)
    st = cme.temporal_mapping.mac_level_data_stationary_cycle
    for op, f in st.items():
        o = zb.ZZ_LAYER_OP[str(op)]
        if f > 1 and o is not zb.Operand.OUTPUT:
            mem = cme.accelerator.mem_hierarchy_dict[cme.layer.memory_operand_links.layer_to_mem_op(op)][0].name
            out.append(
                f"{mem} {o.value}: the innermost loops ({f} iterations) do not index it, so ZigZag counts one read per "
                f"{f} MACs (access_same_data_considered_as_no_access); accelkit counts one read per MAC"
            )
    # transfers narrower than a port's minimum chunk
    prec = {str(k): int(v) for k, v in cme.layer.operand_precision.data.items()}
    for lv in arch.levels:
        if lv.per_pe:
            for o in lv.operands:
                bits = prec["O"] if o is zb.Operand.OUTPUT else prec["I" if o is zb.Operand.INPUT else "W"]
                if bits < lv.width_bits:
                    out.append(
                        f"{lv.name} {o.value}: one {bits}-bit element per access of a {lv.width_bits:g}-bit port; "
                        f"ZigZag charges the whole access, accelkit {bits}/{lv.width_bits:g} of it"
                    )
    # final outputs kept at the accumulator width on chip
    out_levels = [lv.name for lv in arch.levels if zb.Operand.OUTPUT in lv.operands and lv.kind != "dram"]
    if prec.get("O_final", prec["O"]) < prec["O"] and out_levels:
        out.append(
            f"final outputs: ZigZag stores and reads complete sums at {prec['O_final']} b in on-chip levels with no "
            f"reduction loop above them; accelkit keeps {prec['O']} b (accumulator width) everywhere but DRAM"
        )
    out.append(
        "partial sums: ZigZag reads the accumulator before the first MAC of every output (one extra read per "
        "output per PE); accelkit does not read it on first touch"
    )
    out.extend(nest.notes)
    return out


# ---------------------------------------------------------------------------------------------------------------
# printing
def short(name: str) -> str:
    """'/layer2/layer2.0/downsample/downsample.0/Conv' -> 'layer2.0/downsample'."""
    parts = [x for x in name.strip("/").split("/") if x not in ("Conv", "Gemm")]
    if len(parts) >= 2 and parts[1].startswith(parts[0]):
        parts = parts[1:]
    if parts and parts[-1].startswith("downsample."):
        parts = parts[:-1]
    return "/".join(parts)


def _fmt(x: float | None, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if x == 0:
        return "0"
    return f"{x:.{digits}e}" if abs(x) >= 1e6 or abs(x) < 1e-2 else f"{x:,.1f}"


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def _r(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


class Printer:
    def __init__(self) -> None:
        try:
            from rich.console import Console

            self.console: Any = Console(width=200)
        except ImportError:  # pragma: no cover
            self.console = None

    def table(self, title: str, header: list[str], rows: list[list[str]]) -> None:
        if self.console is not None:
            from rich.table import Table

            t = Table(title=title, title_justify="left", show_lines=False)
            for i, h in enumerate(header):
                t.add_column(h, justify="left" if i == 0 else "right", overflow="fold")
            for r in rows:
                t.add_row(*r)
            self.console.print(t)
        else:
            print(f"\n{title}")
            print(" | ".join(header))
            for r in rows:
                print(" | ".join(r))

    def text(self, s: str) -> None:
        if self.console is not None:
            self.console.print(s, highlight=False, markup=False)
        else:
            print(s)


# ---------------------------------------------------------------------------------------------------------------
def agreement(hw: str, mapping: str, lpf: int, dump: str) -> dict[str, Any]:
    import accelkit
    from accelkit.mapping.search import search
    from accelkit.model.pricing import price
    from accelkit.presets import load_accelerator

    spec, notes = translated(hw, mapping)
    arch = load_accelerator(spec)
    costs = price(arch).unit_costs
    zz = run_zigzag(onnx_submodel([CONV2X]), hw, mapping, opt="energy", lpf=lpf, dump=dump)
    cme = zz["best_energy"][CONV2X]
    net = accelkit.load_network(resnet18_path())
    layer = zb.datapath_layer(next(x for x in net.layers if x.name == CONV2X), arch)
    at = accelkit_at_cme(layer, arch, costs, cme)
    res: zb.AccelkitResult = at["result"]
    own_mapping = search(layer, arch, costs, objective="energy")
    own = accelkit_at_mapping(layer, arch, costs, own_mapping)
    zzb = zb.zigzag_breakdown(cme)
    return {
        "hardware": hw,
        "mapping_file": mapping,
        "translation_notes": notes,
        "accelerator_spec": spec,
        "layer": {
            "name": CONV2X,
            "dims": {str(d): v for d, v in layer.dims.items() if v > 1},
            "padding": layer.padding,
            "macs": layer.macs,
        },
        "zigzag": {**zzb, "evaluations": zz["evaluations"], "wall_s": zz["wall_s"]},
        "zigzag_mapping": at["nest"].describe(),
        "plain_accelkit_mapping_expressible": at["plain_mapping"] is not None,
        "plain_accelkit_mapping_matches": at["plain_mapping_matches"],
        "plain_accelkit_mapping": at["plain_mapping"].to_dict() if at["plain_mapping"] is not None else None,
        "accelkit_at_zigzag_mapping": {
            "energy_pj": res.energy_j * PJ,
            "cycles": res.cycles,
            "compute_cycles": res.compute_cycles,
            "bound": res.bound,
            "level_cycles": res.extra["level_cycles"],
            "energy_by_level_pj": {k: v * PJ for k, v in res.energy_by_level_j.items()},
            "energy_by_level_operand_pj": {
                k: {o: e * PJ for o, e in v.items()} for k, v in res.energy_by_level_operand_j.items()
            },
            "words": res.words,
        },
        "accelkit_own_mapping": {
            "energy_pj": own.energy_j * PJ,
            "cycles": own.cycles,
            "zigzag_model": zigzag_at(cme, arch, own_mapping),
            "mapping": own_mapping.to_dict(),
            "candidates_evaluated": own_mapping.info.get("candidates_evaluated"),
            "exhaustive": own_mapping.info.get("exhaustive"),
        },
        "energy_ratio_accelkit_over_zigzag": res.energy_j * PJ / zzb["energy_pj"],
        "latency_ratio_accelkit_over_zigzag": res.cycles / zzb["latency_cycles"],
        "conventions": convention_notes(layer, arch, cme, at["nest"]),
        "_level_order": [lv.name for lv in arch.levels],
    }


def speed(layers: int | None, lpf: int, opt: str, dump: str, tmp: Path) -> dict[str, Any]:
    import onnx

    import accelkit
    from accelkit.model.pricing import price
    from accelkit.presets import load_accelerator

    hw, mapping = SPEED_HW
    spec, notes = translated(hw, mapping)
    arch = load_accelerator(spec)
    costs = price(arch).unit_costs
    if layers is None:
        workload: Any = str(resnet18_path())
        ak_source = str(resnet18_path())
    else:
        model = onnx_submodel(first_mac_layers=layers)
        workload = model
        ak_source = str(tmp / f"resnet18_first{layers}.onnx")
        onnx.save(model, ak_source)

    zz = run_zigzag(workload, hw, mapping, opt=opt, lpf=lpf, dump=dump)

    # ZigZag runs layer by layer through DRAM; ask accelkit for the same when it offers a residency choice
    ak_kwargs: dict[str, Any] = {"objective": "energy"}
    if "residency" in inspect.signature(accelkit.evaluate).parameters:
        ak_kwargs["residency"] = "dram"
    t0 = time.perf_counter()
    ev = accelkit.evaluate(ak_source, spec, **ak_kwargs)
    ak_wall = time.perf_counter() - t0

    searched = {id(r.mapping): r.mapping for r in ev.layers if r.mapping is not None}
    ak_evaluated = sum(int(m.info.get("candidates_evaluated", 0)) for m in searched.values())
    ak_generated = sum(int(m.info.get("candidates_generated", 0)) for m in searched.values())
    work = {x.name: x for x in ev.network.layers}

    rows = []
    for name in zz["layer_order"]:
        r = next((x for x in ev.layers if x.name == name), None)
        if r is None:
            raise RuntimeError(f"accelkit has no layer {name!r}")
        layer = work[name]
        cme_e = zz["best_energy"][name]
        cme_l = zz["best_latency"][name]
        at_e = accelkit_at_cme(layer, arch, costs, cme_e)
        # round trip: ZigZag's mapping -> accelkit Mapping -> ZigZag must give ZigZag's own numbers back
        roundtrip = None
        if at_e["plain_mapping"] is not None:
            back = zigzag_at(cme_e, arch, at_e["plain_mapping"])
            if back["energy_pj"] is not None:
                roundtrip = math.isclose(back["energy_pj"], cme_e.energy_total, rel_tol=1e-9) and math.isclose(
                    back["latency_cycles"], cme_e.latency_total2, rel_tol=1e-9
                )
        at_l = accelkit_at_cme(layer, arch, costs, cme_l)
        own = accelkit_at_mapping(layer, arch, costs, r.mapping)
        rows.append(
            {
                "name": name,
                "macs": layer.macs,
                "zigzag_evaluations": zz["evaluations_per_layer"].get(name, 0),
                "zigzag_energy_best": {
                    "zigzag_energy_pj": float(cme_e.energy_total),
                    "zigzag_latency_cycles": float(cme_e.latency_total2),
                    "zigzag_latency_parts_cycles": {
                        "ideal_temporal": float(cme_e.ideal_temporal_cycle),
                        "stall": float(cme_e.latency_total0 - cme_e.ideal_temporal_cycle),
                        "onloading": float(cme_e.latency_total1 - cme_e.latency_total0),
                        "offloading": float(cme_e.latency_total2 - cme_e.latency_total1),
                    },
                    "accelkit_energy_pj": at_e["result"].energy_j * PJ,
                    "accelkit_cycles": at_e["result"].cycles,
                    "plain_accelkit_mapping": (
                        None if at_e["plain_mapping"] is None else bool(at_e["plain_mapping_matches"])
                    ),
                    "mapping": at_e["nest"].describe(),
                    "roundtrip_through_accelkit_mapping_exact": roundtrip,
                },
                "zigzag_latency_best": {
                    "zigzag_energy_pj": float(cme_l.energy_total),
                    "zigzag_latency_cycles": float(cme_l.latency_total2),
                    "accelkit_energy_pj": at_l["result"].energy_j * PJ,
                    "accelkit_cycles": at_l["result"].cycles,
                },
                "accelkit_own": {
                    "energy_pj": r.energy_j * PJ,
                    "cycles": r.cycles,
                    "recomputed_energy_pj": own.energy_j * PJ,
                    "zigzag_model": zigzag_at(cme_e, arch, r.mapping),
                    "mapping": r.mapping.to_dict(),
                    "candidates_evaluated": r.mapping.info.get("candidates_evaluated"),
                    "exhaustive": r.mapping.info.get("exhaustive"),
                },
            }
        )
    mac_names = {row["name"] for row in rows}
    other = [x for x in ev.layers if x.name not in mac_names]

    def tot(path: list[str]) -> float:
        s = 0.0
        for row in rows:
            v: Any = row
            for p in path:
                v = v[p]
            s += v
        return s

    totals = {
        "zigzag_api_result": {"energy_pj": zz["energy_pj"], "latency_cycles": zz["latency_cycles"], "opt": opt},
        "zigzag_energy_best": {
            "zigzag_energy_pj": tot(["zigzag_energy_best", "zigzag_energy_pj"]),
            "zigzag_latency_cycles": tot(["zigzag_energy_best", "zigzag_latency_cycles"]),
            "zigzag_latency_parts_cycles": {
                k: tot(["zigzag_energy_best", "zigzag_latency_parts_cycles", k])
                for k in ("ideal_temporal", "stall", "onloading", "offloading")
            },
            "accelkit_energy_pj": tot(["zigzag_energy_best", "accelkit_energy_pj"]),
            "accelkit_cycles": tot(["zigzag_energy_best", "accelkit_cycles"]),
        },
        "zigzag_latency_best": {
            "zigzag_energy_pj": tot(["zigzag_latency_best", "zigzag_energy_pj"]),
            "zigzag_latency_cycles": tot(["zigzag_latency_best", "zigzag_latency_cycles"]),
            "accelkit_energy_pj": tot(["zigzag_latency_best", "accelkit_energy_pj"]),
            "accelkit_cycles": tot(["zigzag_latency_best", "accelkit_cycles"]),
        },
        "accelkit_own": {
            "energy_pj": tot(["accelkit_own", "energy_pj"]),
            "cycles": tot(["accelkit_own", "cycles"]),
        },
        # ZigZag's model at accelkit's mappings vs at its own, over the layers where accelkit's mapping can be
        # handed to ZigZag (same spatial unrolling, no padding)
        "zigzag_model_where_comparable": {
            "layers": [r["name"] for r in rows if r["accelkit_own"]["zigzag_model"]["energy_pj"] is not None],
            "at_accelkit_mappings_energy_pj": sum(
                r["accelkit_own"]["zigzag_model"]["energy_pj"]
                for r in rows
                if r["accelkit_own"]["zigzag_model"]["energy_pj"] is not None
            ),
            "at_zigzag_mappings_energy_pj": sum(
                r["zigzag_energy_best"]["zigzag_energy_pj"]
                for r in rows
                if r["accelkit_own"]["zigzag_model"]["energy_pj"] is not None
            ),
            "at_accelkit_mappings_cycles": sum(
                r["accelkit_own"]["zigzag_model"]["latency_cycles"]
                for r in rows
                if r["accelkit_own"]["zigzag_model"]["energy_pj"] is not None
            ),
            "at_zigzag_latency_best_cycles": sum(
                r["zigzag_latency_best"]["zigzag_latency_cycles"]
                for r in rows
                if r["accelkit_own"]["zigzag_model"]["energy_pj"] is not None
            ),
        },
        "accelkit_whole_network": {
            "dynamic_energy_pj": ev.dynamic_energy_j * PJ,
            "leakage_energy_pj": ev.leakage_energy_j * PJ,
            "cycles": ev.cycles,
            "non_mac_layers": len(other),
            "non_mac_energy_pj": sum(x.energy_j for x in other) * PJ,
            "non_mac_cycles": sum(x.cycles for x in other),
        },
    }
    worse = [
        row["name"]
        for row in rows
        if row["accelkit_own"]["energy_pj"] > row["zigzag_energy_best"]["accelkit_energy_pj"] * (1 + 1e-9)
    ]
    return {
        "hardware": hw,
        "workload": "resnet18.onnx (zigzag-dse wheel)" + ("" if layers is None else f", first {layers} Conv/Gemm"),
        "translation_notes": notes,
        "accelerator_spec": spec,
        "zigzag": {
            "search": f"LOMA, lpf_limit={lpf}, uneven memory allocation, spatial mapping from the mapping file",
            "opt": opt,
            "wall_s": zz["wall_s"],
            "mappings_evaluated": zz["evaluations"],
            "mappings_per_s": zz["evaluations"] / zz["wall_s"],
            "layers_searched": len(zz["evaluations_per_layer"]),
        },
        "accelkit": {
            "call": "accelkit.evaluate(onnx_path, translated_spec, "
            + ", ".join(f"{k}={v!r}" for k, v in ak_kwargs.items())
            + ")",
            "wall_s": ak_wall,
            "tilings_evaluated": ak_evaluated,
            "tilings_generated": ak_generated,
            "tilings_per_s": ak_evaluated / ak_wall,
            "layers_searched": len(searched),
            "mac_layers": len(rows),
            "note": "one accelkit candidate = one tiling (loop bounds per level); the best loop order of each level "
            "is chosen for it in closed form, so it stands for many ZigZag-style mappings; one ZigZag evaluation = one "
            "complete (loop order, memory allocation) mapping run through its cost model",
        },
        "speed_ratio_zigzag_over_accelkit": zz["wall_s"] / ak_wall,
        "layers": rows,
        "totals": totals,
        "layers_where_accelkit_mapping_is_worse_under_accelkit_model": worse,
        "accelkit_mapping_recompute_matches_evaluate": all(
            abs(r["accelkit_own"]["energy_pj"] - r["accelkit_own"]["recomputed_energy_pj"])
            <= 1e-9 * r["accelkit_own"]["energy_pj"]
            for r in rows
        ),
    }


# ---------------------------------------------------------------------------------------------------------------
def print_agreement(p: Printer, results: list[dict[str, Any]]) -> None:
    rows = []
    for a in results:
        zzr, akr = a["zigzag"], a["accelkit_at_zigzag_mapping"]
        rows.append(
            [
                a["hardware"],
                _fmt(zzr["energy_pj"]),
                _fmt(akr["energy_pj"]),
                _r(a["energy_ratio_accelkit_over_zigzag"]),
                f"{zzr['latency_cycles']:,.0f}",
                f"{akr['cycles']:,.0f} ({akr['bound']})",
                _r(a["latency_ratio_accelkit_over_zigzag"]),
                f"{zzr['ideal_temporal_cycles']:,.0f} + {zzr['stall_cycles']:,.0f} + {zzr['onloading_cycles']:,.0f}"
                f" + {zzr['offloading_cycles']:,.0f}",
                {True: "yes, same counts", False: "yes, counts differ", None: "no"}[a["plain_accelkit_mapping_matches"]]
                if a["plain_accelkit_mapping_expressible"]
                else "no",
                f"{_fmt(a['accelkit_own_mapping']['energy_pj'])} / "
                f"{_fmt(a['accelkit_own_mapping']['zigzag_model']['energy_pj'])} / "
                + (
                    "-"
                    if a["accelkit_own_mapping"]["zigzag_model"]["latency_cycles"] is None
                    else f"{a['accelkit_own_mapping']['zigzag_model']['latency_cycles']:,.0f}"
                ),
            ]
        )
    p.table(
        f"Agreement: {CONV2X} (K=C=64, 56x56, 3x3, pad 1) at ZigZag's minimum-energy mapping "
        "[energy pJ, latency cycles]",
        [
            "hardware",
            "ZigZag energy",
            "accelkit energy",
            "ak/zz",
            "ZigZag cycles",
            "accelkit cycles",
            "ak/zz",
            "ZigZag = compute + stall + onload + offload",
            "plain accelkit Mapping?",
            "accelkit's own mapping: accelkit E / ZigZag E / ZigZag cycles",
        ],
        rows,
    )
    for a in results:
        zzr, akr = a["zigzag"], a["accelkit_at_zigzag_mapping"]
        levels = ["mac", *a["_level_order"]]
        rows = []
        for lv in levels:
            ze = zzr["energy_by_level_pj"].get(lv, 0.0)
            ae = akr["energy_by_level_pj"].get(lv, 0.0)
            per_op = []
            for o in ("input", "weight", "output"):
                zo = zzr["energy_by_level_operand_pj"].get(lv, {}).get(o)
                ao = akr["energy_by_level_operand_pj"].get(lv, {}).get(o)
                if zo is None and ao is None:
                    continue
                zw = zzr["words"].get(lv, {}).get(o, {})
                aw = akr["words"].get(lv, {}).get(o, {})
                per_op.append(
                    f"{o[0].upper()}: {_r(_ratio(ao, zo))} (words r {_fmt(zw.get('read'))}/{_fmt(aw.get('read'))}"
                    f" w {_fmt(zw.get('write'))}/{_fmt(aw.get('write'))})"
                )
            rows.append([lv, _fmt(ze), _fmt(ae), _r(_ratio(ae, ze)), "; ".join(per_op)])
        rows.append(
            ["total", _fmt(zzr["energy_pj"]), _fmt(akr["energy_pj"]), _r(a["energy_ratio_accelkit_over_zigzag"]), ""]
        )
        p.table(
            f"Energy by level, {a['hardware']} (pJ; per operand: accelkit/ZigZag energy, words read/written "
            "ZigZag/accelkit)",
            ["level", "ZigZag", "accelkit", "ak/zz", "per operand"],
            rows,
        )
        p.text(
            f"ZigZag's mapping (outermost first, [operand:level] marks where each level's tile starts): "
            f"{a['zigzag_mapping']}"
        )
        p.text("Counting conventions that differ here:")
        for n in a["conventions"]:
            p.text(f"  - {n}")
        p.text("Translation notes: " + "; ".join(a["translation_notes"]))
        p.text("")


def print_speed(p: Printer, s: dict[str, Any]) -> None:
    z, a = s["zigzag"], s["accelkit"]
    p.table(
        f"Speed: {s['workload']} on {s['hardware']}",
        ["tool", "search", "wall s", "mappings evaluated", "per s", "layers searched"],
        [
            [
                "ZigZag",
                f"{z['search']}, opt={z['opt']}",
                f"{z['wall_s']:.1f}",
                f"{z['mappings_evaluated']:,}",
                f"{z['mappings_per_s']:,.0f}",
                str(z["layers_searched"]),
            ],
            [
                "accelkit",
                a["call"].replace("accelkit.", "").replace("onnx_path, translated_spec, ", "") + ", tiling search",
                f"{a['wall_s']:.2f}",
                f"{a['tilings_evaluated']:,} tilings",
                f"{a['tilings_per_s']:,.0f}",
                f"{a['layers_searched']} (identical shapes cached)",
            ],
            ["ratio", "", f"{s['speed_ratio_zigzag_over_accelkit']:.1f}x", "", "", ""],
        ],
    )
    rows = []
    for r in s["layers"]:
        ze, ao = r["zigzag_energy_best"], r["accelkit_own"]
        zm = ao["zigzag_model"]
        rows.append(
            [
                short(r["name"]),
                _fmt(ze["zigzag_energy_pj"]),
                _fmt(ze["accelkit_energy_pj"]),
                _r(_ratio(ze["accelkit_energy_pj"], ze["zigzag_energy_pj"])),
                _fmt(ao["energy_pj"]),
                _r(_ratio(ao["energy_pj"], ze["accelkit_energy_pj"])),
                _fmt(zm["energy_pj"]),
                _r(_ratio(zm["energy_pj"], ze["zigzag_energy_pj"])),
                f"{ze['zigzag_latency_cycles']:,.0f}",
                f"{ze['accelkit_cycles']:,.0f}",
                f"{ao['cycles']:,.0f}",
                "-" if zm["latency_cycles"] is None else f"{zm['latency_cycles']:,.0f}",
                {None: "no", True: "yes", False: "differs"}[ze["plain_accelkit_mapping"]],
                "all" if ao["exhaustive"] else "sample",
            ]
        )
    t = s["totals"]
    zt, at = t["zigzag_energy_best"], t["accelkit_own"]
    rows.append(
        [
            "total",
            _fmt(zt["zigzag_energy_pj"]),
            _fmt(zt["accelkit_energy_pj"]),
            _r(_ratio(zt["accelkit_energy_pj"], zt["zigzag_energy_pj"])),
            _fmt(at["energy_pj"]),
            _r(_ratio(at["energy_pj"], zt["accelkit_energy_pj"])),
            "",
            "",
            f"{zt['zigzag_latency_cycles']:,.0f}",
            f"{zt['accelkit_cycles']:,.0f}",
            f"{at['cycles']:,.0f}",
            "",
            "",
            "",
        ]
    )
    p.table(
        "Quality per MAC layer: X@Y = tool X's model at tool Y's chosen mapping (zz = ZigZag's minimum-energy "
        "mapping, ak = accelkit's); energy pJ, latency cycles",
        [
            "layer",
            "E zz@zz",
            "E ak@zz",
            "ak@zz / zz@zz",
            "E ak@ak",
            "ak@ak / ak@zz",
            "E zz@ak",
            "zz@ak / zz@zz",
            "cyc zz@zz",
            "cyc ak@zz",
            "cyc ak@ak",
            "cyc zz@ak",
            "zz map is an accelkit Mapping",
            "ak tilings",
        ],
        rows,
    )
    zc = t["zigzag_model_where_comparable"]
    zc_ratio = _r(_ratio(zc["at_accelkit_mappings_energy_pj"], zc["at_zigzag_mappings_energy_pj"]))
    p.text(
        f"ZigZag's model at accelkit's mappings ({len(zc['layers'])} layers where they can be handed over): "
        f"{_fmt(zc['at_accelkit_mappings_energy_pj'])} pJ vs {_fmt(zc['at_zigzag_mappings_energy_pj'])} pJ at its "
        f"own minimum-energy mappings (x{zc_ratio}); "
        f"{zc['at_accelkit_mappings_cycles']:,.0f} cycles vs {zc['at_zigzag_latency_best_cycles']:,.0f} at its own "
        "minimum-latency mappings."
    )
    lp = zt["zigzag_latency_parts_cycles"]
    p.text(
        f"ZigZag's cycles at its minimum-energy mappings = {lp['ideal_temporal']:,.0f} compute + {lp['stall']:,.0f} "
        f"stall + {lp['onloading']:,.0f} on-loading + {lp['offloading']:,.0f} off-loading; accelkit overlaps "
        "transfers with compute and has no on-/off-loading phase."
    )
    zl = t["zigzag_latency_best"]
    w = t["accelkit_whole_network"]
    p.text(
        f"ZigZag API result (opt={t['zigzag_api_result']['opt']}): {_fmt(t['zigzag_api_result']['energy_pj'])} pJ, "
        f"{t['zigzag_api_result']['latency_cycles']:,.0f} cycles; its minimum-latency picks cost "
        f"{_fmt(zl['accelkit_energy_pj'])} pJ under accelkit's model."
    )
    p.text(
        f"accelkit whole network: {_fmt(w['dynamic_energy_pj'])} pJ dynamic (+{_fmt(w['leakage_energy_pj'])} pJ "
        f"leakage), {w['cycles']:,.0f} cycles; of which {w['non_mac_layers']} pooling/add layers "
        f"{_fmt(w['non_mac_energy_pj'])} pJ, {w['non_mac_cycles']:,.0f} cycles (ZigZag gives these layers no cost)."
    )
    p.text(
        f"Each tool's own answer (its model, its mappings), MAC layers: ZigZag {_fmt(zt['zigzag_energy_pj'])} pJ / "
        f"{zt['zigzag_latency_cycles']:,.0f} cycles, accelkit {_fmt(at['energy_pj'])} pJ / {at['cycles']:,.0f} cycles "
        f"(ratio {_r(_ratio(at['energy_pj'], zt['zigzag_energy_pj']))} energy, "
        f"{_r(_ratio(at['cycles'], zt['zigzag_latency_cycles']))} cycles)."
    )
    rt = [r["zigzag_energy_best"]["roundtrip_through_accelkit_mapping_exact"] for r in s["layers"]]
    p.text(
        f"Mapping translation check: ZigZag mapping -> accelkit Mapping -> ZigZag cost model gives ZigZag's own energy "
        f"and latency back on {sum(1 for x in rt if x)} of {len(rt)} layers"
        + (f" ({sum(1 for x in rt if x is None)} not expressible)" if any(x is None for x in rt) else "")
        + (f", MISMATCH on {sum(1 for x in rt if x is False)}" if any(x is False for x in rt) else "")
        + "."
    )
    worse = s["layers_where_accelkit_mapping_is_worse_under_accelkit_model"]
    p.text(
        "accelkit's own mapping is at least as good as ZigZag's under accelkit's model on every layer."
        if not worse
        else f"accelkit's own mapping is WORSE than ZigZag's under accelkit's model on {len(worse)} layer(s): "
        + ", ".join(worse)
    )
    p.text("Translation notes: " + "; ".join(s["translation_notes"]))


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items() if not str(k).startswith("_")}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, int | float | str | bool) or x is None:
        return x
    return str(x)


def git_state() -> dict[str, Any]:
    """The accelkit tree measured (the bench venv installs it editable): commit and uncommitted changes."""
    import subprocess

    root = HERE.parent

    def git(*a: str) -> str:
        try:
            return subprocess.run(["git", *a], cwd=root, capture_output=True, text=True, check=True).stdout.rstrip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    return {
        "commit": git("rev-parse", "HEAD").strip(),
        "uncommitted_src_files": [ln[3:] for ln in git("status", "--porcelain", "--", "src").splitlines()],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", type=int, default=None, help="speed run: only the first N Conv/Gemm layers")
    ap.add_argument("--lpf", type=int, default=6, help="ZigZag LOMA lpf_limit (default 6, the API default)")
    ap.add_argument(
        "--zigzag-opt",
        default="latency",
        choices=["latency", "energy", "EDP"],
        help="objective of ZigZag's API call in the speed run (default latency, the API default; "
        "minimum-energy picks are captured from the same run either way)",
    )
    ap.add_argument("--skip-agreement", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "zigzag_compare.json")
    args = ap.parse_args(argv)

    logging.basicConfig(level=logging.ERROR)  # ZigZag logs every layer at INFO and warns on clipped unrollings
    p = Printer()
    out: dict[str, Any] = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(),
        },
        "versions": {k: md.version(k) for k in ("accelkit", "zigzag-dse", "numpy", "onnx")},
        "accelkit_source": git_state(),
    }
    with tempfile.TemporaryDirectory(prefix="zigzag_compare_") as tmpdir:
        tmp = Path(tmpdir)
        # the speed run goes first so neither tool profits from caches the agreement runs would warm
        if not args.skip_speed:
            p.text(f"speed run: ZigZag on {SPEED_HW[0]} (about a minute for the whole network on one core) ...")
            out["speed"] = speed(args.layers, args.lpf, args.zigzag_opt, str(tmp / "zz_speed"), tmp)
        if not args.skip_agreement:
            out["agreement"] = [agreement(hw, mp, args.lpf, str(tmp / f"zz_{hw}")) for hw, mp in AGREEMENT_HW]
    if "agreement" in out:
        print_agreement(p, out["agreement"])
    if "speed" in out:
        print_speed(p, out["speed"])
    out["machine"]["load_average_at_end"] = os.getloadavg()
    src = out["accelkit_source"]
    p.text(
        f"accelkit source: commit {src['commit'][:12]}"
        + (
            f", uncommitted changes in {', '.join(src['uncommitted_src_files'])}"
            if src["uncommitted_src_files"]
            else ""
        )
        + f"; zigzag-dse {out['versions']['zigzag-dse']}, numpy {out['versions']['numpy']}; load average "
        f"{out['machine']['load_average_at_start'][0]:.2f} at start, {out['machine']['load_average_at_end'][0]:.2f} at "
        f"end on {out['machine']['cpus']} CPUs (timings assume an otherwise idle machine)"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(_jsonable(out), indent=1))
    p.text(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
