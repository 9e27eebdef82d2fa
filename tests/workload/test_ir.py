"""The network IR: loop-nest semantics, validation, DAG queries, immutability."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from accelkit.errors import ShapeError, UnknownNameError
from accelkit.workload.builder import NetworkBuilder
from accelkit.workload.ir import DataType, Layer, LoopDim, Network, Operand, OpKind, Tensor, WeightSource


def _conv(**kw: object) -> Layer:
    base: dict[str, object] = {
        "name": "c",
        "op": OpKind.CONV,
        "dims": {"K": 8, "C": 4, "P": 5, "Q": 5, "R": 3, "S": 3},
        "inputs": ("x",),
        "outputs": ("y",),
        "weight_source": WeightSource.CONSTANT,
        "bias": True,
    }
    base.update(kw)
    return Layer(**base)  # type: ignore[arg-type]


def test_loop_nest_counts() -> None:
    layer = _conv()
    assert layer.macs == 8 * 4 * 5 * 5 * 3 * 3
    assert layer.weight_elements == 8 * 4 * 9
    assert layer.params == 8 * 4 * 9 + 8
    assert layer.input_rows == 7 and layer.input_cols == 7
    assert set(layer.dims) == set(LoopDim)  # missing dims default to 1
    assert layer.N == 1 and layer.G == 1


def test_strided_dilated_input_extent() -> None:
    layer = _conv(stride=(2, 2), dilation=(2, 1))
    assert layer.input_rows == (5 - 1) * 2 + (3 - 1) * 2 + 1
    assert layer.input_cols == (5 - 1) * 2 + (3 - 1) * 1 + 1


def test_non_mac_layers_count_ops_not_macs() -> None:
    pool = Layer("p", OpKind.POOL, {"G": 4, "P": 2, "Q": 2, "R": 2, "S": 2}, ("x",), ("y",), ops=64)
    assert pool.macs == 0 and pool.ops == 64 and pool.params == 0 and pool.weight_elements == 0


@pytest.mark.parametrize("bad", [0, -3])
def test_zero_or_negative_dimension_rejected(bad: int) -> None:
    with pytest.raises(ShapeError, match="loop dimension K"):
        _conv(dims={"K": bad, "C": 1})


def test_bad_stride_and_padding_rejected() -> None:
    with pytest.raises(ShapeError, match="stride"):
        _conv(stride=(0, 1))
    with pytest.raises(ShapeError, match="padding"):
        _conv(padding=(0, -1, 0, 0))


def test_density_must_be_a_fraction() -> None:
    with pytest.raises(ValueError, match="density"):
        _conv(density={Operand.WEIGHT: 1.5})


def test_mac_layer_needs_weights() -> None:
    with pytest.raises(ValueError, match="weight operand"):
        _conv(weight_source=WeightSource.NONE)


def test_tensor_rejects_nonpositive_shape() -> None:
    with pytest.raises(ShapeError, match="positive"):
        Tensor("t", (1, 0, 3))


def test_layers_are_immutable_and_picklable() -> None:
    layer = _conv()
    with pytest.raises(dataclasses.FrozenInstanceError):
        layer.name = "other"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(layer)) == layer
    changed = layer.with_(bias=False)
    assert changed.params == layer.params - 8 and layer.bias


@pytest.mark.parametrize(
    ("text", "kind", "bits"),
    [
        ("int8", "int", 8),
        ("uint4", "uint", 4),
        ("fp16", "fp", 16),
        ("float32", "fp", 32),
        ("bf16", "bf", 16),
        ("binary", "int", 1),
        ("ternary", "int", 2),
    ],
)
def test_data_type_parsing(text: str, kind: str, bits: int) -> None:
    dt = DataType.parse(text)
    assert (dt.kind, dt.bits) == (kind, bits)


def test_data_type_rejects_garbage() -> None:
    with pytest.raises(ValueError, match=r"expected e\.g\. int8"):
        DataType.parse("int")


def _residual() -> Network:
    b = NetworkBuilder("res", dtype="int8")
    x = b.input("x", (1, 8, 16, 16))
    a = b.conv(x, 8, 3, name="a", act="relu")
    c = b.conv(a, 8, 3, name="b")
    y = b.add(c, x, name="add", act="relu")
    return b.build(outputs=[y])


def test_dag_queries() -> None:
    net = _residual()
    assert [lyr.name for lyr in net.consumers("x")] == ["a", "add"]
    assert {lyr.name for lyr in net.predecessors("add")} == {"b"}  # x is a network input, no producer
    assert [lyr.name for lyr in net.successors("a")] == ["b"]
    assert net.producer("x") is None
    with pytest.raises(UnknownNameError, match="Did you mean 'add'"):
        net.layer("ad")


def test_network_rejects_non_topological_order() -> None:
    net = _residual()
    with pytest.raises(ValueError, match="topological"):
        net.with_layers(reversed(net.layers))


def test_network_rejects_duplicate_names() -> None:
    net = _residual()
    with pytest.raises(ValueError, match="duplicate"):
        net.with_layers([net.layers[0], net.layers[0]])


def test_views_alias_their_base_tensor() -> None:
    b = NetworkBuilder("v")
    x = b.input("x", (2, 4, 3, 3))
    y = b.conv(x, 4, 1, name="c")
    flat = b.view(y, (2, 36), out="flat", op="flatten")
    z = b.fc(flat, 5, name="fc")
    net = b.build(outputs=[z])
    assert net.base_tensor("flat") == "c"
    assert net.producer("flat").name == "c"  # type: ignore[union-attr]
    assert [lyr.name for lyr in net.consumers("c")] == ["fc"]
    assert net.layer("fc").C == 36 and net.layer("fc").N == 2
    assert net.provenance["elided_ops"] == {"flatten": 1}


def test_view_must_keep_element_count() -> None:
    b = NetworkBuilder("v")
    x = b.input("x", (1, 4))
    with pytest.raises(ShapeError, match="cannot view"):
        b.view(x, (1, 5))
