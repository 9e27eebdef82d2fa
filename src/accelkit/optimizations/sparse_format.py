"""Sparse storage formats (bitmask, run-length, CSR/CSC) for weights and activations, and the weight-encoding
bookkeeping shared by the compression blocks (pruning, weight sharing, Huffman coding).

Model (the Sparseloop split: a format shrinks storage and traffic, adds metadata and codec work; it never skips a
MAC — that is ``zero_skipping``'s job). For a tensor of ``E`` elements at density ``d`` (non-zero fraction), value
bits ``v`` and ``nnz = d E``:

* ``bitmask``: ``E`` one-bit flags + ``nnz v``;
* ``rle`` (run-length of zeros, Eyeriss RLC / Deep Compression's relative index): every stored entry is a value and
  a ``r``-bit run; a run longer than ``2^r - 1`` needs a filler entry. Zeros are taken as independent (a geometric
  run length), so the fillers per non-zero are ``q^B / (1 - q^B)`` with ``q = 1 - d``, ``B = 2^r``;
  bits = entries x (``v + r``);
* ``csr`` / ``csc``: ``nnz (v + ceil(log2 cols))`` + ``(rows + 1) ceil(log2(nnz + 1))`` pointer bits (weights:
  rows = output channels G K, cols = C R S; CSC swaps them; activations: rows = everything but the last axis).

The result is never below the values alone (``nnz v``); with ``fallback_dense`` (default) a tensor whose encoding is
larger than dense is stored dense (the encoder keeps the smaller; a per-tensor flag, negligible, is not counted), so
it is never above dense either. Compressed weight storage sets ``layer.attrs[WEIGHT_STORAGE_BITS]`` (bias and other
parameters stay uncompressed), so ``Evaluation.memory()`` shows the footprint.

Traffic: at each chosen level the operand's bits are scaled by (encoded / dense). The codec sits at the innermost
compressed level: reads from it are decoded, writes into it from an uncompressed level are encoded; its energy is
``codec_adds_per_entry`` accumulator adds per encoded entry (an assumption in the model's own prices, see
``data/sparse_format.yaml``), its area one EBPC-sized codec (cited gate count)
per compressed operand (shared by the levels it is compressed at).

Limits: zeros are assumed independently placed (real pruned weights cluster, which helps RLE); partial sums at
accumulator width are compressed with the output's density (psums are not sparse: only correct when outputs leave a
level once); the activation footprint scales the network's peak by the ratio of a simple liveness peak
(producer to last consumer) computed with compressed and with dense sizes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from accelkit.mapping.reuse import operand_bits
from accelkit.optimizations.base import (
    OPTIMIZATIONS,
    WEIGHT_STORAGE_BITS,
    CountsContext,
    ExtraAction,
    LayerCounts,
    Optimization,
    OptimizationSpec,
    block_data,  # noqa: F401  (re-exported: tests and sibling blocks read cited data through this module)
    cite,
    cited,
    cited_field,
)
from accelkit.workload.ir import Operand

if TYPE_CHECKING:  # pragma: no cover
    from accelkit.hardware.accelerator import Accelerator
    from accelkit.model.evaluate import Evaluation
    from accelkit.model.pricing import PricedAccelerator
    from accelkit.workload.ir import Layer, Network

#: ``layer.attrs`` key: how this layer's weights are encoded (format, codebook, Huffman), kept by the compression
#: blocks so that each can recompute the stored size whatever the order of application
WEIGHT_ENCODING = "weight_encoding"

Format = Literal["bitmask", "rle", "csr", "csc"]


# ---- cited data -----------------------------------------------------------------------------------------------------
# ---- format arithmetic ----------------------------------------------------------------------------------------------
def rle_fillers_per_nonzero(density: float, run_bits: int) -> float:
    """Expected filler entries per non-zero for independently placed zeros: sum_j P(run >= j 2^r)."""
    if density >= 1.0:
        return 0.0
    if density <= 0.0:
        return math.inf
    qb = (1.0 - density) ** (2**run_bits)
    return qb / (1.0 - qb)


def encoded_entries(fmt: str, elements: float, density: float, run_bits: int) -> float:
    """Entries the codec handles: non-zeros (+ fillers for RLE); bitmask: one flag per element."""
    if fmt == "bitmask":
        return float(elements)
    nnz = density * elements
    if fmt == "rle":
        if density <= 0.0:
            return math.ceil(elements / 2**run_bits)
        return nnz * (1.0 + rle_fillers_per_nonzero(density, run_bits))
    return nnz


def format_bits(
    fmt: str,
    elements: float,
    density: float,
    value_bits: float,
    *,
    rows: int = 1,
    cols: int | None = None,
    run_bits: int = 5,
    run_code_bits: float | None = None,
) -> float:
    """Bits of a tensor in ``fmt`` (values + metadata), before any fallback to dense.

    ``run_code_bits`` replaces the fixed run field by its entropy-coded length (Huffman on the relative index).
    """
    nnz = density * elements
    if fmt == "bitmask":
        return elements + nnz * value_bits
    if fmt == "rle":
        meta = run_bits if run_code_bits is None else run_code_bits
        return encoded_entries("rle", elements, density, run_bits) * (value_bits + meta)
    if fmt in ("csr", "csc"):
        cols = cols if cols is not None else max(int(elements // max(rows, 1)), 1)
        if fmt == "csc":
            rows, cols = cols, rows
        index_bits = max(math.ceil(math.log2(cols)), 1) if cols > 1 else 1
        ptr_bits = max(math.ceil(math.log2(nnz + 1)), 1)
        return nnz * (value_bits + index_bits) + (rows + 1) * ptr_bits
    raise ValueError(f"unknown sparse format {fmt!r}")


def weight_shape(layer: Layer) -> tuple[int, int]:
    """(rows, cols) of a weight tensor viewed as a matrix: output channels x (input channels x filter)."""
    return layer.G * layer.K, layer.C * layer.R * layer.S


def activation_rows(elements: int, last: int) -> tuple[int, int]:
    last = max(last, 1)
    return max(elements // last, 1), last


# ---- the weight encoding --------------------------------------------------------------------------------------------
def encoding(layer: Layer) -> dict[str, Any]:
    return dict(layer.attrs.get(WEIGHT_ENCODING) or {})


def weight_bits(layer: Layer, level: str | None = None, *, huffman: bool = True, codebook: bool = True) -> float:
    """Bits of the layer's weight tensor as encoded at ``level`` (None: as stored, the footprint).

    Weight-sharing indices are the layer's weight precision (the block set it); the format applies where its levels
    say; Huffman where its levels say (and only when ``huffman``). The codebook counts in the footprint only.
    """
    n = layer.weight_elements
    if n == 0 or not layer.has_weights:
        return 0.0
    enc = encoding(layer)
    v = float(layer.bits_of(Operand.WEIGHT))
    d = layer.density[Operand.WEIGHT]
    huff = huffman and "huffman_levels" in enc and (level is None or level in enc["huffman_levels"])
    fmt = enc.get("format")
    if fmt is not None and level is not None and level not in enc.get("format_levels", ()):
        fmt = None
    dense_value = enc["huffman_value_bits_all"] if huff else v
    dense = n * dense_value
    if fmt is None:
        bits = dense
    else:
        rows, cols = weight_shape(layer)
        bits = format_bits(
            fmt,
            n,
            d,
            enc["huffman_value_bits_nz"] if huff else v,
            rows=rows,
            cols=cols,
            run_bits=int(enc.get("run_bits", 5)),
            run_code_bits=enc.get("huffman_index_bits") if huff else None,
        )
        if enc.get("fallback_dense", True):
            bits = min(bits, dense)
    if codebook and level is None and "codebook_entries" in enc:
        bits += enc["codebook_entries"] * enc["codebook_entry_bits"]
    return bits


def with_encoding(layer: Layer, **changes: Any) -> Layer:
    """A copy of ``layer`` with its weight encoding updated and ``WEIGHT_STORAGE_BITS`` recomputed."""

    enc = encoding(layer)
    enc.update(changes)
    attrs = {**layer.attrs, WEIGHT_ENCODING: enc}
    new = layer.with_(attrs=attrs)
    return refresh_storage(new)


def refresh_storage(layer: Layer) -> Layer:
    """Recompute ``WEIGHT_STORAGE_BITS`` from the layer's encoding (bias and extra parameters uncompressed)."""
    from accelkit.workload.stats import weight_bytes

    if WEIGHT_ENCODING not in layer.attrs or not layer.has_weights:
        return layer
    dense_w = layer.weight_elements * layer.bits_of(Operand.WEIGHT)
    other = weight_bytes(layer) * 8 - dense_w
    return layer.with_(attrs={**layer.attrs, WEIGHT_STORAGE_BITS: other + weight_bits(layer)})


