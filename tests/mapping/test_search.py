"""The vectorized mapper: agreement with the reference reuse analysis, brute-force optimality, errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelkit.mapping import Mapping, MappingError, analyze, search
from accelkit.mapping.dataflows import spatial_candidates
from accelkit.mapping.mapping import CLASS_ORDERS, LEVEL_ORDERS, class_order_to_dims
from accelkit.mapping.reuse import capacity_ok
from accelkit.mapping.search import _Problem, counts_energy, ordered_factorizations
from accelkit.workload.ir import LOOP_DIMS, Layer, Operand

from .conftest import conv_layer, costs_for, make_arch


def test_ordered_factorizations() -> None:
    f = ordered_factorizations(12, 3)
    assert all(math.prod(row) == 12 for row in f)
    # ordered factorizations of 2^2 * 3 into 3 parts: C(4,2) * C(3,2) = 6 * 3
    assert len(f) == 18 and len({tuple(r) for r in f}) == 18


def _random_mapping(layer: Layer, arch, rng: np.random.Generator) -> Mapping:  # type: ignore[no-untyped-def]
    cands = spatial_candidates(layer, arch, "best")
    cand = cands[rng.integers(len(cands))]
    L = len(arch.levels)
    temporal = [dict.fromkeys(LOOP_DIMS, 1) for _ in range(L)]
    for d in LOOP_DIMS:
        rem = -(-layer.dims[d] // cand.factor(d))
        table = ordered_factorizations(rem, L)
        row = table[rng.integers(len(table))]
        for m in range(L):
            temporal[m][d] = int(row[m])
    orders = tuple(class_order_to_dims(CLASS_ORDERS[rng.integers(6)]) for _ in range(L))
    return Mapping(cand.rows, cand.cols, tuple(temporal), orders, arch.spatial_level)


@settings(max_examples=100, deadline=None)
@given(
    c=st.sampled_from([1, 2, 4, 6]),
    k=st.sampled_from([1, 3, 4, 8]),
    hw=st.integers(3, 9),
    kernel=st.sampled_from([1, 2, 3]),
    stride=st.sampled_from([1, 2]),
    seed=st.integers(0, 2**31),
    reg_ops=st.sampled_from([("weight",), ("output",), ("input", "weight", "output")]),
    multicast=st.booleans(),
    reduction=st.booleans(),
)
def test_vectorized_energy_equals_reference(
    c: int,
    k: int,
    hw: int,
    kernel: int,
    stride: int,
    seed: int,
    reg_ops: tuple[str, ...],
    multicast: bool,
    reduction: bool,
) -> None:
    """For any mapping, the vectorized cost (with its best loop orders) equals the reference model's energy
    under those orders, and no class order beats it."""
    if kernel > hw:
        return
    layer = conv_layer(c=c, k=k, hw=hw, kernel=kernel, stride=stride)
    arch = make_arch(reg="64 b", reg_operands=reg_ops, multicast=multicast, reduction=reduction)
    costs = costs_for(arch)
    rng = np.random.default_rng(seed)
    m = _random_mapping(layer, arch, rng)
    prob = _Problem(layer, arch, costs)
    T = np.array([[[m.temporal[lv][d]] for d in LOOP_DIMS] for lv in range(len(arch.levels))], dtype=float)
    s = np.array([m.spatial[d] for d in LOOP_DIMS])
    val, orders = prob.evaluate(T, s, "energy")
    chosen = Mapping(
        m.spatial_rows,
        m.spatial_cols,
        m.temporal,
        tuple(class_order_to_dims(*LEVEL_ORDERS[int(i)]) for i in orders[:, 0]),
        arch.spatial_level,
    )
    ref = counts_energy(analyze(layer, arch, chosen), arch, costs)
    assert val[0] == pytest.approx(ref, rel=1e-9)
    combos = list(itertools.product(range(len(LEVEL_ORDERS)), repeat=len(arch.levels)))
    for pick in rng.choice(len(combos), size=min(300, len(combos)), replace=False):
        combo = combos[int(pick)]
        other = Mapping(
            m.spatial_rows,
            m.spatial_cols,
            m.temporal,
            tuple(class_order_to_dims(*LEVEL_ORDERS[i]) for i in combo),
            arch.spatial_level,
        )
        assert counts_energy(analyze(layer, arch, other), arch, costs) >= ref * (1 - 1e-9)


def _brute_force(layer: Layer, arch, costs) -> float:  # type: ignore[no-untyped-def]
    """Every spatial candidate, every tiling, every full loop order (all permutations of the non-trivial loops
    at each level) through the reference model."""
    best = math.inf
    L = len(arch.levels)
    for cand in spatial_candidates(layer, arch, arch.dataflow):
        rem = [-(-layer.dims[d] // cand.factor(d)) for d in LOOP_DIMS]
        tables = [ordered_factorizations(r, L) for r in rem]
        for rows in itertools.product(*tables):
            temporal = tuple({d: int(rows[i][m]) for i, d in enumerate(LOOP_DIMS)} for m in range(L))
            probe = Mapping(
                cand.rows, cand.cols, temporal, tuple(tuple(LOOP_DIMS) for _ in range(L)), arch.spatial_level
            )
            if not capacity_ok(layer, arch, probe):
                continue
            per_level_orders = []
            for m in range(L):
                nontrivial = [d for d in LOOP_DIMS if temporal[m][d] > 1]
                rest = [d for d in LOOP_DIMS if temporal[m][d] == 1]
                per_level_orders.append([(*p, *rest) for p in itertools.permutations(nontrivial)])
            for orders in itertools.product(*per_level_orders):
                mp = Mapping(cand.rows, cand.cols, temporal, orders, arch.spatial_level)
                best = min(best, counts_energy(analyze(layer, arch, mp), arch, costs))
    return best


@pytest.mark.parametrize(
    ("layer_kw", "arch_kw"),
    [
        ({"c": 2, "k": 4, "hw": 4, "kernel": 2}, {"rows": 2, "cols": 2, "glb": "64 B", "reg": "16 b"}),
        (
            {"c": 4, "k": 2, "hw": 3, "kernel": 3},
            {"rows": 2, "cols": 2, "glb": "96 B", "reg_operands": ("output",), "reg": "64 b"},
        ),
        ({"c": 2, "k": 2, "hw": 4, "kernel": 1, "batch": 2}, {"rows": 2, "cols": 1, "glb": "32 B", "reg": None}),
    ],
)
def test_search_finds_the_brute_force_optimum(layer_kw: dict, arch_kw: dict) -> None:
    layer = conv_layer(**layer_kw)
    arch = make_arch(**arch_kw)
    costs = costs_for(arch)
    found = search(layer, arch, costs)
    assert found.info["exhaustive"]
    brute = _brute_force(layer, arch, costs)
    energy = counts_energy(analyze(layer, arch, found), arch, costs)
    assert energy == pytest.approx(brute, rel=1e-9)
    assert found.info["objective_value"] == pytest.approx(energy, rel=1e-9)


def test_found_mapping_covers_the_layer_and_fits() -> None:
    layer = conv_layer(c=16, k=32, hw=14, kernel=3)
    arch = make_arch(rows=8, cols=8, glb="16 KiB")
    m = search(layer, arch, costs_for(arch))
    assert m.covers(layer.dims) and capacity_ok(layer, arch, m)
    assert m.active_pes <= 64


def test_latency_objective_never_slower_than_energy_objective() -> None:
    layer = conv_layer(c=16, k=16, hw=10, kernel=3)
    arch = make_arch(rows=4, cols=4, glb="8 KiB")
    costs = costs_for(arch)
    fast = search(layer, arch, costs, objective="latency")
    frugal = search(layer, arch, costs, objective="energy")
    assert fast.temporal_iterations <= frugal.temporal_iterations
    e_fast = counts_energy(analyze(layer, arch, fast), arch, costs)
    e_frugal = counts_energy(analyze(layer, arch, frugal), arch, costs)
    assert e_frugal <= e_fast * (1 + 1e-9)


def test_no_fitting_tile_is_a_clear_error() -> None:
    layer = conv_layer(c=4, k=4, hw=6, kernel=3)
    arch = make_arch(glb="8 b", glb_width="8 b", reg=None)
    with pytest.raises(MappingError, match=r"cannot be mapped on 'test'.*glb"):
        search(layer, arch, costs_for(arch))


def test_more_pes_never_increase_compute_cycles() -> None:
    layer = conv_layer(c=8, k=8, hw=8, kernel=3)
    cycles = []
    for n in (1, 2, 4, 8):
        arch = make_arch(rows=n, cols=n, glb="64 KiB")
        cycles.append(search(layer, arch, costs_for(arch), objective="latency").temporal_iterations)
    assert cycles == sorted(cycles, reverse=True)


@settings(max_examples=15, deadline=None)
@given(
    c=st.sampled_from([2, 4, 8]),
    k=st.sampled_from([2, 4, 8]),
    hw=st.integers(3, 8),
    small=st.sampled_from([64, 128, 256]),
    grow=st.sampled_from([2, 4, 16]),
)
def test_a_bigger_buffer_never_increases_dram_traffic(c: int, k: int, hw: int, small: int, grow: int) -> None:
    """With energy on DRAM accesses only, the best mapping's DRAM traffic never rises when the buffer grows
    (every tiling that fit still fits; the search is exhaustive on these layers)."""
    from accelkit.mapping import UnitCosts

    layer = conv_layer(c=c, k=k, hw=hw, kernel=3 if hw >= 3 else 1)
    traffic = []
    for cap in (small, small * grow):
        arch = make_arch(rows=2, cols=2, glb=f"{cap} B")
        costs = UnitCosts((1e-12, 0.0, 0.0), (1e-12, 0.0, 0.0), mac_j=0.0)
        m = search(layer, arch, costs)
        assert m.info["exhaustive"]
        d = analyze(layer, arch, m).levels["dram"]
        traffic.append(d.total_read_bits + d.total_write_bits)
    assert traffic[1] <= traffic[0]


@st.composite
def any_layer(draw: st.DrawFn) -> Layer:
    """Small layers of every kind the mapper sees."""
    from accelkit.workload.builder import NetworkBuilder

    kind = draw(st.sampled_from(["dilated", "grouped", "depthwise", "transposed", "fc", "attention"]))
    b = NetworkBuilder("t", dtype="int8")
    if kind == "fc":
        x = b.input("x", (draw(st.integers(1, 3)), draw(st.integers(2, 24))))
        b.fc(x, draw(st.integers(1, 12)), name="L")
    elif kind == "attention":
        q = b.input("q", (1, 2, draw(st.integers(2, 8)), 4))
        k = b.input("k", (1, 2, 4, draw(st.integers(2, 8))))
        b.matmul(q, k, name="L")
    else:
        c = draw(st.sampled_from([2, 4]))
        x = b.input("x", (1, c, draw(st.integers(5, 9)), draw(st.integers(5, 9))))
        if kind == "dilated":
            b.conv(x, 4, 3, dilation=2, stride=draw(st.sampled_from([1, 2])), padding="valid", name="L")
        elif kind == "grouped":
            b.conv(x, 4, 3, groups=2, padding="same", name="L")
        elif kind == "depthwise":
            b.depthwise(x, 3, stride=draw(st.sampled_from([1, 2])), padding="same", name="L")
        else:
            b.conv_transpose(x, 3, 3, stride=2, padding=1, name="L")
    return b.layers[-1]


@settings(max_examples=40, deadline=None)
@given(
    layer=any_layer(),
    reg_ops=st.sampled_from([("weight",), ("output",), ("input", "weight", "output")]),
    multicast=st.booleans(),
)
def test_every_layer_kind_agrees_with_the_reference_and_respects_footprints(
    layer: Layer, reg_ops: tuple[str, ...], multicast: bool
) -> None:
    arch = make_arch(reg="64 b", reg_operands=reg_ops, multicast=multicast, glb="2 KiB")
    costs = costs_for(arch)
    m = search(layer, arch, costs)
    counts = analyze(layer, arch, m)
    assert m.info["objective_value"] == pytest.approx(counts_energy(counts, arch, costs), rel=1e-9)
    dram = counts.levels["dram"]
    bits = 8
    assert dram.read_bits[Operand.WEIGHT] >= layer.weight_elements * bits - 1e-6
    outputs = layer.N * layer.G * layer.K * (layer.P * layer.Q if not layer.transposed else 1)
    assert dram.write_bits[Operand.OUTPUT] >= outputs * bits - 1e-6
    for lv in counts.levels.values():
        assert all(v >= 0 for v in (*lv.read_bits.values(), *lv.write_bits.values()))
    assert m.temporal_iterations * m.active_pes >= layer.macs
