"""The ``accelkit`` command line (typer + rich).

Bad input exits with status 2 and a one-paragraph message on stderr naming the file and field; a traceback is
shown only with ``--debug``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from accelkit import __version__
from accelkit.cli_support import cli_errors, progress_bar
from accelkit.cli_support import console as _out
from accelkit.cli_support import state as cli_state
from accelkit.errors import AccelkitError
from accelkit.kit.cli import kit_app
from accelkit.workload.ir import LOOP_DIMS, Network, Operand
from accelkit.workload.stats import NetworkStats, human_bytes, human_count, network_stats

app = typer.Typer(
    name="accelkit",
    help="accelkit: a construction kit for efficient, low-power edge NN accelerators.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
network_app = typer.Typer(help="Inspect networks (zoo entries, ONNX and TFLite files).", no_args_is_help=True)
list_app = typer.Typer(help="List registries: networks, ONNX and TFLite operators.", no_args_is_help=True)
app.add_typer(network_app, name="network")
app.add_typer(list_app, name="list")
app.add_typer(kit_app, name="kit")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"accelkit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks for errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    cli_state["debug"] = debug


# ---- helpers ----------------------------------------------------------------------------------------------------
def _parse_params(items: list[str] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise AccelkitError(f"--param {item!r}: expected KEY=VALUE, e.g. --param batch=4")
        params[key.strip()] = yaml.safe_load(value) if value.strip() else ""
    return params


def _parse_shapes(items: list[str] | None) -> dict[str, list[int]] | None:
    from accelkit.workload.loader import parse_input_shape

    if not items:
        return None
    shapes: dict[str, list[int]] = {}
    for item in items:
        name, dims = parse_input_shape(item)
        shapes[name or ""] = dims
    return shapes


def _load(source: str, input_shape: list[str] | None, param: list[str] | None) -> Network:
    from accelkit.workload.loader import load_network

    return load_network(source, input_shapes=_parse_shapes(input_shape), **_parse_params(param))


def _dims_text(layer: Any) -> str:
    return " ".join(f"{d}{layer.dims[d]}" for d in LOOP_DIMS if layer.dims[d] != 1) or "-"


def _short(dt: Any) -> str:
    return {"int": "i", "uint": "u", "fp": "f", "bf": "bf"}[dt.kind] + str(dt.bits)


def _prec_text(layer: Any) -> str:
    p = layer.precision
    w = _short(p[Operand.WEIGHT]) if layer.weight_elements else "-"
    return f"{_short(p[Operand.INPUT])}/{w}/{_short(p[Operand.OUTPUT])}"


def network_json(net: Network, stats: NetworkStats) -> dict[str, Any]:
    """The ``network show --json`` document (keys follow the output contract in DESIGN.md)."""
    layers = []
    for layer, st in zip(net.layers, stats.layers, strict=True):
        layers.append(
            {
                "name": layer.name,
                "op": layer.op.value,
                "kind": layer.kind_label,
                "op_type": layer.op_type,
                "macs": st.macs,
                "ops": st.ops,
                "params": st.params,
                "dims": {str(d): layer.dims[d] for d in LOOP_DIMS},
                "stride": list(layer.stride),
                "dilation": list(layer.dilation),
                "padding": list(layer.padding),
                "transposed": layer.transposed,
                "weight_source": layer.weight_source.value,
                "precision_bits": {str(o): layer.precision[o].bits for o in Operand},
                "dtypes": {str(o): str(layer.precision[o]) for o in Operand},
                "weight_bytes": st.weight_bytes,
                "input_bytes": st.input_bytes,
                "output_bytes": st.output_bytes,
                "live_activation_bytes": st.live_bytes,
                "weight_density": st.weight_density,
                "weight_entropy_bits": st.weight_entropy_bits,
                "inputs": list(layer.inputs),
                "outputs": list(layer.outputs),
                "fused": list(layer.fused),
            }
        )
    return {
        "accelkit_version": __version__,
        "name": net.name,
        "inputs": {t: list(net.tensors[t].shape) for t in net.inputs},
        "outputs": {t: list(net.tensors[t].shape) for t in net.outputs},
        "totals": stats.totals_dict(),
        "layers": layers,
        "provenance": net.provenance,
    }


def _layer_table(net: Network, stats: NetworkStats, compute_only: bool) -> Table:
    table = Table(title=f"{net.name}: {len(net.layers)} layers", title_justify="left", show_footer=True)
    table.add_column("layer", footer="total", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("loop dims", no_wrap=True)
    table.add_column("stride", justify="right")
    table.add_column("MACs", justify="right", footer=f"{stats.macs:,}")
    table.add_column("params", justify="right", footer=f"{stats.params:,}")
    table.add_column("weights", justify="right", footer=human_bytes(stats.weight_bytes))
    table.add_column("output", justify="right")
    table.add_column("live act.", justify="right", footer=f"peak {human_bytes(stats.activation_peak_bytes)}")
    table.add_column("in/w/out", justify="left")
    table.add_column("w dens.", justify="right")
    for layer, st in zip(net.layers, stats.layers, strict=True):
        if compute_only and not layer.op.is_mac:
            continue
        table.add_row(
            layer.name,
            layer.kind_label,
            _dims_text(layer),
            f"{layer.stride[0]}x{layer.stride[1]}" if layer.stride != (1, 1) else "",
            f"{st.macs:,}" if st.macs else "",
            f"{st.params:,}" if st.params else "",
            human_bytes(st.weight_bytes) if st.weight_bytes else "",
            human_bytes(st.output_bytes),
            human_bytes(st.live_bytes),
            _prec_text(layer),
            f"{st.weight_density:.3f}" if st.weight_density is not None and layer.weight_stats else "",
        )
    return table


def _summary_lines(net: Network, stats: NetworkStats) -> list[str]:
    lines = [
        f"MACs {stats.macs:,} ({human_count(stats.macs)}), other ops {stats.ops:,}, "
        f"parameters {stats.params:,} ({human_count(stats.params)})",
        f"weights {human_bytes(stats.weight_bytes)} at layer precision; peak live activations "
        f"{human_bytes(stats.activation_peak_bytes)} (at {stats.activation_peak_layer}); "
        f"input {human_bytes(stats.input_bytes)}",
    ]
    if stats.weight_density is not None:
        ent = f", entropy {stats.weight_entropy_bits:.2f} bits/weight" if stats.weight_entropy_bits else ""
        lines.append(f"measured weight density {stats.weight_density:.4f}{ent}")
    prov = net.provenance
    src = prov.get("source")
    if prov.get("format") == "zoo":
        s = prov.get("source", {})
        lines.append(
            f"zoo entry {prov.get('zoo')} {prov.get('zoo_params')}; source: {s.get('title')}, "
            f"{s.get('year')} ({s.get('where')})"
        )
    elif src:
        lines.append(f"imported from {src} ({prov.get('format')})")
    elided = prov.get("elided_ops")
    if elided:
        lines.append("free views (no layer): " + ", ".join(f"{k} x{v}" for k, v in sorted(elided.items())))
    return lines


# ---- commands ---------------------------------------------------------------------------------------------------
@network_app.command("show")
@cli_errors
def network_show(
    source: Annotated[str, typer.Argument(help="Zoo name, .onnx/.tflite file, or YAML network spec.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (the stable output contract).")] = False,
    input_shape: Annotated[
        list[str] | None,
        typer.Option("--input-shape", "-i", help="Shape of a dynamic ONNX input: NAME=1x3x224x224 (repeatable)."),
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="Zoo parameter KEY=VALUE, e.g. batch=4 (repeatable).")
    ] = None,
    compute_only: Annotated[
        bool, typer.Option("--compute-only", help="List only MAC layers (conv, depthwise, fc, matmul).")
    ] = False,
    csv: Annotated[Path | None, typer.Option("--csv", help="Also write the per-layer table to this CSV file.")] = None,
) -> None:
    """Print a network's per-layer table and totals."""
    net = _load(source, input_shape, param)
    stats = network_stats(net)
    if csv is not None:
        try:
            net.to_dataframe().to_csv(csv, index=False)
        except OSError as exc:
            raise AccelkitError(f"cannot write the CSV file: {exc.strerror}", source=str(csv)) from None
    if as_json:
        typer.echo(json.dumps(network_json(net, stats), indent=2, default=str))
        return
    console = _out()
    console.print(_layer_table(net, stats, compute_only))
    for line in _summary_lines(net, stats):
        console.print(line, highlight=False)


