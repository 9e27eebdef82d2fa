"""The quantization block: formats, per-layer plans, storage/traffic, the MAC datapath chosen, errors, conflicts,
accuracy shown from the catalog, and the property that fewer bits never cost more MAC energy or footprint."""

from __future__ import annotations

import copy
from typing import Any, ClassVar, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import accelkit
from accelkit import kit
from accelkit.errors import SpecError
from accelkit.optimizations import OptimizationError, make_block
from accelkit.optimizations.base import QUANTIZED, Optimization, OptimizationSpec, check_conflicts
from accelkit.optimizations.quantization import parse_format
from accelkit.workload.ir import Operand
from accelkit.workload.stats import network_stats

NET, ACC = "mlperf_tiny_kws", "edge_npu_int8"
CACHE: dict = {}


def _eval(*blocks: Any, **kw: Any) -> accelkit.Evaluation:
    return accelkit.evaluate(NET, ACC, optimizations=list(blocks), mapping_cache=CACHE, **kw)


def _q(**params: Any) -> Optimization:
    return make_block({"kind": "quantization", **params})


@pytest.fixture(scope="module")
def base() -> accelkit.Evaluation:
    return _eval()


# ---- formats and spec errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "bits", "family"),
    [
        ("int8", 8, "int"),
        (4, 4, "int"),
        ("INT2", 2, "int"),
        ("binary", 1, "binary"),
        ("ternary", 2, "ternary"),
        ("log3", 3, "log"),
    ],
)
def test_formats(text: Any, bits: int, family: str) -> None:
    f = parse_format(text)
    assert (f.bits, f.family) == (bits, family)


@pytest.mark.parametrize("bad", ["int1", "int32", "fp16", "log9", "eight", True])
def test_bad_format_names_the_field(bad: Any) -> None:
    with pytest.raises(SpecError) as exc:
        make_block({"kind": "quantization", "weights": bad}, path="blocks[0]")
    assert "blocks[0].weights" in str(exc.value)


def test_nothing_to_quantize_is_an_error() -> None:
    with pytest.raises(SpecError):
        make_block({"kind": "quantization", "weights": None})


def test_unmatched_layer_pattern_names_the_pattern() -> None:
    with pytest.raises(SpecError) as exc:
        _eval(_q(weights=None, layers={"nosuchlayer*": "int4"}))
    assert "layers.nosuchlayer*" in str(exc.value)


def test_keep_rejects_operands_wider_than_the_datapath() -> None:
    with pytest.raises(SpecError) as exc:
        _eval(_q(weights="int16", datapath="keep"))
    assert "quantization.weights" in str(exc.value) and "datapath: match" in str(exc.value)


# ---- storage, traffic and the datapath --------------------------------------------------------------------------
def test_weights_stored_at_their_bits_and_listed_as_quantized(base: accelkit.Evaluation) -> None:
    ev = _eval(_q(weights="int4", datapath="keep"))
    for layer, ref in zip(ev.network.layers, base.network.layers, strict=True):
        if layer.has_weights:
            assert layer.bits_of(Operand.WEIGHT) == 4 and "weight" in layer.attrs[QUANTIZED]
            assert ref.bits_of(Operand.WEIGHT) == 8
    # weights halve; biases (accumulator width) unchanged
    st_b, st_q = network_stats(base.network), network_stats(ev.network)
    w8 = sum(r.weight_elements for r in st_b.layers if r.weight_bits) * 8 / 8
    assert st_b.weight_bytes - st_q.weight_bytes == pytest.approx(w8 / 2)
    # keep: same MAC, same MAC energy, less traffic -> less energy
    assert ev.accelerator.pe_array == base.accelerator.pe_array
    assert ev.energy_by_level_j()["mac"] == pytest.approx(base.energy_by_level_j()["mac"])
    assert ev.traffic_bytes()["glb"] < base.traffic_bytes()["glb"]
    assert ev.energy_j < base.energy_j


def test_match_narrows_the_mac_and_its_energy_and_area(base: accelkit.Evaluation) -> None:
    ev = _eval(_q(weights="int4", activations="int4"))
    pa = ev.accelerator.pe_array
    assert (pa.mac_input.bits, pa.mac_weight.bits) == (4, 4)
    assert ev.energy_by_level_j()["mac"] < base.energy_by_level_j()["mac"]
    assert ev.priced.mac_area.value < base.priced.mac_area.value
    assert ev.memory()["activation_peak_bytes"] == pytest.approx(base.memory()["activation_peak_bytes"] / 2)


def test_match_widens_for_wider_formats(base: accelkit.Evaluation) -> None:
    # (edge_npu_int8's 5-byte PE registers cannot hold 16-bit weights, so this is checked on the priced hardware)
    from accelkit.model.pricing import price

    q = _q(weights="int16")
    net = q.network(accelkit.load_network(NET), base.accelerator)
    arch = q.accelerator(base.accelerator, net)
    assert arch.pe_array.mac_weight.bits == 16
    assert price(arch).mac.value > base.priced.mac.value


