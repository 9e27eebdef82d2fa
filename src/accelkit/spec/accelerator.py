"""AcceleratorSpec: the PE array, memory hierarchy, NoC, technology and dataflow of an accelerator (YAML or Python).

```yaml
name: edge_npu_int8
technology: {node: 28 nm, voltage: 0.9 V, clock: 500 MHz}
pe_array:
  rows: 16
  cols: 16
  mac: {input: int8, weight: int8, output: int32}
memory:                      # outermost (DRAM) first, registers last
  - {name: dram, kind: dram, interface: LPDDR4, read_bandwidth: 16, write_bandwidth: 16}
  - {name: glb, kind: sram, capacity: 256 KiB, width: 128 b, banks: 8, read_bandwidth: 16, write_bandwidth: 16}
  - {name: wreg, kind: regfile, capacity: 8 b, per_pe: true, operands: [weight]}
dataflow: weight_stationary
```
Bandwidths are in words of the level's ``width`` per cycle of the accelerator clock.

Every physical quantity needs its unit: ``clock: 200`` (Hz or MHz?), ``capacity: 1024`` (bits or bytes?) or
``voltage: 1`` is an error that names the field and gives an example such as ``'200 MHz'``; only a bare ``0``
(zero in every unit) is accepted. Counts (rows, banks) and bandwidths (words per cycle) are plain numbers.
Dumped specs (``model_dump``) write each quantity back as an exact SI unit string, so they validate again.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, ValidationInfo, field_validator, model_validator

from accelkit import units
from accelkit.spec.base import FieldProblems, SpecModel

OperandName = Literal["input", "weight", "output"]
DataflowName = Literal["weight_stationary", "output_stationary", "input_stationary", "row_stationary", "best"]
LoopDimName = Literal["N", "G", "K", "C", "P", "Q", "R", "S"]


def _unit(kind: str) -> BeforeValidator:
    """Parse a unit string (a bare number other than 0 is rejected: see the module docstring)."""

    def parse(v: Any) -> Any:
        if v is None:
            return v
        try:
            return units.parse_quantity(v, kind, require_unit=True)
        except units.UnitError as exc:
            raise ValueError(str(exc)) from None

    return BeforeValidator(parse)


def _as_unit_string(kind: str) -> PlainSerializer:
    return PlainSerializer(lambda v: units.format_si(v, kind), return_type=str)


Bits = Annotated[float, _unit("data"), Field(gt=0), _as_unit_string("data")]
Hertz = Annotated[float, _unit("frequency"), Field(gt=0), _as_unit_string("frequency")]
Volts = Annotated[float, _unit("voltage"), Field(gt=0), _as_unit_string("voltage")]
Meters = Annotated[float, _unit("length"), Field(gt=0), _as_unit_string("length")]
Joules = Annotated[float, _unit("energy"), Field(ge=0), _as_unit_string("energy")]
Watts = Annotated[float, _unit("power"), Field(ge=0), _as_unit_string("power")]
SquareMeters = Annotated[float, _unit("area"), Field(ge=0), _as_unit_string("area")]


def _dtype(v: Any) -> str:
    from accelkit.workload.ir import DataType

    try:
        return str(DataType.parse(v))
    except ValueError as exc:
        raise ValueError(str(exc)) from None


DType = Annotated[str, BeforeValidator(_dtype)]


class Citation(SpecModel):
    """Where a preset's figures come from."""

    authors: str | None = None
    title: str
    venue: str | None = None
    year: int
    doi: str | None = None
    where: str | None = Field(default=None, description="table, figure or section")
    note: str | None = None


