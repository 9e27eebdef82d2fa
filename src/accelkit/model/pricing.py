"""Pricing phase: ask the estimators for every component's per-action energy, area and leakage, once per accelerator.

The clock network is priced here too: ``clock`` is the energy of one cycle of every clock sink (flip-flop bits of
register files and MAC pipeline registers, one pin per latch-memory row and per SRAM bank; see
:func:`accelkit.estimators.builtin.clock_sinks`), overridable with ``energy_overrides: {clock: ...}`` (J per cycle
of the whole ungated network).

Each number keeps the :class:`~accelkit.estimators.base.Estimate` that produced it (estimator, source,
confidence), so an evaluation can say where every joule came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accelkit.estimators import (
    ComponentQuery,
    Estimate,
    estimate_area,
    estimate_energy,
    estimate_leakage,
    level_query,
)
from accelkit.estimators.builtin import clock_sinks
from accelkit.hardware.accelerator import Accelerator, MemoryLevel
from accelkit.hardware.technology import Technology, leakage_power_per_area_w_per_m2
from accelkit.mapping.search import UnitCosts
from accelkit.optimizations.base import ExtraComponent


@dataclass(frozen=True)
class LevelPrices:
    name: str
    read: Estimate  # J per word
    write: Estimate  # J per word
    area: Estimate | None  # m^2 per instance (None for DRAM)
    leakage: Estimate | None  # W per instance (None for DRAM)
    instances: int


@dataclass(frozen=True)
class PricedAccelerator:
    """Per-action prices of one accelerator at its technology and operating point."""

    arch: Accelerator
    tech: Technology
    mac: Estimate  # J per MAC (the hardware MAC at its precision)
    mac_area: Estimate  # m^2 per MAC unit
    adder: Estimate  # J per add (spatial reduction, pooling, elementwise work)
    noc: Estimate  # J per word per hop
    levels: tuple[LevelPrices, ...]
    logic_leakage_w: float  # MAC array leakage
    sources: dict[str, dict[str, str]] = field(default_factory=dict)
    #: hardware that optimization blocks add (codecs, intersection units, ADCs, ...): area and leakage
    extras: tuple[ExtraComponent, ...] = ()
    #: J per clock cycle of the whole clock network, ungated (every sink toggles every cycle); None: not priced
    clock: Estimate | None = None
    #: flip-flop-equivalent clock sinks per component (level names and "mac"), see estimators.builtin.clock_sinks
    clock_sinks: dict[str, float] = field(default_factory=dict)

    @property
    def clock_j_per_cycle(self) -> float:
        """Energy of one cycle of the ungated clock network (all sinks), J."""
        return 0.0 if self.clock is None else self.clock.value

    def clock_j_per_cycle_by_component(self) -> dict[str, float]:
        """The ungated clock energy per cycle split over the components in proportion to their clock sinks."""
        total = sum(self.clock_sinks.values())
        if not total:
            return {}
        per_sink = self.clock_j_per_cycle / total
        return {name: n * per_sink for name, n in self.clock_sinks.items()}

    @property
    def unit_costs(self) -> UnitCosts:
        rd = tuple(lp.read.value / lv.width_bits for lp, lv in zip(self.levels, self.arch.levels, strict=True))
        wr = tuple(lp.write.value / lv.width_bits for lp, lv in zip(self.levels, self.arch.levels, strict=True))
        return UnitCosts(
            read_j_per_bit=rd,
            write_j_per_bit=wr,
            mac_j=self.mac.value,
            noc_j_per_bit=self.noc.value / self.noc_width_bits,
            add_j=self.adder.value,
            # the mapper charges leak_j_per_cycle per cycle of a mapping's latency only, so the (ungated) clock
            # network's energy per cycle is folded into it: both are paid for every cycle the layer runs
            leak_j_per_cycle=self.leakage_w / self.arch.clock_hz + self.clock_j_per_cycle,
        )

    @property
    def noc_width_bits(self) -> float:
        return float(max(self.arch.pe_array.mac_input.bits, self.arch.pe_array.mac_weight.bits))

    @property
    def area_m2(self) -> float:
        levels = sum(lp.area.value * lp.instances for lp in self.levels if lp.area is not None)
        extra = sum(x.area_m2 for x in self.extras)
        return levels + self.mac_area.value * self.arch.pe_array.pes * self.arch.pe_array.macs_per_pe + extra

    @property
    def leakage_w(self) -> float:
        levels = sum(lp.leakage.value * lp.instances for lp in self.levels if lp.leakage is not None)
        return levels + self.logic_leakage_w + sum(x.leakage_w for x in self.extras)

    def area_by_component_m2(self) -> dict[str, float]:
        """On-chip area per component: every on-chip level, the MAC array, and each block's extra hardware."""
        out = {lp.name: lp.area.value * lp.instances for lp in self.levels if lp.area is not None}
        out["mac"] = self.mac_area.value * self.arch.pe_array.pes * self.arch.pe_array.macs_per_pe
        for x in self.extras:
            out[x.name] = out.get(x.name, 0.0) + x.area_m2
        return out