def check_levels(block: Optimization, levels: list[str] | None, arch: Accelerator, field: str = "levels") -> list:
    names = [lv.name for lv in arch.levels]
    problems = []
    for i, name in enumerate(levels or ()):
        if name not in names:
            problems.append((f"{field}[{i}]", f"accelerator {arch.name!r} has no level {name!r} (it has {names})"))
    return problems


def codec_area(node_m: float, codecs: int) -> tuple[float, float]:
    """(area m^2, leakage W) of ``codecs`` EBPC-sized codecs at ``node_m`` (cited gate count and gate area)."""
    from accelkit.hardware.technology import area_factor

    ge = cited("sparse_format", "codec_gates")
    ge_um2 = cited("sparse_format", "gate_equivalent_area_65nm")
    return codecs * ge * ge_um2 * 1e-12 * area_factor(65e-9, node_m), 0.0


# ---- activation density (shared with zero_gating / zero_skipping) -------------------------------------------------
class MeasureParams(BaseModel):
    """How ``activation_density: measured`` runs the model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    samples: int = Field(1, ge=1, le=10_000, description="inputs to run; densities are averaged over them")
    seed: int = Field(0, description="seed of the random inputs")
    input: str | None = Field(
        None,
        description="an .npy (single-input network) or .npz (arrays by input name) file of sample inputs instead of "
        "random data, in the IR or the source layout, optionally with a leading sample axis",
    )
    input_range: tuple[float, float] = Field(
        (-1.0, 1.0), description="value range of random float inputs (quantized inputs use their integer range)"
    )


class MeasuredDensity(BaseModel):
    """``{measured: {samples: N, seed: S, input: path.npy}}``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    measured: MeasureParams = Field(default_factory=MeasureParams)