@list_app.command("networks")
@cli_errors
def list_networks(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the built-in zoo networks with their totals at default parameters."""
    from accelkit.workload.zoo import get_entry, get_network, zoo_names

    rows = []
    for name in zoo_names():
        entry = get_entry(name)
        net = get_network(name)
        rows.append(
            {
                "name": name,
                "aliases": list(entry.aliases),
                "task": entry.task,
                "description": entry.description,
                "macs": net.macs,
                "params": net.params,
                "parameters": entry.params,
                "source": dict(entry.source),
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    table = Table(title="built-in networks (accelkit network show NAME)", title_justify="left")
    for col, just in (
        ("name", "left"),
        ("aliases", "left"),
        ("task", "left"),
        ("MACs", "right"),
        ("params", "right"),
        ("parameters", "left"),
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in rows:
        table.add_row(
            r["name"],
            ", ".join(r["aliases"]),
            r["task"],
            human_count(r["macs"]),
            human_count(r["params"]),
            " ".join(f"{k}={v}" for k, v in r["parameters"].items()),
        )
    _out().print(table)


def _list_registry(kind: str, names: list[str], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(names))
        return
    _out().print(f"{len(names)} {kind}: " + ", ".join(names), highlight=False)


@list_app.command("onnx-ops")
@cli_errors
def list_onnx_ops(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """ONNX operators the importer understands."""
    from accelkit.workload.onnx_import import ONNX_OPS

    _list_registry("ONNX operators", ONNX_OPS.names(), as_json)


@list_app.command("tflite-ops")
@cli_errors
def list_tflite_ops(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """TFLite builtin operators the importer understands."""
    from accelkit.workload.tflite_import import TFLITE_OPS

    _list_registry("TFLite operators", TFLITE_OPS.names(), as_json)


def _finite(obj: Any) -> Any:
    """JSON has no Infinity or NaN: such values (e.g. the throughput of an empty network) become null."""
    if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def evaluation_json(ev: Any) -> dict[str, Any]:
    """The ``evaluate --json`` document (keys follow the output contract in DESIGN.md)."""
    net = ev.network
    layers = [r.to_dict() for r in ev.layers]
    arch = ev.accelerator
    return {
        "accelkit_version": __version__,
        "network": {"name": net.name, "macs": net.macs, "params": net.params},
        "accelerator": {
            "name": arch.name,
            "citation": arch.citation,
            "pes": arch.pe_array.pes,
            "clock_hz": arch.clock_hz,
            "voltage_v": arch.voltage_v,
            "node_m": arch.node_m,
        },
        "objective": ev.objective,
        "totals": ev.totals(),
        "layers": layers,
        "provenance": ev.provenance,
    }


@app.command("evaluate")
@cli_errors
def evaluate_cmd(
    study: Annotated[
        str | None, typer.Argument(help="A study YAML file (network + accelerator + blocks); or use -n and -a.")
    ] = None,
    network: Annotated[
        str | None, typer.Option("--network", "-n", help="Zoo name, .onnx/.tflite file or YAML spec.")
    ] = None,
    accelerator: Annotated[
        str | None, typer.Option("--accelerator", "-a", help="Preset name (accelkit list accelerators) or YAML file.")
    ] = None,
    objective: Annotated[
        str | None, typer.Option("--objective", help="Mapping objective: energy, latency or edp (default edp).")
    ] = None,
    batch: Annotated[int | None, typer.Option("--batch", "-b", min=1, help="Batch size.")] = None,
    dataflow: Annotated[
        str | None, typer.Option("--dataflow", help="Override the preset's dataflow (accelkit list dataflows).")
    ] = None,
    residency: Annotated[
        str | None,
        typer.Option("--residency", help="auto (on chip when the model fits; default), dram or on_chip."),
    ] = None,
    rate: Annotated[
        float | None, typer.Option("--rate", help="Required inferences per second (sets the average power).")
    ] = None,
    no_blocks: Annotated[
        bool, typer.Option("--no-blocks", help="Evaluate a study's design without its optimization blocks.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (the stable output contract).")] = False,
    show_mappings: Annotated[bool, typer.Option("--mappings", help="Print each layer's loop nest.")] = False,
) -> None:
    """Map a network on an accelerator and report energy, latency, throughput, power, area and memory.

    Give a study file (its blocks are applied), or --network and --accelerator.
    """

    from accelkit.model import evaluate

    if study is not None and (network is not None or accelerator is not None):
        raise AccelkitError("give either a study file or --network and --accelerator, not both")
    if study is None and (network is None or accelerator is None):
        raise AccelkitError("missing input: give a study file, or both --network and --accelerator")
    console = _out()
    with progress_bar("mapping", disable=as_json) as progress:
        ev = evaluate(
            study if study is not None else network,
            None if study is not None else accelerator,
            objective=objective,  # type: ignore[arg-type]
            batch=batch,
            dataflow=dataflow,
            residency=residency,
            inference_rate=rate,
            optimizations=() if no_blocks else None,
            progress=progress,
        )
    if as_json:
        typer.echo(json.dumps(_finite(evaluation_json(ev)), indent=2, default=str))
        return
    _print_evaluation(console, ev, show_mappings)


@app.command("attribute")
@cli_errors
def attribute_cmd(
    study: Annotated[str, typer.Argument(help="A study YAML file: network, accelerator and the blocks to attribute.")],
    metric: Annotated[
        str, typer.Option("--metric", help="Primary metric for the waterfall order.")
    ] = "energy_per_inference_j",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (the stable output contract).")] = False,
    csv: Annotated[Path | None, typer.Option("--csv", help="Also write the per-block table to this CSV file.")] = None,
) -> None:
    """The individual and combined effect of each block of a study: alone, marginal, Shapley, literature range."""

    from accelkit.attribution import attribute

    with progress_bar("evaluating", disable=as_json) as progress:
        att = attribute(study, primary_metric=metric, progress=progress)
    if csv is not None:
        att.to_dataframe().to_csv(csv, index=False)
    if as_json:
        typer.echo(json.dumps(_finite(att.to_dict()), indent=2, default=str))
        return
    print_attribution(_out(), att)


_METRIC_LABELS = {
    "energy_per_inference_j": "energy/inf.",
    "latency_s": "latency",
    "footprint_bytes": "memory",
    "area_mm2": "area",
    "average_power_w": "avg. power",
}


def _ratio_text(r: float | None) -> str:
    if r is None:
        return ""
    if r == 1.0:
        return "-"
    return f"{r:.3g}x"


def _catalog_to_metric() -> dict[str, str]:
    from accelkit.attribution import CATALOG_METRICS

    return {c: m for m, cats in CATALOG_METRICS.items() for c in cats}


def _factor_text(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def _literature_text(b: Any) -> str:
    """The literature range on the block's first declared metric that has one, the computed value, a flag."""
    from accelkit.optimizations import block_class

    try:
        order = list(block_class(b.kind).metrics)
    except AccelkitError:
        order = []
    to_metric = _catalog_to_metric()
    for metric in [*order, *to_metric]:
        rng = b.literature_catalog.get(metric)
        if rng is None or metric not in to_metric:
            continue
        lo, hi = rng
        text = f"{metric} {_factor_text(lo)}x" if lo == hi else f"{metric} {_factor_text(lo)}-{_factor_text(hi)}x"
        if to_metric[metric] in b.outside_literature:
            text += " [yellow]outside[/]"
        return text
    return ""


def print_attribution(console: Console, att: Any) -> None:
    """Per-block table (ratios baseline/new, above 1 = better) with literature ranges, then the waterfall."""
    base = att.baseline
    console.print(
        f"[bold]{base.network.name}[/] on [bold]{base.accelerator.name}[/]: {len(att.blocks)} blocks, "
        f"{att.evaluations} evaluations; ratios are baseline / new (above 1 = better)",
        highlight=False,
    )
    table = Table(title="effect of each block", title_justify="left")
    table.add_column("block", no_wrap=True)
    for label in _METRIC_LABELS.values():
        table.add_column(f"{label}\nalone", justify="right")
    table.add_column("energy\nmarginal", justify="right")
    table.add_column("energy\nShapley", justify="right")
    table.add_column("literature (computed alone)", justify="right")
    for b in att.blocks:
        table.add_row(
            b.label,
            *[_ratio_text(b.alone[m]) for m in _METRIC_LABELS],
            _ratio_text(b.marginal["energy_per_inference_j"]),
            _ratio_text(b.shapley["energy_per_inference_j"]) if b.shapley else "n/a",
            _literature_text(b),
        )
    cr = att.combined_ratio
    table.add_section()
    table.add_row("all blocks", *[_ratio_text(cr[m]) for m in _METRIC_LABELS], "", "", "")
    console.print(table)
    wf = Table(title=f"waterfall (greedy on {att.primary_metric})", title_justify="left")
    wf.add_column("step", justify="right")
    wf.add_column("add block", no_wrap=True)
    wf.add_column("energy/inference", justify="right")
    wf.add_column("step ratio", justify="right")
    wf.add_column("latency", justify="right")
    wf.add_column("avg. power", justify="right")
    wf.add_column("memory", justify="right")
    wf.add_row(
        "0",
        "(baseline)",
        _si(base.energy_per_inference_j, "J"),
        "",
        _si(base.latency_s, "s"),
        _si(base.average_power_w, "W"),
        human_bytes(base.memory()["footprint_bytes"]),
    )
    for i, w in enumerate(att.waterfall, 1):
        wf.add_row(
            str(i),
            w["label"],
            _si(w["energy_per_inference_j"], "J"),
            _ratio_text(w["energy_per_inference_j_ratio"]),
            _si(w["latency_s"], "s"),
            _si(w["average_power_w"], "W"),
            human_bytes(w["footprint_bytes"]),
        )
    console.print(wf)
    outside = [(b.label, m) for b in att.blocks for m in b.outside_literature]
    if outside:
        console.print(
            "outside the literature range: "
            + ", ".join(f"{label} ({_METRIC_LABELS[m]})" for label, m in outside)
            + " — the literature measured other designs; see `accelkit kit show <id>` for the sources",
            highlight=False,
        )
    for b in att.blocks:
        console.print(f"  {b.label}: {b.description}  [dim]catalog: {', '.join(b.catalog_ids) or '-'}[/]")


def _si(value: float, unit: str) -> str:
    for prefix, scale in (("", 1.0), ("m", 1e-3), ("µ", 1e-6), ("n", 1e-9), ("p", 1e-12)):
        if abs(value) >= scale or prefix == "p":
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:g} {unit}"