def test_binary_network_prices_an_xnor_popcount_mac(base: accelkit.Evaluation) -> None:
    ev = _eval(_q(weights="binary", activations="binary"))
    pa = ev.accelerator.pe_array
    assert (pa.mac_input.bits, pa.mac_weight.bits) == (1, 1)
    assert "1x1 mult" in ev.priced.mac.source or "int1x1" in ev.priced.mac.source
    assert ev.energy_by_level_j()["mac"] < base.energy_by_level_j()["mac"]


def test_mixed_precision_per_layer_and_unquantized_layers_keep_the_datapath(base: accelkit.Evaluation) -> None:
    names = [layer.name for layer in base.network.layers if layer.has_weights]
    first, rest = names[0], names[1:]
    ev = _eval(_q(weights=None, layers={first: "int4", rest[0]: {"weights": "int2", "activations": "int4"}}))
    by = {layer.name: layer for layer in ev.network.layers}
    assert by[first].bits_of(Operand.WEIGHT) == 4
    assert by[rest[0]].bits_of(Operand.WEIGHT) == 2 and by[rest[0]].bits_of(Operand.INPUT) == 4
    assert by[rest[1]].bits_of(Operand.WEIGHT) == 8  # untouched
    # the MAC must still serve the unquantized int8 layers
    assert ev.accelerator.pe_array.mac_weight.bits == 8 and ev.accelerator.pe_array.mac_input.bits == 8
    # the producer of rest[0]'s input stores its output at the consumer's 4 bits
    producer = ev.network.producer(by[rest[0]].inputs[0])
    assert producer is not None and producer.bits_of(Operand.OUTPUT) == 4


def test_later_patterns_win() -> None:
    q = _q(weights="int8", layers={"*": "int4", "conv1": "int2"})
    plan = q.plan(accelkit.load_network(NET))
    assert plan["conv1"].weights.bits == 2
    assert {p.weights.bits for n, p in plan.items() if n != "conv1"} == {4}


def test_pure_on_the_network() -> None:
    net = accelkit.load_network(NET)
    before = copy.deepcopy(net)
    arch = accelkit.load_accelerator(ACC)
    out = _q(weights="ternary", activations="int4").network(net, arch)
    assert net == before and out != net


# ---- conflicts and accuracy -------------------------------------------------------------------------------------
class _WinogradSpec(OptimizationSpec):
    kind: Literal["winograd"] = "winograd"


class _FakeWinograd(Optimization):
    Spec = _WinogradSpec
    kind = "winograd"
    example: ClassVar[dict[str, Any]] = {}


@pytest.mark.parametrize("weights", ["binary", "ternary", "log4"])
def test_binary_ternary_log_weights_conflict_with_winograd(weights: str) -> None:
    with pytest.raises(OptimizationError) as exc:
        check_conflicts([_q(weights=weights), _FakeWinograd()])
    assert "winograd" in str(exc.value).lower()
    check_conflicts([_q(weights="int8"), _FakeWinograd()])  # plain integers survive the transform


def test_accuracy_shown_from_the_catalog() -> None:
    q = _q(weights="binary")
    assert q.techniques() == ("binary-weights", "energy-optimal-low-precision")
    cited = [e for e in kit.get("binary-weights").effects if e.metric.value == "accuracy"]
    shown = [e for e in q.accuracy_effects() if e["technique"] == "binary-weights"]
    assert [e["value"] for e in shown] == [e.value for e in cited] and cited
    assert "accuracy (literature, not modelled)" in q.describe()
    assert "binary-networks" in _q(weights="binary", activations="binary").techniques()
    assert "mixed-precision-quantization" in _q(weights=None, layers={"conv1": 4}).techniques()


# ---- property: fewer bits never raise MAC energy or footprint --------------------------------------------------
FORMATS = ["binary", "ternary", "int2", "int3", "int4", "int5", "int6", "int8"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(i=st.integers(0, len(FORMATS) - 1), j=st.integers(0, len(FORMATS) - 1), acts=st.booleans())
def test_fewer_bits_never_raise_mac_energy_or_footprint(i: int, j: int, acts: bool) -> None:
    lo, hi = sorted((i, j))
    runs = []
    for k in (lo, hi):
        params: dict[str, Any] = {"weights": FORMATS[k]}
        if acts:
            params["activations"] = FORMATS[k]
        runs.append(_eval(_q(**params)))
    narrow, wide = runs
    assert narrow.energy_by_level_j()["mac"] <= wide.energy_by_level_j()["mac"] * (1 + 1e-12)
    assert narrow.memory()["footprint_bytes"] <= wide.memory()["footprint_bytes"]
    assert narrow.area_mm2 <= wide.area_mm2 * (1 + 1e-12)
