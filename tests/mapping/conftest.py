"""Small accelerators with explicit per-action energies for mapper tests (no estimator involved)."""

from __future__ import annotations

from typing import Any

from accelkit.hardware.accelerator import Accelerator
from accelkit.mapping import UnitCosts
from accelkit.spec.accelerator import AcceleratorSpec
from accelkit.workload.builder import NetworkBuilder
from accelkit.workload.ir import Layer


def make_arch(
    rows: int = 4,
    cols: int = 4,
    glb: str = "4 KiB",
    glb_width: str = "64 b",
    reg: str | None = "8 b",
    reg_operands: tuple[str, ...] = ("weight",),
    dataflow: str = "best",
    multicast: bool = True,
    reduction: bool = True,
    **kw: Any,
) -> Accelerator:
    memory: list[dict[str, Any]] = [
        {"name": "dram", "kind": "dram", "read_bandwidth": 4, "write_bandwidth": 4},
        {"name": "glb", "kind": "sram", "capacity": glb, "width": glb_width, "read_bandwidth": 8, "write_bandwidth": 8},
    ]
    if reg:
        memory.append(
            {"name": "reg", "kind": "regfile", "capacity": reg, "per_pe": True, "operands": list(reg_operands)}
        )
    spec = AcceleratorSpec.model_validate(
        {
            "name": "test",
            "technology": {"node": "45 nm", "voltage": "0.9 V", "clock": "200 MHz"},
            "pe_array": {"rows": rows, "cols": cols},
            "memory": memory,
            "noc": {"multicast": multicast, "spatial_reduction": reduction},
            "dataflow": dataflow,
            **kw,
        }
    )
    return Accelerator.from_spec(spec)


def costs_for(arch: Accelerator) -> UnitCosts:
    per_bit = {"dram": 20e-12, "sram": 0.15e-12, "regfile": 0.01e-12}
    rd = tuple(per_bit[lv.kind] for lv in arch.levels)
    wr = tuple(1.2 * per_bit[lv.kind] for lv in arch.levels)
    return UnitCosts(rd, wr, mac_j=0.2e-12, noc_j_per_bit=0.02e-12, add_j=0.03e-12, leak_j_per_cycle=0.5e-12)


def conv_layer(
    c: int = 4, k: int = 4, hw: int = 6, kernel: int = 3, stride: int = 1, groups: int = 1, batch: int = 1
) -> Layer:
    b = NetworkBuilder("t", dtype="int8")
    x = b.input("x", (batch, c, hw, hw))
    b.conv(x, k, kernel, stride=stride, padding="valid", groups=groups, name="L")
    return b.layers[-1]
