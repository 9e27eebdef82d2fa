"""Clock gating of idle PEs and idle memory levels.

The baseline cost model clocks every sink every cycle (see :mod:`accelkit.model.evaluate`, "Clock network"): the
flip-flops of register files, the MAC pipeline registers, one pin per latch-memory row and per SRAM bank. This block
puts an integrated clock-gating cell (ICG) at the root of each PE's clock branch and of each shared on-chip level,
and per layer stops the clock of

* the PEs the layer's mapping leaves idle (``pes - active_pes``): their per-PE levels and MAC registers; and
* every on-chip level the layer does not access (no read and no write bits): all its sinks, in every PE for a
  per-PE level.

A gated group still pays ``residual_fraction`` of its clock energy (the tree above the ICG: Sitik et al., TVLSI
2016 -- 90% of clock power is in the flip-flops and last branches; ``clock_gating.yaml``). The ICGs add area and
leakage (an ``ExtraComponent``; ``icg_area`` is an explicit assumption). Gating saves energy only: cycles are
unchanged (the counts hook scales the ``("clock", "-", "tick")`` row through ``energy_factor``).

With ``registers: true`` the block also gates every word of the flip-flop register files (the write-enable ICGs
a synthesis tool infers; one word group per partition, words as wide as the port or the partition): in the PEs
and levels still clocked, a word's flip-flops see a clock edge only in the cycles it is written, while each
word's gate is clocked every cycle (a closed Nangate CLKGATE_X1 costs 1.02x a flip-flop's clock energy,
``clock_45nm.yaml``). Per cycle a word group's clock goes from ``bits x E_flip-flop`` to ``words x E_gate +
bits written per compute cycle x E_flip-flop``, for every cycle of the layer: with stalls the written flip-flops
are charged cycles / compute cycles times over (conservative). Where the gates cost more than they save (a word
written every cycle) the layer pays the difference; one-bit words get no gate. The word gates add their area
and leakage like the others.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from accelkit.estimators.builtin import FLIP_FLOP_REGFILE_BITS, icg_over_flip_flop
from accelkit.optimizations.base import (
    CLOCK_KEY,
    OPTIMIZATIONS,
    CountsContext,
    LayerCounts,
    Optimization,
    OptimizationSpec,
    cited,
)

if TYPE_CHECKING:  # pragma: no cover
    from accelkit.hardware.accelerator import Accelerator, MemoryLevel
    from accelkit.model.pricing import PricedAccelerator
    from accelkit.workload.ir import Network, Operand


def _level_unused(lc: LayerCounts, name: str) -> bool:
    """Whether the layer leaves level ``name`` untouched: no read or write, and no block's extra access."""
    t = lc.counts.levels.get(name)
    extra_bits = sum(x.count for x in lc.extra if x.component == name)
    return t is None or t.total_read_bits + t.total_write_bits + extra_bits == 0


def gated_word_groups(lv: MemoryLevel) -> list[tuple[tuple[Operand, ...], float, float]]:
    """The word groups of a flip-flop register file that ``registers: true`` gives a clock gate each:
    ``(operands, capacity bits, word bits)`` per partition (and one for the unpartitioned rest), the word as wide
    as the level's port or the partition if smaller. Empty for other levels; one-bit words are not gated (a gate
    costs as much clock energy as the flip-flop it would stop)."""
    if lv.kind != "regfile" or lv.capacity_bits >= FLIP_FLOP_REGFILE_BITS:
        return []  # only flip-flop arrays clock every bit (estimators.builtin.clock_sinks)
    groups: list[tuple[tuple[Operand, ...], float, float]] = []
    parts = dict(lv.partition or {})
    for o, cap in parts.items():
        if cap > 0:
            groups.append(((o,), float(cap), min(float(cap), lv.width_bits)))
    rest = lv.capacity_bits - sum(parts.values())
    shared = tuple(sorted((o for o in lv.operands if o not in parts), key=lambda o: o.value))
    if rest > 0 and shared:
        groups.append((shared, float(rest), min(float(rest), lv.width_bits)))
    return [g for g in groups if g[2] >= 2]


class ClockGatingSpec(OptimizationSpec):
    kind: Literal["clock_gating"] = "clock_gating"
    gate: Literal["pes_and_levels", "pes", "levels"] = Field(
        "pes_and_levels", description="what gets its own clock gate: idle PEs, unused memory levels, or both"
    )
    registers: bool = Field(
        False,
        description="also gate each word of the flip-flop register files (write-enable clock gates): a word's "
        "flip-flops see a clock edge only in the cycles it is written; each word's gate is clocked every cycle",
    )
    residual_fraction: float | None = Field(
        None,
        ge=0,
        le=1,
        description="clock energy a gated group still draws, as a fraction of its ungated clock energy "
        "(default 0.10: the clock-tree trunk above the gate, after Sitik et al., TVLSI 2016)",
    )