Fraction = Annotated[float, Field(ge=0, le=1)]
ActivationDensity = Fraction | Literal["measured"] | MeasuredDensity | dict[str, Fraction] | None


# ---- the block ------------------------------------------------------------------------------------------------------
class SparseFormatSpec(OptimizationSpec):
    kind: Literal["sparse_format"] = "sparse_format"
    format: Format = Field("rle", description="bitmask | rle (run-length of zeros) | csr | csc")
    operands: list[Literal["weight", "input", "output"]] = Field(
        default_factory=lambda: ["weight"], min_length=1, description="tensors stored compressed"
    )
    levels: list[str] = Field(
        default_factory=lambda: ["dram", "glb"], min_length=1, description="memory levels that hold the format"
    )
    run_bits: int = cited_field(
        "sparse_format",
        "rle_run_bits",
        cast=int,
        ge=1,
        le=16,
        description="rle: bits of the zero-run field (default 5, Eyeriss RLC); longer runs need filler entries",
    )
    fallback_dense: bool = Field(
        True, description="store a tensor dense when its encoding would be larger (never above dense)"
    )
    codec_adds_per_entry: float = cited_field(
        "sparse_format",
        "codec_adds_per_entry",
        ge=0,
        description="codec energy per encoded entry, in accumulator-adder operations (assumption, see data)",
    )
    activation_density: ActivationDensity = Field(
        None,
        description="density of input activations (as in zero_gating): a value for every layer fed by another "
        "layer, a per-layer profile {layer: density}, 'measured' (or {measured: {samples, seed, input, "
        "input_range}}), or null (keep the network's own)",
    )


