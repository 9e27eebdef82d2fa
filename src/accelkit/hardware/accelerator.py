"""The resolved accelerator: SI numbers, immutable, built from an :class:`AcceleratorSpec` by ``from_spec``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from accelkit.spec.accelerator import AcceleratorSpec
from accelkit.workload.ir import DataType, Operand

ALL_OPERANDS = frozenset(Operand)


def default_width_bits(spec: AcceleratorSpec, operands: list[str]) -> int:
    """A level's word width when the spec gives none: the widest operand it holds (psums at the accumulator)."""
    mac = spec.pe_array.mac
    bits = {"input": mac.input, "weight": mac.weight, "output": mac.output}
    return max(DataType.parse(bits[o]).bits for o in operands)


@dataclass(frozen=True)
class MemoryLevel:
    """One level of the memory hierarchy (index 0 = outermost)."""

    name: str
    kind: str
    capacity_bits: float  # per instance; math.inf for DRAM
    width_bits: float
    banks: int
    read_bandwidth: float  # words per cycle (math.inf = unlimited)
    write_bandwidth: float
    operands: frozenset[Operand]
    per_pe: bool = False
    double_buffered: bool = False  # halves usable_bits only (see MemoryLevelSpec.double_buffered)
    overlapped: bool = True  # transfers hide behind compute; False: they add to the latency
    partition: Mapping[Operand, float] | None = None
    interface: str | None = None
    read_energy: float | None = None  # J per word, user override
    write_energy: float | None = None
    leakage: float | None = None  # W, user override
    area: float | None = None  # m^2, user override

    @property
    def usable_bits(self) -> float:
        """Capacity available to one working tile (half of it when double-buffered)."""
        return self.capacity_bits / 2 if self.double_buffered else self.capacity_bits

    def usable_bits_for(self, operand: Operand) -> float | None:
        """Capacity reserved for ``operand`` when partitioned, else None (shared pool)."""
        if self.partition is None or operand not in self.partition:
            return None
        cap = self.partition[operand]
        return cap / 2 if self.double_buffered else cap

    def holds(self, operand: Operand) -> bool:
        return operand in self.operands


@dataclass(frozen=True)
class PEArray:
    rows: int
    cols: int
    clusters: int
    mac_input: DataType
    mac_weight: DataType
    mac_output: DataType
    macs_per_pe: int = 1
    row_dims: tuple[str, ...] | None = None
    col_dims: tuple[str, ...] | None = None

    @property
    def pes(self) -> int:
        return self.rows * self.cols * self.clusters


@dataclass(frozen=True)
class NoC:
    multicast: bool = True
    spatial_reduction: bool = True
    hop_energy: float | None = None


@dataclass(frozen=True)
class Accelerator:
    """An accelerator ready for mapping and pricing."""

    name: str
    pe_array: PEArray
    levels: tuple[MemoryLevel, ...]
    noc: NoC
    node_m: float
    voltage_v: float
    clock_hz: float
    flavor: str | None = None
    dataflow: str = "best"
    energy_overrides: Mapping[str, float] = field(default_factory=dict)
    citation: Mapping[str, Any] | None = None
    published: Mapping[str, Any] = field(default_factory=dict)
    description: str | None = None

    @classmethod
    def from_spec(cls, spec: AcceleratorSpec) -> Accelerator:
        from accelkit.errors import SpecError
        from accelkit.hardware.technology import TechnologyError, threshold_voltage_v

        tech = spec.technology
        try:
            vth = threshold_voltage_v(tech.node, tech.flavor)
        except TechnologyError:
            vth = None  # outside the scaling tables: the estimators will say so
        if vth is not None and tech.voltage <= vth + 0.05:
            raise SpecError(
                [
                    (
                        "technology.voltage",
                        f"{tech.voltage:g} V is at or below the threshold voltage "
                        f"(about {vth:.2f} V at {tech.node * 1e9:g} nm): the circuit would not switch",
                    )
                ],
                source=f"accelerator {spec.name!r}",
            )
        levels = []
        for m in spec.memory:
            widest = default_width_bits(spec, m.operands)
            levels.append(
                MemoryLevel(
                    name=m.name,
                    kind=m.kind,
                    capacity_bits=math.inf if m.capacity is None else float(m.capacity),
                    width_bits=float(m.width) if m.width is not None else float(widest),
                    banks=m.banks,
                    read_bandwidth=m.read_bandwidth if m.read_bandwidth is not None else math.inf,
                    write_bandwidth=m.write_bandwidth if m.write_bandwidth is not None else math.inf,
                    operands=frozenset(Operand(o) for o in m.operands),
                    per_pe=m.per_pe,
                    double_buffered=m.double_buffered,
                    overlapped=m.overlapped,
                    partition={Operand(k): float(v) for k, v in m.partition.items()} if m.partition else None,
                    interface=m.interface,
                    read_energy=m.read_energy,
                    write_energy=m.write_energy,
                    leakage=m.leakage,
                    area=m.area,
                )
            )
        pa = spec.pe_array
        return cls(
            name=spec.name,
            pe_array=PEArray(
                rows=pa.rows,
                cols=pa.cols,
                clusters=pa.clusters,
                mac_input=DataType.parse(pa.mac.input),
                mac_weight=DataType.parse(pa.mac.weight),
                mac_output=DataType.parse(pa.mac.output),
                macs_per_pe=pa.mac.count,
                row_dims=tuple(pa.row_dims) if pa.row_dims else None,
                col_dims=tuple(pa.col_dims) if pa.col_dims else None,
            ),
            levels=tuple(levels),
            noc=NoC(spec.noc.multicast, spec.noc.spatial_reduction, spec.noc.hop_energy),
            node_m=spec.technology.node,
            voltage_v=spec.technology.voltage,
            clock_hz=spec.technology.clock,
            flavor=spec.technology.flavor,
            dataflow=spec.dataflow,
            energy_overrides=dict(spec.energy_overrides),
            citation=spec.citation.model_dump(exclude_none=True) if spec.citation else None,
            published=dict(spec.published),
            description=spec.description,
        )

    # ---- structure --------------------------------------------------------------------------------------------
    @property
    def spatial_level(self) -> int:
        """Index of the first per-PE level: the PE array's spatial fan-out sits just above it (len(levels) if none)."""
        for i, level in enumerate(self.levels):
            if level.per_pe:
                return i
        return len(self.levels)

    def level(self, name: str) -> MemoryLevel:
        for level in self.levels:
            if level.name == name:
                return level
        from accelkit.errors import UnknownNameError

        raise UnknownNameError("memory level", name, [lv.name for lv in self.levels])

    def level_index(self, name: str) -> int:
        return [lv.name for lv in self.levels].index(self.level(name).name)

    def holding_levels(self, operand: Operand) -> tuple[int, ...]:
        """Indices of the levels that keep ``operand``, outermost first (the others are bypassed)."""
        return tuple(i for i, level in enumerate(self.levels) if level.holds(operand))

    @property
    def instances(self) -> tuple[int, ...]:
        """How many physical copies each level has (PE count for per-PE levels)."""
        return tuple(self.pe_array.pes if level.per_pe else 1 for level in self.levels)

    @property
    def on_chip_bits(self) -> float:
        return sum(lv.capacity_bits * n for lv, n in zip(self.levels, self.instances, strict=True) if lv.kind != "dram")

    @property
    def peak_macs_per_second(self) -> float:
        return self.pe_array.pes * self.pe_array.macs_per_pe * self.clock_hz