def _print_evaluation(console: Console, ev: Any, show_mappings: bool) -> None:
    arch = ev.accelerator
    levels = [lv.name for lv in arch.levels]
    table = Table(
        title=f"{ev.network.name} on {arch.name} (objective: {ev.objective})", title_justify="left", show_footer=True
    )
    t = ev.totals()
    table.add_column("layer", footer="total", no_wrap=True)
    table.add_column("op", no_wrap=True)
    table.add_column("MACs", justify="right", footer=f"{ev.macs:,}")
    table.add_column("energy", justify="right", footer=_si(t["energy_j"], "J"))
    table.add_column("latency", justify="right", footer=_si(t["latency_s"], "s"))
    table.add_column("util.", justify="right", footer=f"{t['utilization']:.0%}")
    table.add_column("bound", no_wrap=True)
    for name in levels:
        table.add_column(f"{name} traffic", justify="right", footer=human_bytes(t["traffic_bytes"][name]))
    for r in ev.layers:
        table.add_row(
            r.name,
            r.op,
            f"{r.macs:,}" if r.macs else "",
            _si(r.energy_j, "J"),
            _si(r.latency_s, "s"),
            f"{r.utilization:.0%}" if r.macs else "",
            r.bound,
            *[human_bytes(r.traffic_bytes.get(n, 0.0)) for n in levels],
        )
    console.print(table)
    e = t["energy_by_level_j"]
    parts = ", ".join(f"{k} {v / t['energy_j']:.0%}" for k, v in sorted(e.items(), key=lambda kv: -kv[1]) if v > 0)
    mem = t["memory"]
    lines = [
        f"energy {_si(t['energy_j'], 'J')} per run (batch {ev.batch}): {_si(t['energy_per_inference_j'], 'J')} "
        f"per inference, {_si(t['energy_per_mac_j'] or 0, 'J')} per MAC; leakage {_si(t['leakage_energy_j'], 'J')}",
        f"energy by component: {parts}",
        f"latency {_si(t['latency_s'], 's')}, throughput {t['throughput_ips']:.4g} inferences/s, utilization "
        f"{t['utilization']:.1%}, power while running {_si(t['power_w'], 'W')}, {t['tops_per_w']:.3g} TOPS/W",
        f"area {t['area_mm2']:.3g} mm² at {arch.node_m * 1e9:g} nm; on-chip shared memory "
        f"{human_bytes(mem['on_chip_shared_bytes'])}: weights {human_bytes(mem['weight_bytes'])} "
        f"({'fit' if mem['weights_fit_on_chip'] else 'do not fit'}), peak activations "
        f"{human_bytes(mem['activation_peak_bytes'])} ({'fit' if mem['activations_fit_on_chip'] else 'do not fit'})",
    ]
    if ev.inference_rate_ips is not None:
        lines.append(
            f"at {ev.inference_rate_ips:g} inferences/s: average power {_si(t['average_power_w'], 'W')}"
            + ("" if ev.meets_rate else " [red](the design cannot sustain this rate: it runs back to back)[/]")
        )
    for b in ev.blocks:
        lines.append(f"block {b.label}: {b.describe()}")
    if ev.provenance.get("residency") == "on_chip":
        lines.append("the whole model stays on chip (residency on_chip): no DRAM traffic per inference")
    cast = ev.provenance.get("precision_cast_layers") or []
    if cast:
        pa = arch.pe_array
        lines.append(
            f"{len(cast)} layers run at the datapath precision ({pa.mac_input}/{pa.mac_weight}, "
            f"accumulator {pa.mac_output}) instead of the network's own"
        )
    for line in lines:
        console.print(line, highlight=False)
    if show_mappings:
        names = tuple(levels)
        for r in ev.layers:
            if r.mapping is not None:
                console.print(f"\n[bold]{r.name}[/] ({r.mapping.info.get('candidates_evaluated', 0):,} candidates)")
                console.print(r.mapping.loop_nest(names), highlight=False, markup=False)


