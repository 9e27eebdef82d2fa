"""The resolved Accelerator: what a memory level's flags change."""

from __future__ import annotations

import pytest

from accelkit.hardware.accelerator import Accelerator
from accelkit.spec.accelerator import AcceleratorSpec
from accelkit.workload.ir import Operand


def _arch(double_buffered: bool) -> Accelerator:
    spec = AcceleratorSpec.model_validate(
        {
            "name": "db",
            "technology": {"node": "28 nm", "voltage": "0.9 V", "clock": "500 MHz"},
            "pe_array": {"rows": 2, "cols": 2},
            "memory": [
                {"name": "dram", "kind": "dram"},
                {
                    "name": "glb",
                    "kind": "sram",
                    "capacity": "64 KiB",
                    "partition": {"weight": "16 KiB"},
                    "double_buffered": double_buffered,
                },
            ],
        }
    )
    return Accelerator.from_spec(spec)


def test_double_buffering_halves_only_the_usable_capacity() -> None:
    single, double = _arch(False).level("glb"), _arch(True).level("glb")
    assert double.capacity_bits == single.capacity_bits == 64 * 1024 * 8  # priced at the full size
    assert double.usable_bits == single.usable_bits / 2
    assert double.usable_bits_for(Operand.WEIGHT) == pytest.approx(8 * 1024 * 8)
    assert (double.read_bandwidth, double.write_bandwidth) == (single.read_bandwidth, single.write_bandwidth)