class TechnologySpec(SpecModel):
    node: Meters = Field(description="technology node, e.g. '28 nm'")
    voltage: Volts = Field(description="supply voltage, e.g. '0.9 V'")
    flavor: Literal["LP", "HP"] | None = Field(default=None, description="low-power or high-performance process")
    # (declared after node, voltage and flavor: its check reads them)
    clock: Hertz = Field(
        description="clock frequency, e.g. '500 MHz'; at most the node's ceiling at this voltage "
        "(accelkit.hardware.technology.max_clock_hz)"
    )

    @field_validator("node")
    @classmethod
    def _node_range(cls, v: float) -> float:
        if not 3e-9 <= v <= 250e-9:
            raise ValueError(f"technology node must be between 3 nm and 250 nm, got {v * 1e9:g} nm")
        return v

    @field_validator("clock")
    @classmethod
    def _clock_ceiling(cls, v: float, info: ValidationInfo) -> float:
        """Reject a clock above the node's ceiling at this supply (see ``hardware.technology.max_clock_hz``)."""
        if "node" not in info.data or "voltage" not in info.data or "flavor" not in info.data:
            return v  # those fields failed and are reported on their own
        from accelkit.hardware.technology import TechnologyError, max_clock_hz

        node, voltage, flavor = info.data["node"], info.data["voltage"], info.data["flavor"]
        try:
            ceiling = max_clock_hz(node, voltage, flavor)
        except TechnologyError:
            # outside the scaling data (node outside 7-180 nm, a supply near threshold or above 2x nominal):
            # no ceiling can be computed; the supply itself is checked when the accelerator is resolved
            return v
        if v > ceiling:
            where = f"{node * 1e9:g} nm{' ' + flavor if flavor else ''} at {voltage:g} V"
            raise ValueError(
                f"expected at most {ceiling / 1e6:,.0f} MHz, the clock ceiling of {where} (the fastest clock "
                f"CMOS logic has reached at this node, scaled to this supply by the alpha-power law), "
                f"got {v / 1e6:,.6g} MHz"
            )
        return v


class MacSpec(SpecModel):
    """Precision of the MAC unit's operands (what one PE multiplies and accumulates)."""

    input: DType = "int8"
    weight: DType = "int8"
    output: DType = Field(default="int32", description="accumulator / partial-sum precision")
    count: int = Field(
        default=1, ge=1, le=1, description="MAC units per PE (only 1 for now: model more MACs as more PEs)"
    )


class PEArraySpec(SpecModel):
    rows: int = Field(ge=1, description="PE rows")
    cols: int = Field(ge=1, description="PE columns")
    clusters: int = Field(default=1, ge=1, description="identical PE arrays sharing the levels above them")
    mac: MacSpec = Field(default_factory=MacSpec)
    #: Loop dimensions the hardware can unroll along each axis (None = the dataflow decides).
    row_dims: list[LoopDimName] | None = None
    col_dims: list[LoopDimName] | None = None

    @property
    def pes(self) -> int:
        return self.rows * self.cols * self.clusters


