"""The winograd block: transformed loop nests, eligibility, storage, traffic at the top level, conflicts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accelkit
from accelkit.errors import SpecError
from accelkit.optimizations import Optimization, OptimizationError, OptimizationSpec, make_block
from accelkit.optimizations.base import check_conflicts
from accelkit.optimizations.winograd import (
    WINOGRAD,
    eligible,
    input_bit_growth,
    transform_layer,
    transform_ops,
)
from accelkit.presets import load_accelerator
from accelkit.workload.ir import Layer, OpKind, WeightSource


def _conv(k=16, c=8, p=8, q=8, r=3, stride=(1, 1), dilation=(1, 1), op=OpKind.CONV, g=1) -> Layer:
    return Layer(
        "conv",
        op,
        {"K": k, "C": c, "P": p, "Q": q, "R": r, "S": r, "G": g},
        ("x",),
        ("y",),
        stride=stride,
        dilation=dilation,
        padding=(1, 1, 1, 1),
        weight_source=WeightSource.CONSTANT,
        bias=True,
    )


@pytest.mark.parametrize(("tile", "ratio"), [(2, 2.25), (4, 4.0)])
def test_multiplications_per_tile(tile: int, ratio: float) -> None:
    layer = _conv(p=16, q=16)
    new = transform_layer(layer, tile)
    assert layer.macs / new.macs == pytest.approx(ratio)
    assert new.name == layer.name and new.outputs == layer.outputs and new.inputs == layer.inputs
    # transformed filters: (m+2)^2 values instead of 9 per filter
    assert new.weight_elements / layer.weight_elements == pytest.approx((tile + 2) ** 2 / 9)
    assert new.params - layer.params == new.weight_elements - layer.weight_elements  # biases kept


def test_ragged_tiles_cost_whole_tiles() -> None:
    layer = _conv(p=7, q=7)  # 4 x 4 tiles of 2x2 cover 8x8 outputs
    new = transform_layer(layer, 2)
    assert new.macs == 16 * layer.K * layer.C * 4 * 4
    assert layer.macs / new.macs < 2.25


def test_eligibility() -> None:
    assert eligible(_conv()) is None
    assert "stride" in eligible(_conv(stride=(2, 2)))
    assert "only 3x3" in eligible(_conv(r=1))
    assert eligible(_conv(dilation=(2, 2))) == "dilated"
    dw = _conv(k=1, c=1, g=16, op=OpKind.DEPTHWISE)
    assert "depthwise" in eligible(dw)
    assert eligible(dw, depthwise=True) is None


def test_transform_data() -> None:
    assert transform_ops(2) == {"data": 32, "filter": 28, "inverse": 24}
    assert transform_ops(4) == {"data": 156, "filter": 72, "inverse": 100}
    assert input_bit_growth(2) == 2 and input_bit_growth(4) == 7


@settings(max_examples=60, deadline=None)
@given(
    k=st.integers(1, 64),
    c=st.integers(1, 64),
    p=st.integers(1, 40),
    q=st.integers(1, 40),
    tile=st.sampled_from([2, 4]),
)
def test_property_never_more_multiplications_and_same_output(k: int, c: int, p: int, q: int, tile: int) -> None:
    """On eligible layers Winograd never raises multiplications once a tile is filled; shapes are unchanged."""
    layer = _conv(k=k, c=c, p=p, q=q)
    new = transform_layer(layer, tile)
    assert new.outputs == layer.outputs
    if p >= tile and q >= tile:
        assert new.macs <= layer.macs
    net = accelkit.load_network("mlperf_tiny_ic")
    block = make_block({"kind": "winograd", "tile": tile})
    out = block.network(net, load_accelerator("edge_npu_int8"))
    assert out.tensors == net.tensors
    assert [x.name for x in out.layers] == [x.name for x in net.layers]
    for a, b in zip(net.layers, out.layers, strict=True):
        assert b.macs <= a.macs


def test_network_hook_selects_layers_and_is_pure() -> None:
    net = accelkit.load_network("mlperf_tiny_ic")
    arch = load_accelerator("edge_npu_int8")
    out = make_block({"kind": "winograd", "exclude": ["s1_a"]}).network(net, arch)
    done = {x.name for x in out.layers if x.attrs.get(WINOGRAD)}
    assert done == {"conv1", "s1_b", "s2_b", "s3_b"}  # 3x3 stride 1 only; s2_a/s3_a are strided
    assert not any(x.attrs.get(WINOGRAD) for x in net.layers)
    only = make_block({"kind": "winograd", "layers": ["s2_b"]}).network(net, arch)
    assert {x.name for x in only.layers if x.attrs.get(WINOGRAD)} == {"s2_b"}


def test_bad_layer_names_are_errors() -> None:
    with pytest.raises(SpecError) as exc:
        accelkit.evaluate("mlperf_tiny_ic", "edge_npu_int8", optimizations=[{"kind": "winograd", "layers": ["s2_a"]}])
    assert "layers[0]" in str(exc.value) and "stride" in str(exc.value)
    with pytest.raises(SpecError) as exc:
        accelkit.evaluate("mlperf_tiny_ic", "edge_npu_int8", optimizations=[{"kind": "winograd", "exclude": ["nope"]}])
    assert "exclude[0]" in str(exc.value)
    with pytest.raises(SpecError):
        make_block({"kind": "winograd", "tile": 3})


@pytest.fixture(scope="module")
def dram_runs() -> dict:
    kw = {"residency": "dram"}
    return {
        "base": accelkit.evaluate("mlperf_tiny_ic", "edge_npu_int8", **kw),
        "offline": accelkit.evaluate("mlperf_tiny_ic", "edge_npu_int8", optimizations=[{"kind": "winograd"}], **kw),
        "on_chip": accelkit.evaluate(
            "mlperf_tiny_ic", "edge_npu_int8", optimizations=[{"kind": "winograd", "filter_transform": "on_chip"}], **kw
        ),
    }


def test_storage_offline_vs_on_chip(dram_runs: dict) -> None:
    base = dram_runs["base"].memory()["weight_bytes"]
    assert dram_runs["offline"].memory()["weight_bytes"] > base  # transformed filters are stored
    assert dram_runs["on_chip"].memory()["weight_bytes"] == pytest.approx(base)


def test_transforms_are_charged_and_inputs_stay_raw(dram_runs: dict) -> None:
    ev = dram_runs["offline"]
    rows = [r for r in ev.breakdown if r.component == "winograd_transform"]
    assert {r.operand for r in rows} == {"input", "output"}
    assert all(r.energy_j > 0 for r in rows)
    assert "winograd_transform" in ev.priced.area_by_component_m2()
    base = {r.name: r for r in dram_runs["base"].layers}
    for r in ev.layers:
        if r.name == "conv1":  # raw input from DRAM: not the 4x larger transformed tiles
            assert r.traffic_bytes["dram"] < 2 * base[r.name].traffic_bytes["dram"]
    on_chip = [r for r in dram_runs["on_chip"].breakdown if r.component == "winograd_transform"]
    assert "weight" in {r.operand for r in on_chip}
    assert dram_runs["offline"].macs < dram_runs["base"].macs


class _FakeQuantSpec(OptimizationSpec):
    kind: str = "quantization"
    weight_bits: int = 8


class _FakeQuant(Optimization):
    Spec = _FakeQuantSpec
    kind = "quantization"


@pytest.mark.parametrize(("bits", "conflicts"), [(1, True), (2, True), (4, False), (8, False)])
def test_conflict_with_binary_and_ternary_weights(bits: int, conflicts: bool) -> None:
    wino = make_block({"kind": "winograd"})
    quant = _FakeQuant(_FakeQuantSpec(weight_bits=bits))
    if conflicts:
        with pytest.raises(OptimizationError, match="binary/ternary"):
            check_conflicts([wino, quant])
    else:
        check_conflicts([wino, quant])


@pytest.mark.parametrize(
    ("quant", "conflicts"),
    [
        ({"weights": "binary"}, True),
        ({"weights": "ternary"}, True),
        ({"weights": 2}, True),
        ({"weights": "int8", "layers": {"conv1": "binary"}}, True),
        ({"weights": "int4"}, False),
        ({"weights": "int8", "activations": "int2"}, False),
    ],
)
def test_conflict_with_the_quantization_block(quant: dict, conflicts: bool) -> None:
    from accelkit.optimizations import available

    if "quantization" not in available():
        pytest.skip("no quantization block registered")
    blocks = [make_block({"kind": "winograd"}), make_block({"kind": "quantization", **quant})]
    if conflicts:
        with pytest.raises(OptimizationError):
            check_conflicts(blocks)
    else:
        check_conflicts(blocks)
