"""Invariants of the IR and statistics over random networks (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from accelkit.workload.builder import NetworkBuilder
from accelkit.workload.ir import Network
from accelkit.workload.stats import network_stats


@st.composite
def conv_stacks(draw: st.DrawFn) -> tuple[Network, int]:
    """A random chain of conv / depthwise / pool layers with optional residual adds, then an FC head."""
    batch = draw(st.integers(1, 3))
    c = draw(st.sampled_from([1, 3, 4, 8]))
    hw = draw(st.integers(8, 24))
    b = NetworkBuilder("rand", dtype=draw(st.sampled_from(["int8", "int16", "fp32"])))
    x = b.input("x", (batch, c, hw, hw))
    for i in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["conv", "dw", "pool", "res"]))
        h = b.shape(x)[2]
        if kind == "conv":
            k = draw(st.sampled_from([1, 3, 5]))
            s = draw(st.sampled_from([1, 2])) if h >= 4 else 1
            x = b.conv(x, draw(st.sampled_from([4, 8, 16])), k, stride=s, padding="same", name=f"c{i}")
        elif kind == "dw":
            x = b.depthwise(x, 3, padding="same", name=f"d{i}")
        elif kind == "pool" and h >= 2:
            x = b.pool(x, "max", 2, name=f"p{i}")
        elif kind == "res":
            y = b.conv(x, b.shape(x)[1], 3, padding="same", name=f"r{i}")
            x = b.add(y, x, name=f"a{i}")
    out = b.fc(x, 10, name="head")
    return b.build(outputs=[out]), batch


@settings(max_examples=60, deadline=None)
@given(conv_stacks())
def test_totals_are_sums_of_layers(case: tuple[Network, int]) -> None:
    net, _ = case
    stats = network_stats(net)
    assert stats.macs == sum(layer.macs for layer in net.layers)
    assert stats.params == sum(layer.params for layer in net.layers)
    assert stats.weight_bytes == sum(r.weight_bytes for r in stats.layers)


@settings(max_examples=60, deadline=None)
@given(conv_stacks())
def test_macs_are_the_loop_nest_product(case: tuple[Network, int]) -> None:
    net, _ = case
    for layer in net.compute_layers:
        d = layer.dims
        assert layer.macs == d["N"] * d["G"] * d["K"] * d["C"] * d["P"] * d["Q"] * d["R"] * d["S"]
        out = net.tensors[layer.outputs[0]]
        assert out.elements == layer.N * layer.G * layer.K * layer.P * layer.Q


@settings(max_examples=60, deadline=None)
@given(conv_stacks())
def test_peak_memory_bounds(case: tuple[Network, int]) -> None:
    """Peak live memory is at least any one layer's inputs + outputs and at most every activation at once."""
    net, _ = case
    stats = network_stats(net)
    for r in stats.layers:
        assert r.live_bytes >= r.output_bytes
        assert r.live_bytes >= r.input_bytes
    assert stats.activation_peak_bytes <= stats.activation_total_bytes + stats.input_bytes


@settings(max_examples=30, deadline=None)
@given(conv_stacks())
def test_fewer_bits_never_cost_more_bytes(case: tuple[Network, int]) -> None:
    net, _ = case
    # rebuild the same topology at two precisions by replaying the layers' dtype change
    from accelkit.workload.ir import DataType, Operand

    def at(bits: int) -> Network:
        dt = DataType("int", bits)
        layers = [
            layer.with_(precision={o: dt for o in Operand}, bias_dtype=DataType("int", 32) if layer.bias else None)
            for layer in net.layers
        ]
        return net.with_layers(layers)

    assert network_stats(at(4)).weight_bytes <= network_stats(at(8)).weight_bytes