def _level_estimate(
    level: MemoryLevel,
    what: str,
    query: ComponentQuery,
    tech: Technology,
    overrides: dict[str, float],
    instances: int = 1,
) -> Estimate:
    """A level's read/write energy, area or leakage: the spec's own field wins, else the estimators."""
    field_name = {"read": "read_energy", "write": "write_energy", "area": "area", "leakage": "leakage"}[what]
    value = getattr(level, field_name)
    if value is not None:
        unit = {"read": "J", "write": "J", "area": "m^2", "leakage": "W"}[what]
        if what in ("area", "leakage"):  # the spec gives the whole level; prices are per instance
            value = value / instances
        return Estimate(value, unit, "user override", f"spec field memory[{level.name}].{field_name}", "user")
    if what == "area":
        return estimate_area(query, tech, overrides)
    if what == "leakage":
        return estimate_leakage(query, tech, overrides)
    return estimate_energy(query, what, tech, overrides)


def price(arch: Accelerator) -> PricedAccelerator:
    """Price every component of ``arch`` (estimators by priority; spec overrides win)."""
    tech = Technology.from_spec(arch.node_m, arch.voltage_v, arch.clock_hz, arch.flavor)
    overrides = dict(arch.energy_overrides)
    pa = arch.pe_array
    fmt = "fp" if pa.mac_input.is_float or pa.mac_weight.is_float else "int"
    mac_q = ComponentQuery(
        "mac",
        {
            "input_bits": pa.mac_input.bits,
            "weight_bits": pa.mac_weight.bits,
            "accum_bits": pa.mac_output.bits,
            "number_format": fmt,
        },
        name="mac",
    )
    mac = estimate_energy(mac_q, "mac", tech, overrides)
    mac_area = estimate_area(mac_q, tech, overrides)
    adder_q = ComponentQuery("adder", {"bits": pa.mac_output.bits, "number_format": fmt}, name="adder")
    adder = estimate_energy(adder_q, "add", tech, overrides)
    levels = []
    for lv, inst in zip(arch.levels, arch.instances, strict=True):
        q = level_query(lv)
        read = _level_estimate(lv, "read", q, tech, overrides)
        write = _level_estimate(lv, "write", q, tech, overrides)
        area = leak = None
        if lv.kind != "dram":
            area = _level_estimate(lv, "area", q, tech, overrides, inst)
            leak = _level_estimate(lv, "leakage", q, tech, overrides, inst)
        levels.append(LevelPrices(lv.name, read, write, area, leak, inst))
    # one NoC hop = one PE pitch: the side of a square holding a MAC unit and the PE's own storage
    pe_area = mac_area.value * pa.macs_per_pe + sum(
        lp.area.value for lp, lv in zip(levels, arch.levels, strict=True) if lv.per_pe and lp.area is not None
    )
    noc_q = ComponentQuery(
        "noc", {"width_bits": max(pa.mac_input.bits, pa.mac_weight.bits), "hop_m": pe_area**0.5}, name="noc"
    )
    noc = estimate_energy(noc_q, "hop", tech, overrides)
    if arch.noc.hop_energy is not None:
        noc = Estimate(arch.noc.hop_energy, "J", "user override", "spec field noc.hop_energy", "user")
    # MAC-array logic leaks in proportion to its area (technology.leakage_power_per_area_w_per_m2, cited there)
    logic_leak = (
        leakage_power_per_area_w_per_m2(tech.node_m, tech.voltage_v, flavor=tech.flavor)
        * mac_area.value
        * pa.pes
        * pa.macs_per_pe
    )
    sinks = clock_sinks(
        [
            (lv.name, lv.kind, lv.capacity_bits, lv.width_bits, lv.banks, inst)
            for lv, inst in zip(arch.levels, arch.instances, strict=True)
        ],
        pes=pa.pes,
        macs_per_pe=pa.macs_per_pe,
        mac_register_bits=pa.mac_input.bits + pa.mac_weight.bits + pa.mac_output.bits,
    )
    clock_q = ComponentQuery("clock", {"sinks": sum(sinks.values())}, name="clock")
    clock = estimate_energy(clock_q, "tick", tech, overrides)
    sources = {
        "mac": _src(mac),
        "clock": _src(clock),
        "mac.area": _src(mac_area),
        "adder": _src(adder),
        "noc": _src(noc),
        **{f"{lp.name}.read": _src(lp.read) for lp in levels},
        **{f"{lp.name}.write": _src(lp.write) for lp in levels},
    }
    return PricedAccelerator(
        arch, tech, mac, mac_area, adder, noc, tuple(levels), logic_leak, sources, clock=clock, clock_sinks=sinks
    )


def _src(e: Estimate) -> dict[str, str]:
    return {"estimator": e.estimator, "source": e.source, "confidence": e.confidence}