@list_app.command("accelerators")
@cli_errors
def list_accelerators(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The packaged accelerator presets and their sources."""
    from accelkit.presets import preset_names, preset_spec

    rows = []
    for name in preset_names():
        spec = preset_spec(name)
        rows.append(
            {
                "name": name,
                "pes": spec.pe_array.pes,
                "array": f"{spec.pe_array.rows}x{spec.pe_array.cols}",
                "mac": f"{spec.pe_array.mac.input}/{spec.pe_array.mac.weight}",
                "node_nm": round(spec.technology.node * 1e9),
                "clock_mhz": spec.technology.clock / 1e6,
                "dataflow": spec.dataflow,
                "levels": [m.name for m in spec.memory],
                "citation": spec.citation.model_dump(exclude_none=True) if spec.citation else None,
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="accelerator presets (accelkit evaluate -a NAME)", title_justify="left")
    for col in ("name", "array", "MAC", "node", "clock", "dataflow", "memory", "source"):
        table.add_column(col)
    for r in rows:
        c = r["citation"] or {}
        table.add_row(
            r["name"],
            r["array"],
            r["mac"],
            f"{r['node_nm']} nm",
            f"{r['clock_mhz']:g} MHz",
            r["dataflow"],
            " > ".join(r["levels"]),
            f"{c.get('title', '')[:60]}, {c.get('year', '')}",
        )
    _out().print(table)


@list_app.command("optimizations")
@cli_errors
def list_optimizations(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Optimization blocks (use them under `blocks:` in a study file), with the catalog ids each models."""
    from accelkit.optimizations import available, block_class

    rows = []
    for kind in available():
        cls = block_class(kind)
        rows.append({"kind": kind, "summary": cls.summary, "catalog_ids": list(cls.catalog_ids)})
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"optimization blocks ({len(rows)})", title_justify="left")
    for col in ("kind", "what it does", "catalog ids"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["kind"], r["summary"], ", ".join(r["catalog_ids"]))
    _out().print(table)


