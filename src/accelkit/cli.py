"""The ``accelkit`` command line (typer + rich).

Bad input exits with status 2 and a one-paragraph message on stderr naming the file and field; a traceback is
shown only with ``--debug``.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import yaml
from rich.console import Console
from rich.table import Table

from accelkit import __version__
from accelkit.errors import AccelkitError
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

_state: dict[str, Any] = {"debug": False}
F = TypeVar("F", bound=Callable[..., Any])


def _out() -> Console:
    """Rich console; when not attached to a terminal (pipes, files, CI logs) tables are not squeezed to 80 cols."""
    console = Console(soft_wrap=False)
    if not console.is_terminal:
        console = Console(soft_wrap=False, width=200)
    return console


def cli_errors(fn: F) -> F:
    """Turn user errors into exit status 2 with a clear message on stderr (traceback only with --debug)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AccelkitError as exc:
            if _state["debug"]:
                raise
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


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
    _state["debug"] = debug


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


@app.command("demo")
@cli_errors
def demo() -> None:
    """The main job on built-in defaults: the MLPerf Tiny reference models, summarised and checked."""
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
    net = get_network("mlperf_tiny_ic")
    st = network_stats(net)
    console.print(_layer_table(net, st, compute_only=False))
    for line in _summary_lines(net, st):
        console.print(line, highlight=False)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except AccelkitError as exc:  # errors raised outside a command (e.g. in a callback)
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