@OPTIMIZATIONS.register("clock_gating")
class ClockGating(Optimization):
    """Stop the clock of idle PEs and of memory levels a layer does not use."""

    Spec = ClockGatingSpec
    kind = "clock_gating"
    catalog_ids = ("clock-gating",)
    summary = "clock-gate idle PEs and unused memory levels (an ICG per PE and per shared level)"
    order = 80
    metrics = ("energy", "power")
    example: ClassVar[dict[str, Any]] = {"gate": "pes_and_levels"}

    @property
    def residual(self) -> float:
        r = self.spec.residual_fraction  # type: ignore[attr-defined]
        return float(cited("clock_gating", "gated_residual_fraction")) if r is None else float(r)

    @property
    def _gate_pes(self) -> bool:
        return self.spec.gate in ("pes_and_levels", "pes")  # type: ignore[attr-defined]

    @property
    def _gate_levels(self) -> bool:
        return self.spec.gate in ("pes_and_levels", "levels")  # type: ignore[attr-defined]

    def check(self, net: Network, arch: Accelerator) -> list[tuple[str, str]]:
        # a user-given clock energy is a figure of the real design, gating included: gating it again double-counts
        if "clock" in arch.energy_overrides or "clock.tick" in arch.energy_overrides:
            return [
                (
                    "gate",
                    f"accelerator {arch.name!r} sets energy_overrides.clock, a per-cycle clock energy that already "
                    "includes whatever clock gating the design has; gating it again would count the saving twice "
                    "(remove the override or this block)",
                )
            ]
        return []

    def _icg_count(self, arch: Accelerator) -> int:
        n = arch.pe_array.pes if self._gate_pes else 0
        if self.spec.registers:  # type: ignore[attr-defined]
            for lv in arch.levels:
                words = sum(math.ceil(cap / word - 1e-9) for _, cap, word in gated_word_groups(lv))
                n += words * (arch.pe_array.pes if lv.per_pe else 1)
        if self._gate_levels:
            n += sum(1 for lv in arch.levels if lv.kind != "dram" and not lv.per_pe)
            if not self._gate_pes:  # per-PE levels then need a gate in every PE
                n += arch.pe_array.pes * sum(1 for lv in arch.levels if lv.per_pe)
        return n

    def prices(self, priced: PricedAccelerator, net: Network) -> PricedAccelerator:
        from accelkit.optimizations.base import ExtraComponent

        n = self._icg_count(priced.arch)
        if not n:
            return priced
        area = n * float(cited("clock_gating", "icg_area")) * 1e-12 * priced.tech.area_factor_from(45e-9)
        leak = area * priced.tech.logic_leakage_w_per_m2()
        icg = ExtraComponent(
            "clock_gates",
            area,
            leak,
            f"{n} ICGs x 4.0 um^2 at 45 nm (assumption, clock_gating.yaml icg_area), area-scaled to the node; "
            "leakage at the logic leakage density",
            self.label,
        )
        return replace(priced, extras=(*priced.extras, icg))

    def gated_fraction(self, lc: LayerCounts, ctx: CountsContext) -> float:
        """Share of the ungated clock energy per cycle that this layer does not need (before the residual)."""
        priced, arch = ctx.priced, ctx.arch
        by_comp = priced.clock_j_per_cycle_by_component()
        total = sum(by_comp.values())
        if not total:
            return 0.0
        per_pe = {lv.name for lv in arch.levels if lv.per_pe} | {"mac"}
        levels = {lv.name: lv for lv in arch.levels}
        pes = arch.pe_array.pes
        idle_pes = max(0.0, 1.0 - min(lc.counts.active_pes, pes) / pes) if self._gate_pes else 0.0
        gated = 0.0
        for name, e in by_comp.items():
            lv = levels.get(name)
            unused = False
            if lv is not None and self._gate_levels:
                unused = _level_unused(lc, name)
            if name == "mac" and self._gate_levels and lc.macs == 0 and not lc.counts.spatial_adds:
                unused = True  # a layer with no MAC work leaves the MAC registers idle
            if unused:
                gated += e
            elif name in per_pe:
                gated += e * idle_pes
        return min(1.0, gated / total)

    def register_saving(self, lc: LayerCounts, ctx: CountsContext) -> float:
        """Share of the ungated clock energy of this layer that word-level gating of the flip-flop register files
        saves in the PEs and levels the other gates leave running (0 without ``registers``; negative where the
        gates cost more than they save, e.g. an accumulator written every cycle)."""
        if not self.spec.registers:  # type: ignore[attr-defined]
            return 0.0
        priced, arch = ctx.priced, ctx.arch
        by_comp = priced.clock_j_per_cycle_by_component()
        total = sum(by_comp.values())
        cycles = lc.compute_cycles
        if not total or cycles <= 0:
            return 0.0
        pes = arch.pe_array.pes
        running_pes = min(lc.counts.active_pes, pes) if self._gate_pes else pes
        gate_ratio = icg_over_flip_flop()
        saved = 0.0
        for lv in arch.levels:
            groups = gated_word_groups(lv)
            if not groups or lv.name not in by_comp:
                continue
            t = lc.counts.levels.get(lv.name)
            if self._gate_levels and _level_unused(lc, lv.name):
                continue  # the level gate already stops it
            sinks = priced.clock_sinks.get(lv.name, 0.0)
            if sinks <= 0:
                continue
            e_ff = by_comp[lv.name] / sinks  # J per flip-flop per cycle
            running = running_pes if lv.per_pe else 1
            for operands, cap, word in groups:
                written = sum(t.write_bits.get(o, 0.0) for o in operands) / cycles if t is not None else 0.0
                words = math.ceil(cap / word - 1e-9)
                before = running * cap * e_ff
                after = running * words * gate_ratio * e_ff + min(written, running * cap) * e_ff
                saved += before - after
        return max(-1.0, min(1.0, saved / total))

    def counts(self, lc: LayerCounts, ctx: CountsContext) -> LayerCounts:
        g = self.gated_fraction(lc, ctx)
        r = self.register_saving(lc, ctx)
        if g <= 0 and r <= 0:
            return lc
        factor = max(0.0, 1.0 - g * (1.0 - self.residual) - r)
        note = f"clock gating: {g:.0%} of the clock sinks idle"
        if r > 0:
            note += f", register words gated when not written ({r:.0%} of the clock saved)"
        return lc.scale_energy(CLOCK_KEY, factor).with_note(f"{note}, clock energy x{factor:.3f}")
