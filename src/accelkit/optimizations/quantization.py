"""Quantization: weights and/or activations to int16 ... int2, binary, ternary or logarithmic codes, for the whole
network or per layer (mixed precision).

Model
-----
* **Storage and traffic** (workload phase). Each quantized layer's ``precision`` is set and the operands are listed in
  ``layer.attrs[QUANTIZED]``, so the datapath cast leaves them narrow: weights are stored and moved at their bits
  (``storage_bytes`` / ``Evaluation.memory()``), activations at theirs. An activation tensor is stored at the width
  its consumers read (a producer re-quantizes its output to the widest of its consumers' input precisions), so the
  activation footprint shrinks with the tensors' own dtypes. Biases take the accumulator width.
* **MAC energy and area** (hardware phase), chosen by ``datapath``:

  - ``match`` (default): the PE's MAC becomes as wide as the widest operand it must compute (quantized widths, and
    the current width for operands left unquantized). The pricing phase then asks the estimators for that MAC, so
    energy and area follow their bit-width laws (``m0 + m1 a w`` multiply + accumulator add, Horowitz ISSCC 2014
    via EIE Table I; see ``estimators/data/arithmetic_45nm.yaml``). A binary x binary MAC is an XNOR + popcount
    (the law at 1 x 1 bits), a binary-weight MAC a sign select (a x 1), a logarithmic weight of w code bits a
    barrel shift (a x w multiplexer cells, priced by the same law -- see ``data/quantization.yaml``).
  - ``keep``: the MAC is unchanged; narrow operands are stored and moved narrow and computed on the existing MAC
    (energy per MAC unchanged). Quantizing wider than the datapath is an error.
* **Accuracy** is not modelled. :meth:`Quantization.accuracy_effects` returns the catalog's cited accuracy effects for
  the technique the parameters select (e.g. binary weights: -2.9 pp top-1 on AlexNet, Rastegari et al. 2016);
  :meth:`describe` shows them.

Limits: the accumulator keeps its width; scale factors / zero points (a few values per channel) are not counted;
binary/ternary zero weights are not skipped (add a sparsity block); layers the patterns do not select keep their
precision (they are cast to the datapath as usual).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from accelkit.optimizations.base import OPTIMIZATIONS, QUANTIZED, Optimization, OptimizationSpec
from accelkit.spec.base import SpecModel

if TYPE_CHECKING:  # pragma: no cover
    from accelkit.hardware.accelerator import Accelerator
    from accelkit.workload.ir import Layer, Network

_FORMAT_RE = re.compile(r"^int(\d+)$|^(binary|ternary)$|^log(\d+)$")
_FORMAT_HELP = "expected int16 ... int2 (or a bit count 2-16), 'binary', 'ternary' or 'log2' ... 'log8'"


@dataclass(frozen=True)
class Format:
    """A quantized number format: its name, stored bits and family (int, binary, ternary, log)."""

    name: str
    bits: int
    family: str


def parse_format(value: str | int) -> Format:
    """``'int4'`` or ``4``, ``'binary'`` (1 bit), ``'ternary'`` (2 bits, {-1, 0, +1}), ``'log4'`` (a log code)."""
    if isinstance(value, bool):
        raise ValueError(f"unknown quantization format {value!r}; {_FORMAT_HELP}")
    if isinstance(value, int):
        value = f"int{value}"
    text = str(value).strip().lower()
    m = _FORMAT_RE.match(text)
    if not m:
        raise ValueError(f"unknown quantization format {value!r}; {_FORMAT_HELP}")
    if m.group(1):
        bits = int(m.group(1))
        if not 2 <= bits <= 16:
            raise ValueError(f"integer quantization takes 2 to 16 bits, got {bits}; {_FORMAT_HELP}")
        return Format(f"int{bits}", bits, "int")
    if m.group(2):
        return Format(m.group(2), 1 if m.group(2) == "binary" else 2, m.group(2))
    bits = int(m.group(3))
    if not 2 <= bits <= 8:
        raise ValueError(f"logarithmic codes take 2 to 8 bits, got {bits}; {_FORMAT_HELP}")
    return Format(f"log{bits}", bits, "log")


def _check_format(v: str | int | None) -> str | int | None:
    if v is not None:
        parse_format(v)
    return v


class LayerQuantSpec(SpecModel):
    """One layer's (or pattern's) formats; ``None`` leaves that operand to the block-wide setting."""

    weights: str | int | None = Field(None, description="weight format for the matching layers")
    activations: str | int | None = Field(None, description="activation format for the matching layers")

    @field_validator("weights", "activations")
    @classmethod
    def _fmt(cls, v: str | int | None) -> str | int | None:
        return _check_format(v)

    @model_validator(mode="after")
    def _something(self) -> LayerQuantSpec:
        if self.weights is None and self.activations is None:
            raise ValueError("give weights and/or activations")
        return self


class QuantizationSpec(OptimizationSpec):
    kind: Literal["quantization"] = "quantization"
    weights: str | int | None = Field(
        "int8",
        description="weight format for every layer with weights: int16 ... int2, binary, ternary, log2 ... log8 "
        "(null: only the layers listed in 'layers')",
    )
    activations: str | int | None = Field(
        None, description="activation format (inputs and outputs of every layer); null leaves activations alone"
    )
    layers: dict[str, str | int | LayerQuantSpec] = Field(
        default_factory=dict,
        description="mixed precision: layer name or glob pattern -> weight format (e.g. {'conv1': 'int8', "
        "'fc*': 'int4'}), or -> {weights: ..., activations: ...}; later entries win over earlier ones",
    )
    datapath: Literal["match", "keep"] = Field(
        "match",
        description="'match': the MAC becomes as wide as the widest operand it computes (energy/area follow the "
        "estimators' bit-width laws); 'keep': narrow operands stored narrow, computed on the existing MAC",
    )

    @field_validator("weights", "activations")
    @classmethod
    def _fmt(cls, v: str | int | None) -> str | int | None:
        return _check_format(v)

    @field_validator("layers")
    @classmethod
    def _layers(cls, v: dict[str, Any]) -> dict[str, Any]:
        for pattern, item in v.items():
            if not pattern.strip():
                raise ValueError("an empty layer pattern")
            if not isinstance(item, LayerQuantSpec):
                _check_format(item)
        return v

    @model_validator(mode="after")
    def _something(self) -> QuantizationSpec:
        if self.weights is None and self.activations is None and not self.layers:
            raise ValueError("nothing to quantize: give weights, activations or layers")
        return self


@dataclass(frozen=True)
class _Plan:
    weights: Format | None
    activations: Format | None


def _matches(pattern: str, name: str) -> bool:
    return name == pattern or fnmatch.fnmatchcase(name, pattern)


@OPTIMIZATIONS.register("quantization")
class Quantization(Optimization):
    """Quantize weights and/or activations (per tensor or per layer); the MAC datapath follows (``datapath``)."""

    Spec = QuantizationSpec
    kind = "quantization"
    catalog_ids = (
        "fixed-point-quantization",
        "mixed-precision-quantization",
        "binary-weights",
        "binary-networks",
        "ternary-weights",
        "logarithmic-quantization",
        "energy-optimal-low-precision",
    )
    summary = "quantize weights/activations (int16..int2, binary, ternary, log), per tensor or per layer"
    order = 30
    metrics = ("energy", "memory", "area", "accuracy")
    example: ClassVar[dict[str, Any]] = {"weights": "int4", "activations": "int8"}

    # ---- the plan: which format each layer gets ------------------------------------------------------------
    @property
    def _global(self) -> _Plan:
        s = self.spec
        return _Plan(
            parse_format(s.weights) if s.weights is not None else None,  # type: ignore[attr-defined]
            parse_format(s.activations) if s.activations is not None else None,  # type: ignore[attr-defined]
        )

    def plan(self, net: Network) -> dict[str, _Plan]:
        """Format of each layer's weights and activations (None: left alone)."""
        base = self._global
        out = {}
        overrides = list(self.spec.layers.items())  # type: ignore[attr-defined]
        for layer in net.layers:
            w, a = base.weights, base.activations
            for pattern, item in overrides:
                if not _matches(pattern, layer.name):
                    continue
                if isinstance(item, LayerQuantSpec):
                    if item.weights is not None:
                        w = parse_format(item.weights)
                    if item.activations is not None:
                        a = parse_format(item.activations)
                else:
                    w = parse_format(item)
            out[layer.name] = _Plan(w, a)
        return out

    def formats(self) -> list[Format]:
        """Every format this block's parameters name."""
        fmts = [f for f in (self._global.weights, self._global.activations) if f is not None]
        for item in self.spec.layers.values():  # type: ignore[attr-defined]
            if isinstance(item, LayerQuantSpec):
                fmts += [parse_format(v) for v in (item.weights, item.activations) if v is not None]
            else:
                fmts.append(parse_format(item))
        return fmts

    def _weight_formats(self) -> list[Format]:
        fmts = [self._global.weights] if self._global.weights is not None else []
        for item in self.spec.layers.values():  # type: ignore[attr-defined]
            v = item.weights if isinstance(item, LayerQuantSpec) else item
            if v is not None:
                fmts.append(parse_format(v))
        return fmts

    # ---- catalog links and accuracy ------------------------------------------------------------------------
    def techniques(self) -> tuple[str, ...]:
        """The catalog techniques these parameters select (a subset of ``catalog_ids``)."""
        g = self._global
        ids: list[str] = []
        fams = {f.family for f in self._weight_formats()}
        binary_acts = g.activations is not None and g.activations.family == "binary"
        if "binary" in fams:
            ids.append("binary-networks" if binary_acts else "binary-weights")
        if "ternary" in fams:
            ids.append("ternary-weights")
        if "log" in fams or any(f.family == "log" for f in self.formats()):
            ids.append("logarithmic-quantization")
        ints = [f for f in self.formats() if f.family == "int"]
        if any(f.bits >= 8 for f in ints):
            ids.append("fixed-point-quantization")
        if any(f.bits < 8 for f in ints) or fams & {"binary", "ternary"}:
            ids.append("energy-optimal-low-precision")
        if self.spec.layers:  # type: ignore[attr-defined]
            ids.append("mixed-precision-quantization")
        return tuple(dict.fromkeys(ids))

    def accuracy_effects(self) -> list[dict[str, Any]]:
        """The catalog's cited accuracy effects for the selected techniques (accelkit does not model accuracy)."""
        return list(_accuracy_effects(self.techniques()))

    def describe(self) -> str:
        text = super().describe()
        acc = self.accuracy_effects()
        if acc:
            parts = [
                f"{e['technique']}: {'-' if e['direction'] == 'decrease' else '+'}{e['value']:g} {e['unit']} "
                f"({e['context']}; {e['source']})"
                for e in acc
            ]
            text += "; accuracy (literature, not modelled): " + "; ".join(parts)
        else:
            text += "; accuracy: not modelled (no catalog figure for these formats)"
        return text

    # ---- conflicts and checks ------------------------------------------------------------------------------
    def conflict_with(self, other: Optimization) -> str | None:
        why = super().conflict_with(other)
        if why:
            return why
        if other.kind == "winograd":
            odd = sorted({f.name for f in self._weight_formats() if f.family in ("binary", "ternary", "log")})
            if odd:
                return (
                    f"{self.kind!r} gives {', '.join(odd)} weights, but Winograd transforms the weights (G g G^T) "
                    "into real-valued tiles that are no longer binary/ternary/power-of-two: the cheap multiplier "
                    "and the narrow weight storage are both lost"
                )
        return None

    def check(self, net: Network, arch: Accelerator) -> list[tuple[str, str]]:
        problems = []
        names = [layer.name for layer in net.layers]
        for pattern in self.spec.layers:  # type: ignore[attr-defined]
            if not any(_matches(pattern, n) for n in names):
                shown = ", ".join(names[:8]) + (" ..." if len(names) > 8 else "")
                problems.append((f"layers.{pattern}", f"matches no layer of {net.name!r} (layers: {shown})"))
        if self.spec.datapath == "keep":  # type: ignore[attr-defined]
            pa = arch.pe_array
            for layer in net.layers:
                kept = set(layer.attrs.get(QUANTIZED, ()))
                for operand, field, dt in (
                    ("weight", "weights", pa.mac_weight),
                    ("input", "activations", pa.mac_input),
                    ("output", "activations", pa.mac_input),
                ):
                    if operand in kept:
                        from accelkit.workload.ir import Operand

                        bits = layer.precision[Operand(operand)].bits
                        if bits > dt.bits:
                            problems.append(
                                (
                                    field,
                                    f"layer {layer.name!r}: {operand} at {bits} bits is wider than the {dt} MAC "
                                    f"datapath of {arch.name!r} (datapath: keep); use datapath: match",
                                )
                            )
                            return problems
        return problems

    # ---- workload phase ------------------------------------------------------------------------------------
    def network(self, net: Network, arch: Accelerator) -> Network:
        from accelkit.workload.ir import DataType, Operand, Tensor, WeightSource

        plan = self.plan(net)
        acc = arch.pe_array.mac_output

        def in_bits(layer: Layer) -> int | None:
            a = plan[layer.name].activations
            return a.bits if a is not None else None

        def stored_bits(tensor: str) -> int | None:
            """Width a tensor is stored at: the widest of its consumers' input formats, if all are quantized."""
            readers = net.consumers(tensor)
            widths = [in_bits(c) for c in readers]
            if not readers or any(w is None for w in widths):
                return None
            return max(w for w in widths if w is not None)

        layers = []
        tensor_bits: dict[str, int] = {}
        for t in net.inputs:
            b = stored_bits(t)
            if b is not None:
                tensor_bits[net.base_tensor(t)] = b
        for layer in net.layers:
            p = plan[layer.name]
            prec = dict(layer.precision)
            kept = set(layer.attrs.get(QUANTIZED, ()))
            before = set(kept)
            if p.weights is not None and layer.has_weights:
                prec[Operand.WEIGHT] = DataType("int", p.weights.bits)
                kept.add("weight")
            if p.activations is not None:
                prec[Operand.INPUT] = DataType("int", p.activations.bits)
                kept.add("input")
                if layer.weight_source is WeightSource.ACTIVATION:
                    prec[Operand.WEIGHT] = DataType("int", p.activations.bits)
                    kept.add("weight")
            outs = [b for t in layer.outputs if (b := stored_bits(t)) is not None]
            if len(outs) == len(layer.outputs) and outs:
                out = max(outs)
            elif not any(net.consumers(t) for t in layer.outputs) and p.activations is not None:
                out = p.activations.bits  # a network output: stored at the layer's own activation format
            else:
                out = None
            if out is not None:
                prec[Operand.OUTPUT] = DataType("int", out)
                kept.add("output")
                for t in layer.outputs:
                    tensor_bits[net.base_tensor(t)] = out
            if kept == before:
                layers.append(layer)
                continue
            attrs = {
                **layer.attrs,
                QUANTIZED: tuple(sorted(kept)),
                "quantization": {
                    "weights": p.weights.name if p.weights and layer.has_weights else None,
                    "activations": p.activations.name if p.activations else None,
                    "block": self.label,
                },
            }
            layers.append(layer.with_(precision=prec, bias_dtype=acc if layer.bias else None, attrs=attrs))
        tensors = dict(net.tensors)
        for name, bits in tensor_bits.items():
            t = tensors[name]
            if t.is_constant:
                continue
            tensors[name] = Tensor(t.name, t.shape, DataType("int", bits), t.is_constant, t.quantization, t.alias_of)
        return net.with_layers(layers, tensors=tensors)

    # ---- hardware phase ------------------------------------------------------------------------------------
    def accelerator(self, arch: Accelerator, net: Network) -> Accelerator:
        """``datapath: match``: the MAC as wide as the widest operand it computes (quantized or not)."""
        from dataclasses import replace

        from accelkit.workload.ir import DataType, Operand

        if self.spec.datapath == "keep":  # type: ignore[attr-defined]
            return arch
        pa = arch.pe_array
        wi = wa = 0
        for layer in net.layers:
            kept = set(layer.attrs.get(QUANTIZED, ()))
            for operand in (Operand.INPUT, Operand.OUTPUT):
                wi = max(wi, layer.precision[operand].bits if operand.value in kept else pa.mac_input.bits)
            if layer.op.is_mac:
                wa = max(wa, layer.precision[Operand.WEIGHT].bits if "weight" in kept else pa.mac_weight.bits)
        new_in = pa.mac_input if wi in (0, pa.mac_input.bits) else DataType("int", wi)
        new_w = pa.mac_weight if wa in (0, pa.mac_weight.bits) else DataType("int", wa)
        if new_in == pa.mac_input and new_w == pa.mac_weight:
            return arch
        return replace(arch, pe_array=replace(pa, mac_input=new_in, mac_weight=new_w))


@cache
def _accuracy_effects(ids: tuple[str, ...]) -> tuple[dict[str, Any], ...]:
    from accelkit import kit

    out = []
    for tid in ids:
        tech = kit.get(tid)
        for e in tech.effects:
            if e.metric.value != "accuracy":
                continue
            ctx = e.context
            where = ", ".join(str(x) for x in (getattr(ctx, "network", None), getattr(ctx, "dataset", None)) if x)
            out.append(
                {
                    "technique": tid,
                    "value": e.value,
                    "unit": e.unit.value,
                    "direction": e.direction.value,
                    "baseline": e.baseline,
                    "context": where or "context not given",
                    "source": e.source,
                    "where": e.where,
                }
            )
    return tuple(out)