class MemoryLevelSpec(SpecModel):
    name: str = Field(min_length=1)
    kind: Literal["dram", "sram", "regfile", "scm"] = Field(description="dram, sram, regfile or scm (latches)")
    capacity: Bits | None = Field(default=None, description="size, e.g. '108 KiB' (per PE if per_pe); dram: none")
    width: Bits | None = Field(default=None, ge=1, description="word width, e.g. '64 b' (default: widest operand)")
    banks: int = Field(default=1, ge=1)
    read_bandwidth: float | None = Field(default=None, gt=0, description="words per cycle (None = unlimited)")
    write_bandwidth: float | None = Field(default=None, gt=0, description="words per cycle (None = unlimited)")
    operands: list[OperandName] = Field(default_factory=lambda: ["input", "weight", "output"])
    per_pe: bool = Field(default=False, description="one instance per PE (capacity is per PE)")
    partition: dict[OperandName, Bits] | None = Field(
        default=None,
        description="fixed capacity per operand instead of one shared pool, e.g. {weight: 448 B, input: 24 B}",
    )
    double_buffered: bool = Field(
        default=False,
        description="only halves the usable capacity: the mapper's tiles (and each partition's) and the whole-model "
        "on-chip residency check get half of it, the other half being the next tile's buffer. Nothing else "
        "changes: whether transfers hide behind compute is the separate 'overlapped' field, and energy, area "
        "and leakage are those of the full capacity",
    )
    overlapped: bool = Field(
        default=True,
        description="whether this level's transfers overlap with compute (prefetching, double buffering); false: "
        "compute waits while the level transfers, so its cycles add to the layer's latency instead of hiding "
        "behind it (e.g. a DRAM link the chip does not overlap)",
    )
    interface: str | None = Field(default=None, description="DRAM interface: LPDDR2, LPDDR4, LPDDR5, DDR4, HBM2")
    read_energy: Joules | None = Field(default=None, description="override: energy per word read, e.g. '2.1 pJ'")
    write_energy: Joules | None = Field(default=None, description="override: energy per word written")
    leakage: Watts | None = Field(
        default=None, description="override: leakage power of the whole level (all PEs' copies for a per-PE level)"
    )
    area: SquareMeters | None = Field(
        default=None, description="override: area of the whole level (all PEs' copies for a per-PE level)"
    )

    @field_validator("operands")
    @classmethod
    def _operands(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("a memory level must hold at least one operand (input, weight, output)")
        if len(set(v)) != len(v):
            raise ValueError(f"operands listed twice: {v}")
        return v

    @model_validator(mode="after")
    def _capacity(self) -> MemoryLevelSpec:
        if self.kind != "dram" and self.capacity is None:
            raise ValueError(f"level {self.name!r}: an on-chip {self.kind} needs a capacity, e.g. '64 KiB'")
        if self.kind == "dram" and self.per_pe:
            raise ValueError(f"level {self.name!r}: DRAM cannot be per PE")
        if self.capacity is not None and self.width is not None and self.capacity < self.width:
            raise ValueError(
                f"level {self.name!r}: capacity {self.capacity:g} b is smaller than one {self.width:g}-bit word"
            )
        if self.partition is not None:
            extra = sorted(set(self.partition) - set(self.operands))
            if extra:
                raise ValueError(f"level {self.name!r}: partition names operands it does not hold: {extra}")
            if self.capacity is not None and sum(self.partition.values()) > self.capacity * (1 + 1e-9):
                raise ValueError(f"level {self.name!r}: partitions add up to more than the capacity")
        return self


class NoCSpec(SpecModel):
    multicast: bool = Field(default=True, description="one read from a shared level can feed many PEs")
    spatial_reduction: bool = Field(default=True, description="partial sums are added across PEs (adder tree)")
    hop_energy: Joules | None = Field(default=None, description="override: energy per word per hop")


class AcceleratorSpec(SpecModel):
    name: str = Field(min_length=1)
    description: str | None = None
    citation: Citation | None = None
    technology: TechnologySpec
    pe_array: PEArraySpec
    memory: list[MemoryLevelSpec] = Field(min_length=1, description="outermost (DRAM) first, registers last")
    noc: NoCSpec = Field(default_factory=NoCSpec)
    dataflow: DataflowName = "best"
    energy_overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="per-action overrides: {'mac': '0.2 pJ', 'glb.read': '6 pJ', 'glb.area': '0.5 mm2', "
        "'glb.leakage': '1 mW', 'clock': '30 pJ'} (component: mac, adder, noc, clock or a memory level; action: "
        "mac, add, hop, tick, read, write, area, leakage; 'clock' is the energy of one cycle of the whole ungated "
        "clock network)",
    )
    #: Published figures the preset must reproduce (checked by golden tests), free-form.
    published: dict[str, Any] = Field(default_factory=dict)

    @field_validator("published", mode="before")
    @classmethod
    def _numbers(cls, v: Any) -> Any:
        """YAML 1.1 reads ``10.0e9`` (no sign in the exponent) as a string: turn such strings into numbers."""
        return _coerce_numbers(v)

    @classmethod
    def cross_field_problems(cls, data: Any) -> list[tuple[str, str]]:
        if not isinstance(data, dict) or not isinstance(data.get("memory"), list):
            return []
        levels = [m for m in data["memory"] if isinstance(m, dict)]
        problems = _memory_problems(levels)
        if isinstance(data.get("energy_overrides"), dict):
            names = [str(m.get("name")) for m in levels]
            problems += _override_problems(data["energy_overrides"], names)
        return problems

    @model_validator(mode="after")
    def _hierarchy(self) -> AcceleratorSpec:
        problems = _memory_problems([m.model_dump() for m in self.memory])
        problems += _override_problems(self.energy_overrides, [m.name for m in self.memory])
        from accelkit.workload.ir import DataType

        mac = self.pe_array.mac
        bits = {"input": mac.input, "weight": mac.weight, "output": mac.output}
        for i, m in enumerate(self.memory):
            width = m.width if m.width is not None else max(DataType.parse(bits[o]).bits for o in m.operands)
            if m.capacity is not None and m.capacity < width:
                problems.append(
                    (f"memory[{i}].capacity", f"{m.capacity:g} b is smaller than one {width:g}-bit word of {m.name!r}")
                )
        acc, widest_in = (
            DataType.parse(mac.output).bits,
            max(DataType.parse(mac.input).bits, DataType.parse(mac.weight).bits),
        )
        if acc < widest_in:
            problems.append(
                (
                    "pe_array.mac.output",
                    f"the accumulator ({mac.output}) is narrower than the operands it sums "
                    f"({mac.input} x {mac.weight})",
                )
            )
        if problems:
            raise FieldProblems(problems)
        return self