@list_app.command("strategies")
@cli_errors
def list_strategies(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Design-space search strategies (accelkit explore --strategy)."""
    from accelkit.explore import STRATEGIES

    _list_registry("strategies", STRATEGIES.names(), as_json)


@list_app.command("executors")
@cli_errors
def list_executors(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Executors that run design points (accelkit explore --executor)."""
    from accelkit.explore import EXECUTORS

    _list_registry("executors", EXECUTORS.names(), as_json)


@list_app.command("estimators")
@cli_errors
def list_estimators(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Energy/area estimators, highest priority first, with the component kinds they price."""
    from accelkit.estimators import registered_estimators

    rows = [
        {
            "name": e.name,
            "priority": e.priority,
            "kinds": sorted(e.kinds),
            "doc": (e.__doc__ or "").strip().split("\n")[0],
        }
        for e in registered_estimators()
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="estimators (accelkit.estimators entry points add more)", title_justify="left")
    for col in ("name", "priority", "kinds", "what"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], str(r["priority"]), ", ".join(r["kinds"]), r["doc"])
    _out().print(table)


@list_app.command("dataflows")
@cli_errors
def list_dataflows(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Dataflows the mapper understands."""
    from accelkit.mapping.dataflows import DATAFLOWS

    _list_registry("dataflows", DATAFLOWS.names(), as_json)


@app.command("demo")
@cli_errors
def demo() -> None:
    """The main job on built-in defaults: the MLPerf Tiny models checked, KWS evaluated on tinyml_int8, and the
    effect of six optimization blocks on that design attributed (the study examples/kws_tinyml.yaml)."""
    from accelkit.attribution import attribute
    from accelkit.studies import study_path
    from accelkit.workload.zoo import get_entry, get_network

    console = _out()
    table = Table(title="MLPerf Tiny reference models (built-in zoo)", title_justify="left")
    for col in ("network", "task", "MACs", "published", "params", "published ", "weights", "peak act.", "check"):
        table.add_column(col, justify="left" if col in ("network", "task") else "right")
    for name in ("mlperf_tiny_kws", "mlperf_tiny_vww", "mlperf_tiny_ic", "mlperf_tiny_ad"):
        entry = get_entry(name)
        net = get_network(name)
        st = network_stats(net)
        pub = entry.published
        ok = st.macs == pub.get("macs") and st.params == pub.get("params")
        table.add_row(
            name,
            entry.task,
            f"{st.macs:,}",
            f"{pub.get('macs', 0):,}",
            f"{st.params:,}",
            f"{pub.get('params', 0):,}",
            human_bytes(st.weight_bytes),
            human_bytes(st.activation_peak_bytes),
            "[green]exact[/]" if ok else "[red]MISMATCH[/]",
        )
    console.print(table)
    study = study_path("demo_kws_tinyml")
    with progress_bar("attributing") as progress:
        att = attribute(study, progress=progress)
    console.print()
    _print_evaluation(console, att.baseline, show_mappings=False)
    console.print()
    print_attribution(console, att)
    console.print(
        "\nThe study is examples/kws_tinyml.yaml; try `accelkit attribute examples/<study>.yaml` on the other "
        "MLPerf Tiny examples, `accelkit list optimizations`, and `accelkit kit show <id>` for the sources.",
        highlight=False,
    )


def _register_subcommands() -> None:
    """Commands that live with their feature: ``register(app)`` of the explorer's and the reports' CLI modules."""
    import importlib

    for name in ("accelkit.explore.cli", "accelkit.report.cli"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # the feature is not built (yet)
            if exc.name not in (name, name.rsplit(".", 1)[0]):
                raise
            continue
        module.register(app)


_register_subcommands()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except AccelkitError as exc:  # errors raised outside a command (e.g. in a callback)
        if cli_state["debug"]:
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
