"""Weight sharing (k-means clustering to a codebook) and Huffman (entropy) coding of the weights.

* ``weight_sharing``: each weight becomes a ``b``-bit index into a per-layer codebook of ``2^b`` shared values kept at
  the weights' previous precision (Deep Compression: 8-bit CONV / 5-bit FC indices on fp32 AlexNet). The stored and
  moved weight precision becomes ``b`` bits (``layer.attrs[QUANTIZED]``: the datapath cast keeps it); the MAC works
  on the decoded value at the datapath's precision. Footprint: indices + codebook (``2^b`` entries x old bits).
  Energy: one codebook lookup per weight read at the innermost level holding weights, priced as one read of that
  level (a small register file; assumption); area: one codebook per PE at that level's area per bit.
  Accuracy is not modelled (Deep Compression: none lost at 8/5 bits, Table 6).
* ``huffman``: weights (and, with a run-length format, the relative indices) are entropy coded where the data stays
  coded (default: DRAM, i.e. the stored model and off-chip traffic). Bits per weight: the *measured* entropy of the
  real weights (``layer.weight_stats.entropy_bits``), split exactly into the zero/non-zero flag and the non-zeros'
  entropy (``H = h(d) + d H_nz``) so it composes with pruning and sparse formats (survivors keep the measured value
  distribution; clustering to ``b`` bits caps it at ``b``); or a given value (global or per layer). Index bits: the
  entropy of the run-length symbols for independently placed zeros (geometric runs + fillers), or a given value.
  A symbol-by-symbol Huffman code needs at least 1 bit per symbol; the entropy is used as its length otherwise (an
  optimistic estimate, within 1 bit per symbol). Decoder: ``decoder_adds_per_symbol`` adds per decoded symbol
  (assumption), at the innermost coded level's reads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from accelkit.optimizations.base import (
    OPTIMIZATIONS,
    QUANTIZED,
    CountsContext,
    ExtraAction,
    LayerCounts,
    Optimization,
    OptimizationError,
    OptimizationSpec,
    cited_field,
)
from accelkit.optimizations.sparse_format import (
    check_levels,
    encoded_entries,
    encoding,
    rle_fillers_per_nonzero,
    weight_bits,
    with_encoding,
)
from accelkit.workload.ir import DataType, Operand

if TYPE_CHECKING:  # pragma: no cover
    from accelkit.hardware.accelerator import Accelerator
    from accelkit.model.pricing import PricedAccelerator
    from accelkit.workload.ir import Layer, Network


def _per_layer(value: object, layer: Layer) -> object:
    """A global value, or a mapping keyed by layer name (first) or op kind ('conv', 'fc', ...)."""
    if isinstance(value, Mapping):
        if layer.name in value:
            return value[layer.name]
        return value.get(layer.op.value)
    return value


def binary_entropy(p: float) -> float:
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


def run_entropy(density: float, run_bits: int) -> float:
    """Entropy (bits/entry) of run-length symbols for independently placed zeros: runs 0..2^r-1 and the filler."""
    if density >= 1.0:
        return 0.0
    if density <= 0.0:
        return 0.0
    q = 1.0 - density
    big_b = 2**run_bits
    f = rle_fillers_per_nonzero(density, run_bits)
    probs = [f / (1 + f)]
    norm = 1.0 - q**big_b
    probs += [(1 / (1 + f)) * density * q**s / norm for s in range(big_b)]
    return -sum(p * math.log2(p) for p in probs if p > 0)


# ---- weight sharing -------------------------------------------------------------------------------------------------
class WeightSharingSpec(OptimizationSpec):
    kind: Literal["weight_sharing"] = "weight_sharing"
    bits: int | dict[str, int] = Field(
        description="index bits b (codebook of 2^b shared values): one value, or a mapping keyed by layer name or "
        "op kind, e.g. {conv: 8, fc: 5} (Deep Compression)"
    )
    layers: list[str] | Literal["all"] = Field("all", description="layers whose weights are clustered")


@OPTIMIZATIONS.register("weight_sharing")
class WeightSharing(Optimization):
    """k-means weight sharing: b-bit indices + a codebook per layer. See the module docstring."""

    Spec = WeightSharingSpec
    kind = "weight_sharing"
    catalog_ids = ("weight-sharing", "deep-compression")
    summary = "cluster weights into a 2^b-entry codebook: b-bit indices instead of full weights"
    order = 62
    metrics = ("memory", "energy")
    example: ClassVar[dict[str, Any]] = {"bits": 4}

    def _chosen(self, net: Network) -> list[Layer]:
        p = self.spec
        weighted = [layer for layer in net.layers if layer.has_weights and layer.weight_elements]
        if p.layers == "all":  # type: ignore[attr-defined]
            return weighted
        names = {layer.name for layer in weighted}
        bad = [n for n in p.layers if n not in names]  # type: ignore[attr-defined]
        if bad:
            raise OptimizationError(f"block {self.label!r}: layers {bad} are not layers with constant weights")
        return [layer for layer in weighted if layer.name in p.layers]  # type: ignore[attr-defined]

    def network(self, net: Network, arch: Accelerator) -> Network:
        chosen = {layer.name for layer in self._chosen(net)}
        layers = []
        for layer in net.layers:
            if layer.name in chosen:
                b = _per_layer(self.spec.bits, layer)  # type: ignore[attr-defined]
                if b is not None:
                    b = int(b)  # type: ignore[call-overload]
                    old = layer.bits_of(Operand.WEIGHT)
                    if not 1 <= b <= 16:
                        raise OptimizationError(f"block {self.label!r}: bits for {layer.name!r} = {b}; expected 1-16")
                    if b > old:
                        raise OptimizationError(
                            f"block {self.label!r}: bits = {b} for {layer.name!r} is wider than its {old}-bit weights"
                        )
                    prec = {**layer.precision, Operand.WEIGHT: DataType("uint", b)}
                    quant = tuple(dict.fromkeys((*layer.attrs.get(QUANTIZED, ()), "weight")))
                    layer = layer.with_(precision=prec, attrs={**layer.attrs, QUANTIZED: quant})
                    layer = with_encoding(layer, codebook_entries=2**b, codebook_entry_bits=old)
            layers.append(layer)
        return net.with_layers(layers)

    @staticmethod
    def _weight_level(ctx: CountsContext) -> str | None:
        """The innermost mapped level that holds weights (where the codebook lookup happens on the way out)."""
        names = [lv.name for lv in ctx.arch.levels if lv.name in ctx.mapped_levels and Operand.WEIGHT in lv.operands]
        return names[-1] if names else None

    def prices(self, priced: PricedAccelerator, net: Network) -> PricedAccelerator:
        from accelkit.optimizations.base import ExtraComponent

        entries = max(
            (
                enc["codebook_entries"] * enc["codebook_entry_bits"]
                for layer in net.layers
                if "codebook_entries" in (enc := encoding(layer))
            ),
            default=0,
        )
        per_pe = [
            (lv, lp)
            for lv, lp in zip(priced.arch.levels, priced.levels, strict=True)
            if lv.per_pe and lp.area is not None and lv.capacity_bits
        ]
        if not entries or not per_pe:
            return priced
        lv, lp = per_pe[-1]
        area_per_bit = lp.area.value / (lv.capacity_bits * max(lp.instances, 1))
        pes = priced.arch.pe_array.pes
        extra = ExtraComponent(
            f"{self.label}.codebooks",
            pes * entries * area_per_bit,
            0.0,
            f"one codebook per PE at the area per bit of {lv.name!r} (model price)",
            self.label,
        )
        return replace(priced, extras=(*priced.extras, extra))

    def counts(self, lc: LayerCounts, ctx: CountsContext) -> LayerCounts:
        layer = lc.layer
        enc = encoding(layer)
        if "codebook_entries" not in enc or not lc.macs:
            return lc
        name = self._weight_level(ctx)
        if name is None:
            return lc
        lv = ctx.arch.level(name)
        lp = next(x for x in ctx.priced.levels if x.name == name)
        reads = lc.counts.levels[name].read_bits.get(Operand.WEIGHT, 0.0) / layer.bits_of(Operand.WEIGHT)
        per = lp.read.value * min(enc["codebook_entry_bits"] / lv.width_bits, 1.0)
        lc = lc.with_extra(ExtraAction("codebook", "weight", "lookup", reads, reads * per, self.label))
        return lc.with_note(f"{self.label}: {layer.bits_of(Operand.WEIGHT)}-bit shared-weight indices")


# ---- Huffman --------------------------------------------------------------------------------------------------------
class HuffmanSpec(OptimizationSpec):
    kind: Literal["huffman"] = "huffman"
    bits_per_weight: float | dict[str, float] | Literal["measured"] = Field(
        "measured",
        description="average coded bits per weight (per non-zero with a sparse format): 'measured' (entropy of the "
        "real weights), one value, or a mapping keyed by layer name or op kind",
    )
    index_bits: float | dict[str, float] | Literal["entropy"] = Field(
        "entropy",
        description="coded bits per run-length index: 'entropy' (of the runs for independently placed zeros), one "
        "value, or a mapping by layer / op kind",
    )
    fallback_bits: float | None = Field(
        None, gt=0, description="bits per weight for layers without measured weights (default: refuse them)"
    )
    levels: list[str] = Field(
        default_factory=lambda: ["dram"], min_length=1, description="levels where the weights stay entropy coded"
    )
    decoder_adds_per_symbol: float = cited_field(
        "weight_sharing",
        "huffman_decoder_adds_per_symbol",
        ge=0,
        description="decoder energy per symbol in accumulator adds (assumption)",
    )


@OPTIMIZATIONS.register("huffman")
class Huffman(Optimization):
    """Entropy (Huffman) coding of weights and sparse indices. See the module docstring."""

    Spec = HuffmanSpec
    kind = "huffman"
    catalog_ids = ("entropy-coding", "deep-compression")
    summary = "Huffman-code the weights (and sparse indices) where they are stored: fewer bits, a decoder"
    order = 66
    metrics = ("memory", "energy")
    example: ClassVar[dict[str, Any]] = {"bits_per_weight": 5.0}

    def check(self, net: Network, arch: Accelerator) -> list[tuple[str, str]]:
        return check_levels(self, self.spec.levels, arch)  # type: ignore[attr-defined]

    def _value_bits(self, layer: Layer) -> tuple[float, float]:
        """(bits per non-zero, bits per weight of the dense stream) for this layer."""
        p = self.spec
        v = float(layer.bits_of(Operand.WEIGHT))
        d = layer.density[Operand.WEIGHT]
        given = _per_layer(p.bits_per_weight, layer)  # type: ignore[attr-defined]
        if given != "measured" and given is not None:
            b = float(given)  # type: ignore[arg-type]
            return b, b
        st = layer.weight_stats
        if st is None or st.entropy_bits is None:
            if p.fallback_bits is None:  # type: ignore[attr-defined]
                raise OptimizationError(
                    f"block {self.label!r}: bits_per_weight 'measured' needs the entropy of real quantized weights, "
                    f"but layer {layer.name!r} has none (zoo network or float weights); give bits_per_weight or "
                    "fallback_bits"
                )
            b = float(p.fallback_bits)  # type: ignore[attr-defined]
            return b, b
        d0 = st.density
        h_nz = (st.entropy_bits - binary_entropy(d0)) / d0 if d0 > 0 else 0.0
        h_nz = min(max(h_nz, 0.0), v)
        h_all = min(binary_entropy(d) + d * h_nz, v)
        return max(h_nz, 1.0) if d > 0 else 0.0, max(h_all, 1.0)

    def network(self, net: Network, arch: Accelerator) -> Network:
        p = self.spec
        layers = []
        for layer in net.layers:
            if layer.has_weights and layer.weight_elements:
                nz, dense = self._value_bits(layer)
                enc = encoding(layer)
                given = _per_layer(p.index_bits, layer)  # type: ignore[attr-defined]
                if given == "entropy" or given is None:
                    idx = max(run_entropy(layer.density[Operand.WEIGHT], int(enc.get("run_bits", 5))), 1.0)
                else:
                    idx = float(given)  # type: ignore[arg-type]
                layer = with_encoding(
                    layer,
                    huffman_value_bits_nz=nz,
                    huffman_value_bits_all=dense,
                    huffman_index_bits=idx,
                    huffman_levels=tuple(p.levels),  # type: ignore[attr-defined]
                )
            layers.append(layer)
        return net.with_layers(layers)

    def counts(self, lc: LayerCounts, ctx: CountsContext) -> LayerCounts:
        layer = lc.layer
        if not layer.has_weights or "huffman_levels" not in encoding(layer):
            return lc
        mapped = [lv for lv in ctx.mapped_levels if lv in self.spec.levels]  # type: ignore[attr-defined]
        if not mapped:
            return lc
        order = list(ctx.mapped_levels)
        innermost = max(mapped, key=order.index)
        dense_rd = lc.counts.levels[innermost].read_bits.get(Operand.WEIGHT, 0.0)
        for name in mapped:
            plain = weight_bits(layer, name, huffman=False, codebook=False)
            coded = weight_bits(layer, name, huffman=True, codebook=False)
            if plain:
                lc = lc.scale_traffic(coded / plain, levels=[name], operands=["weight"])
        enc = encoding(layer)
        n = layer.weight_elements
        fmt = enc.get("format") if innermost in enc.get("format_levels", ()) else None
        per_elem = 1.0
        if fmt is not None:
            per_elem = encoded_entries(fmt, n, layer.density[Operand.WEIGHT], int(enc.get("run_bits", 5))) / n
            per_elem *= 2 if fmt == "rle" else 1  # a value and an index symbol per entry
        # weight elements read at the innermost coded level: its traffic is already scaled by any sparse format
        # there (bits per element = that level's stored bits without Huffman / elements)
        stored = weight_bits(layer, innermost, huffman=False, codebook=False)
        elements_read = dense_rd / (stored / n) if stored else 0.0
        symbols = elements_read * per_elem
        e = symbols * ctx.priced.adder.value * self.spec.decoder_adds_per_symbol  # type: ignore[attr-defined]
        return lc.with_extra(ExtraAction("huffman_decoder", "weight", "decode", symbols, e, self.label))
