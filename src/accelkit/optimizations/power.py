"""Power gating and duty cycling at an inference rate.

``power_gating``
----------------
Between runs the accelerator sleeps: logic and the memories not retained are power-gated (residual leakage
``gated_leakage_fraction``, an explicit assumption), retained on-chip memories sit at their data-retention voltage
(leakage x ``retention_leakage_fraction``, Qin et al. ISQED 2004: > 90% saved). Every period pays a wake-up energy
``break_even_time x leakage saved per second`` (the definition of the break-even time; the default time is an
explicit assumption) and, when the model lives on chip (residency ``on_chip``) in a level that is not retained, the
reload of the weights from DRAM (priced with the accelerator's own DRAM read and buffer write energies).

The block works in the aggregate phase: it sets ``Evaluation.idle_power_w`` and ``period_energy_j``, and the
inference rate (``inference_rate`` here, else the evaluation's / study's ``evaluate.inference_rate``);
:attr:`Evaluation.average_power_w` then gives the average power. Like a sensible power manager it gates only when
that saves energy (idle time beyond the break-even point); otherwise it leaves the idle power at full leakage and
says so in ``provenance['power_gating']``. Latency and energy per run are unchanged.

Clock gating (of idle PEs and levels during a run) is the separate ``clock_gating`` block: the baseline prices the
clock network every cycle (``model/evaluate.py``), and power gating here covers the idle time between runs.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from accelkit.optimizations.base import OPTIMIZATIONS, Optimization, OptimizationError, OptimizationSpec, cited

if TYPE_CHECKING:  # pragma: no cover
    from accelkit.hardware.accelerator import Accelerator
    from accelkit.model.evaluate import Evaluation
    from accelkit.workload.ir import Network


def default(key: str) -> float:
    """A cited constant of ``data/power.yaml``."""
    return float(cited("power", key))


class PowerGatingSpec(OptimizationSpec):
    kind: Literal["power_gating"] = "power_gating"
    inference_rate: float | None = Field(
        None,
        gt=0,
        description="inferences per second the system runs at (default: the study's evaluate.inference_rate)",
    )
    retained_levels: list[str] | Literal["all", "none"] = Field(
        "all",
        description="on-chip memory levels kept at retention voltage while asleep ('all', 'none' or names); the "
        "others lose their contents (a resident model is then reloaded from DRAM every period)",
    )
    retention_leakage_fraction: float | None = Field(
        None, ge=0, le=1, description="retained memory leakage / nominal (default 0.1: Qin et al., ISQED 2004)"
    )
    gated_leakage_fraction: float | None = Field(
        None, ge=0, le=1, description="power-gated leakage / nominal (default 0.05: an assumption, see data)"
    )
    break_even_cycles: float | None = Field(
        None, ge=0, description="power-gating break-even time in clock cycles (default 100: an assumption)"
    )


@OPTIMIZATIONS.register("power_gating")
class PowerGating(Optimization):
    """Duty cycling: sleep between inferences at retention / gated leakage, pay wake-up (and reload) per period."""

    Spec = PowerGatingSpec
    kind = "power_gating"
    catalog_ids = ("power-gating-duty-cycling",)
    summary = "power-gate the accelerator between inferences (duty cycling at an inference rate)"
    order = 90
    metrics = ("power",)
    example: ClassVar[dict[str, Any]] = {"inference_rate": 10.0}

    def _param(self, name: str, key: str) -> float:
        v = getattr(self.spec, name)
        return default(key) if v is None else float(v)

    @property
    def retention_fraction(self) -> float:
        return self._param("retention_leakage_fraction", "sram_retention_leakage_fraction")

    @property
    def gated_fraction(self) -> float:
        return self._param("gated_leakage_fraction", "gated_logic_leakage_fraction")

    @property
    def break_even_cycles(self) -> float:
        return self._param("break_even_cycles", "break_even_cycles")

    def _retained(self, arch: Accelerator) -> set[str]:
        on_chip = [lv.name for lv in arch.levels if lv.kind != "dram"]
        sel = self.spec.retained_levels  # type: ignore[attr-defined]
        if sel == "all":
            return set(on_chip)
        if sel == "none":
            return set()
        return set(sel)

    def check(self, net: Network, arch: Accelerator) -> list[tuple[str, str]]:
        sel = self.spec.retained_levels  # type: ignore[attr-defined]
        if isinstance(sel, str):
            return []
        names = {lv.name: lv for lv in arch.levels}
        problems = []
        for i, name in enumerate(sel):
            if name not in names:
                problems.append((f"retained_levels[{i}]", f"{arch.name!r} has no level {name!r} ({', '.join(names)})"))
            elif names[name].kind == "dram":
                problems.append((f"retained_levels[{i}]", f"{name!r} is off-chip DRAM, not gated by this block"))
        return problems

    def evaluation(self, ev: Evaluation) -> Evaluation:
        rate = self.spec.inference_rate or ev.inference_rate_ips  # type: ignore[attr-defined]
        if rate is None:
            raise OptimizationError(
                f"block {self.label!r}: field 'inference_rate' is missing -- power gating needs the inference rate "
                "(give it here or as the study's evaluate.inference_rate)"
            )
        ev = replace(ev, inference_rate_ips=float(rate))
        priced, arch = ev.priced, ev.accelerator
        retained = self._retained(arch)
        r, g = self.retention_fraction, self.gated_fraction
        leak_full = priced.leakage_w
        idle_w = (priced.logic_leakage_w + sum(x.leakage_w for x in priced.extras)) * g
        reload_j = 0.0
        # on_chip residency: the whole model sits in the outermost on-chip level (levels[1], below DRAM); if that
        # level is not retained, the weights are reloaded from DRAM every period
        resident = ev.provenance.get("residency") == "on_chip"
        for i, (lv, lp) in enumerate(zip(arch.levels, priced.levels, strict=True)):
            if lp.leakage is None:
                continue
            leak = lp.leakage.value * lp.instances
            if lv.name in retained:
                idle_w += leak * r
                continue
            idle_w += leak * g
            if resident and i == 1:
                from accelkit.workload.stats import storage_bytes

                weights_bits = storage_bytes(ev.network)[0] * 8
                d_lv, d_lp = arch.levels[0], priced.levels[0]
                reload_j += weights_bits / d_lv.width_bits * d_lp.read.value
                reload_j += weights_bits / lv.width_bits * lp.write.value
        t_be = self.break_even_cycles / arch.clock_hz
        wake_j = t_be * max(leak_full - idle_w, 0.0)
        idle_s = max(ev.period_s - ev.latency_s, 0.0)
        saved = idle_s * (leak_full - idle_w) - wake_j - reload_j
        info = {
            "idle_s": idle_s,
            "leakage_w": leak_full,
            "gated_idle_power_w": idle_w,
            "wake_energy_j": wake_j,
            "reload_energy_j": reload_j,
            "retained_levels": sorted(retained),
            "retention_leakage_fraction": r,
            "gated_leakage_fraction": g,
            "break_even_cycles": self.break_even_cycles,
            "gated": saved > 0,
        }
        provenance = {**ev.provenance, "power_gating": info}
        if saved <= 0:  # sleeping would cost more than it saves (or there is no idle time): stay awake
            info["reason"] = "idle time below the break-even point" if idle_s > 0 else "no idle time at this rate"
            return replace(ev, provenance=provenance)
        return replace(
            ev, idle_power_w=idle_w, period_energy_j=ev.period_energy_j + wake_j + reload_j, provenance=provenance
        )