@OPTIMIZATIONS.register("sparse_format")
class SparseFormat(Optimization):
    """Compressed sparse storage of weights and/or activations at chosen levels (see the module docstring)."""

    Spec = SparseFormatSpec
    kind = "sparse_format"
    catalog_ids = ("sparse-weight-processing", "activation-compression", "compressed-sparse-accelerator")
    summary = "store sparse tensors compressed (bitmask / run-length / CSR / CSC): less storage and traffic"
    order = 64
    metrics = ("memory", "energy", "latency", "area")
    example: ClassVar[dict[str, Any]] = {"operands": ["weight", "input"], "activation_density": 0.5}

    def conflict_with(self, other: Optimization) -> str | None:
        from accelkit.optimizations.sparsity import density_conflict

        why = density_conflict(self, other)
        if why:
            return why
        if isinstance(other, SparseFormat):
            common = set(self.spec.operands) & set(other.spec.operands)  # type: ignore[attr-defined]
            if common:
                return f"both store {sorted(common)} in a sparse format; give each operand one format"
        return super().conflict_with(other)

    def check(self, net: Network, arch: Accelerator) -> list[tuple[str, str]]:
        return check_levels(self, self.spec.levels, arch)  # type: ignore[attr-defined]

    # workload: weights carry their encoding (the footprint)
    def network(self, net: Network, arch: Accelerator) -> Network:
        from accelkit.optimizations.sparsity import apply_activation_density

        p = self.spec
        net = apply_activation_density(net, p.activation_density, self.label)  # type: ignore[attr-defined]
        if "weight" not in p.operands:  # type: ignore[attr-defined]
            return net
        layers = []
        for layer in net.layers:
            if layer.has_weights and layer.weight_elements:
                layer = with_encoding(
                    layer,
                    format=p.format,  # type: ignore[attr-defined]
                    format_levels=tuple(p.levels),  # type: ignore[attr-defined]
                    run_bits=p.run_bits,  # type: ignore[attr-defined]
                    fallback_dense=p.fallback_dense,  # type: ignore[attr-defined]
                )
            layers.append(layer)
        return net.with_layers(layers)

    def prices(self, priced: PricedAccelerator, net: Network) -> PricedAccelerator:
        from dataclasses import replace

        from accelkit.optimizations.base import ExtraComponent

        n = len(self.spec.operands)  # type: ignore[attr-defined]
        area, leak = codec_area(priced.arch.node_m, n)
        extra = ExtraComponent(f"{self.label}.codec", area, leak, cite("sparse_format", "codec_gates"), self.label)
        return replace(priced, extras=(*priced.extras, extra))

    def _ratio(self, layer: Layer, op: Operand, level: str, ctx: CountsContext) -> tuple[float, float]:
        """(encoded/dense bits, encoded entries per element) of ``op`` at ``level``."""
        p = self.spec
        if op is Operand.WEIGHT:
            n = layer.weight_elements
            dense = n * layer.bits_of(Operand.WEIGHT)
            if not dense or not layer.has_weights:
                return 1.0, 0.0
            bits = weight_bits(layer, level, huffman=False, codebook=False)
            d = layer.density[op]
            return bits / dense, encoded_entries(p.format, n, d, p.run_bits) / n  # type: ignore[attr-defined]
        net = ctx.network
        if op is Operand.INPUT:
            tensors = [net.tensors[net.base_tensor(t)] for t in layer.inputs]
            tensors = [t for t in tensors if not t.is_constant]
        else:
            tensors = [net.tensors[t] for t in layer.outputs]
        if not tensors:
            return 1.0, 0.0
        t = tensors[0]
        n = t.elements
        v = layer.bits_of(op)
        d = layer.density[op]
        rows, cols = activation_rows(n, t.shape[-1])
        bits = format_bits(p.format, n, d, v, rows=rows, cols=cols, run_bits=p.run_bits)  # type: ignore[attr-defined]
        if p.fallback_dense:  # type: ignore[attr-defined]
            bits = min(bits, n * v)
        return bits / (n * v), encoded_entries(p.format, n, d, p.run_bits) / n  # type: ignore[attr-defined]

    def counts(self, lc: LayerCounts, ctx: CountsContext) -> LayerCounts:
        p = self.spec
        layer = lc.layer
        mapped = [lv for lv in ctx.mapped_levels if lv in p.levels]  # type: ignore[attr-defined]
        if not mapped:
            return lc
        order = list(ctx.mapped_levels)
        innermost = max(mapped, key=order.index)
        adder_j = ctx.priced.adder.value * p.codec_adds_per_entry  # type: ignore[attr-defined]
        extras = []
        notes = []
        for name in p.operands:  # type: ignore[attr-defined]
            op = Operand(name)
            if op is Operand.WEIGHT and not layer.has_weights:
                continue
            if op is Operand.INPUT and not any(
                not ctx.network.tensors[ctx.network.base_tensor(t)].is_constant for t in layer.inputs
            ):
                continue
            t = lc.counts.levels[innermost]
            dense_rd, dense_wr = t.read_bits.get(op, 0.0), t.write_bits.get(op, 0.0)
            for level in mapped:
                ratio, _ = self._ratio(layer, op, level, ctx)
                if ratio != 1.0:
                    lc = lc.scale_traffic(ratio, levels=[level], operands=[name])
            ratio, epe = self._ratio(layer, op, innermost, ctx)
            outer = order[order.index(innermost) - 1] if order.index(innermost) > 0 else None
            encode_writes = op is Operand.OUTPUT or outer is None or outer not in p.levels  # type: ignore[attr-defined]
            # elements moved: outputs travel at the accumulator width as partial sums (reuse.operand_bits)
            moved_bits = operand_bits(layer, ctx.arch)[op]
            elems = dense_rd / moved_bits + (dense_wr / moved_bits if encode_writes else 0.0)
            entries = elems * epe
            if entries:
                extras.append(ExtraAction("codec", name, "encode_decode", entries, entries * adder_j, self.label))
            notes.append(f"{name} {p.format} at {','.join(mapped)}: {ratio:.3f} of dense bits")  # type: ignore[attr-defined]
        lc = lc.with_extra(*extras) if extras else lc
        return lc.with_note(f"{self.label}: " + "; ".join(notes)) if notes else lc

    def evaluation(self, ev: Evaluation) -> Evaluation:
        """Activations stored compressed on chip: the peak shrinks by at most the largest encoded/dense ratio."""
        from dataclasses import replace

        from accelkit.workload.stats import storage_bytes

        p = self.spec
        if "output" not in p.operands and "input" not in p.operands:  # type: ignore[attr-defined]
            return ev
        on_chip = {lv.name for lv in ev.accelerator.levels if lv.kind != "dram"}
        if not on_chip & set(p.levels):  # type: ignore[attr-defined]
            return ev
        net = ev.network
        dense_sz: dict[str, float] = {}
        comp_sz: dict[str, float] = {}
        for layer in net.layers:
            for t in layer.outputs:
                tensor = net.tensors[t]
                n, v = tensor.elements, layer.bits_of(Operand.OUTPUT)
                rows, cols = activation_rows(n, tensor.shape[-1])
                d = layer.density[Operand.OUTPUT]
                bits = format_bits(p.format, n, d, v, rows=rows, cols=cols, run_bits=p.run_bits)  # type: ignore[attr-defined]
                if p.fallback_dense:  # type: ignore[attr-defined]
                    bits = min(bits, n * v)
                dense_sz[t], comp_sz[t] = n * v, bits
        from accelkit.workload.stats import live_activation_bytes

        peak_dense = max(live_activation_bytes(net, {t: b / 8 for t, b in dense_sz.items()}), default=0.0)
        peak_comp = max(live_activation_bytes(net, {t: b / 8 for t, b in comp_sz.items()}), default=0.0)
        if not peak_dense or peak_comp >= peak_dense:
            return ev
        worst = peak_comp / peak_dense
        _, acts = storage_bytes(ev.network)
        acts = ev.footprint_overrides.get("activation_peak_bytes", acts)
        return replace(ev, footprint_overrides={**ev.footprint_overrides, "activation_peak_bytes": acts * worst})