_RESERVED_LEVEL_NAMES = frozenset({"mac", "noc", "adder", "leakage", "clock"})
_FLOAT_RE = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


def _coerce_numbers(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _coerce_numbers(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_coerce_numbers(x) for x in v]
    if isinstance(v, str) and _FLOAT_RE.match(v.strip()):
        return float(v)
    return v


_COMPONENT_ACTIONS = {
    "mac": ("mac", "area", "leakage"),
    "adder": ("add", "area", "leakage"),
    "noc": ("hop",),
    "clock": ("tick",),  # energy of one clock cycle of the whole (ungated) clock network
}
_LEVEL_ACTIONS = ("read", "write", "area", "leakage")
_ACTION_UNIT = {"area": "area", "leakage": "power"}


def _override_problems(overrides: dict[str, Any], levels: list[str]) -> list[tuple[str, str]]:
    """Override keys must name a component and one of its actions; values must carry the action's unit."""
    problems: list[tuple[str, str]] = []
    for key, value in overrides.items():
        name, _, action = key.partition(".")
        allowed = _COMPONENT_ACTIONS.get(name) or (_LEVEL_ACTIONS if name in levels else None)
        path = f"energy_overrides.{key}"
        if allowed is None:
            known = ", ".join([*_COMPONENT_ACTIONS, *levels])
            problems.append((path, f"unknown component {name!r}; expected one of {known}"))
            continue
        if action and action not in allowed:
            problems.append((path, f"{name!r} has no action {action!r}; expected one of {', '.join(allowed)}"))
            continue
        if not action and name not in _COMPONENT_ACTIONS:
            problems.append((path, f"give the action too, e.g. '{name}.read'"))
            continue
        try:
            units.parse_quantity(value, _ACTION_UNIT.get(action, "energy"), require_unit=True)
        except units.UnitError as exc:
            problems.append((path, str(exc)))
    return problems


def _memory_problems(levels: list[dict[str, Any]]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    names = [m.get("name") for m in levels]
    for i, n in enumerate(names):
        if n is not None and names.index(n) != i:
            problems.append((f"memory[{i}].name", f"level name {n!r} is used twice"))
    seen_per_pe = False
    for i, m in enumerate(levels):
        if m.get("per_pe"):
            seen_per_pe = True
        elif seen_per_pe:
            problems.append(
                (f"memory[{i}].per_pe", "a shared level cannot sit below a per-PE level (list outermost first)")
            )
        if m.get("name") in _RESERVED_LEVEL_NAMES:
            problems.append(
                (f"memory[{i}].name", f"{m.get('name')!r} is reserved for a breakdown component; choose another name")
            )
        if m.get("kind") in ("sram", "regfile", "scm") and m.get("capacity") is None:
            problems.append((f"memory[{i}].capacity", f"an on-chip {m.get('kind')} needs a capacity, e.g. '64 KiB'"))
        if m.get("kind") == "dram" and i != 0:
            problems.append((f"memory[{i}].kind", "DRAM must be the outermost level (first in the list)"))
    if levels:
        top = levels[0].get("operands") or ["input", "weight", "output"]
        missing = sorted({"input", "weight", "output"} - set(top))
        if missing:
            problems.append(("memory[0].operands", f"the outermost level must hold every operand; missing {missing}"))
    return problems
