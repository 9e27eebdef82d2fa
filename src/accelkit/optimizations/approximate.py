"""Approximate multipliers: the MAC's multiplier replaced by a cited approximate design.

Model
-----
The designs are EvoApproxLib 8x8 signed multipliers (Mrazek et al., TVLSI 2018), synthesized by their authors to
the 45 nm PDK with power, area and arithmetic error metrics (``data/approximate.yaml``). The block keeps the
accelerator's own prices and scales only their multiplier part by the design's ratio to the exact multiplier of the
same table (so the library's synthesis conditions cancel):

    E_mac' = E_mac - E_mult (1 - P_design / P_exact)        A_mac' = A_mac - A_mult (1 - A_design / A_exact)

with ``E_mult`` / ``A_mult`` the estimators' multiplier at the datapath widths (Horowitz ISSCC 2014 law). MAC-array
leakage follows the area. Cycles and traffic are unchanged.

Accuracy is not modelled: the block reports the design's arithmetic error (MAE, WCE, error probability, MRE) and the
catalog's network-level literature range (:meth:`ApproximateMultiplier.accuracy_effects`). Limits: only 8x8 integer
datapaths (the designs' widths); the adder/accumulator stays exact; a design's delay gain is not turned into clock.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, field_validator

from accelkit.optimizations.base import OPTIMIZATIONS, Optimization, OptimizationSpec, block_data

if TYPE_CHECKING:  # pragma: no cover
    from accelkit.hardware.accelerator import Accelerator
    from accelkit.model.pricing import PricedAccelerator
    from accelkit.workload.ir import Network


def data() -> dict[str, Any]:
    return dict(block_data("approximate"))


def designs() -> dict[str, dict[str, Any]]:
    return data()["designs"]


class ApproximateMultiplierSpec(OptimizationSpec):
    kind: Literal["approximate_multiplier"] = "approximate_multiplier"
    design: str = Field(
        "mul8s_1L2H",
        description="EvoApproxLib 8x8 signed multiplier (Pareto set in power vs MAE): mul8s_1KVB (MAE 0.0064%), "
        "mul8s_1L2H (0.081%), mul8s_1L2D (0.23%), mul8s_1L1G (0.52%), mul8s_1KR3 (3.08%); mul8s_1KV6 is exact",
    )

    @field_validator("design")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in designs():
            raise ValueError(f"unknown design {v!r}; expected one of {', '.join(designs())}")
        return v


@OPTIMIZATIONS.register("approximate_multiplier")
class ApproximateMultiplier(Optimization):
    """Replace the exact multiplier of every MAC by an approximate EvoApproxLib design (energy and area ratios)."""

    Spec = ApproximateMultiplierSpec
    kind = "approximate_multiplier"
    catalog_ids = ("approximate-multipliers",)
    conflicts = ("bit_serial",)
    conflict_reason = "the cited approximate designs are 8x8 parallel multipliers, not bit-serial units"
    summary = "approximate multipliers (EvoApproxLib 8x8): less MAC energy and area at an arithmetic error"
    order = 55
    metrics = ("energy", "area", "accuracy")
    example: ClassVar[dict[str, Any]] = {"design": "mul8s_1L2H"}

    @property
    def design(self) -> dict[str, Any]:
        return designs()[self.spec.design]  # type: ignore[attr-defined]

    @property
    def reference(self) -> dict[str, Any]:
        return designs()[data()["reference_design"]]

    @property
    def energy_ratio(self) -> float:
        """Multiplier energy (power at the same synthesis conditions) relative to the exact design."""
        return float(self.design["power_mw"]) / float(self.reference["power_mw"])

    @property
    def area_ratio(self) -> float:
        return float(self.design["area_um2"]) / float(self.reference["area_um2"])

    def arithmetic_error(self) -> dict[str, float]:
        d = self.design
        return {k: float(d[k]) for k in ("mae_pct", "wce_pct", "ep_pct", "mre_pct")}

    def accuracy_effects(self) -> list[dict[str, Any]]:
        """The catalog's network-level accuracy effects of approximate multipliers (not of this exact design)."""
        from accelkit.optimizations.quantization import _accuracy_effects

        return list(_accuracy_effects(self.catalog_ids))

    def describe(self) -> str:
        err = self.arithmetic_error()
        lit = "; ".join(
            f"{'+' if e['direction'] == 'increase' else '-'}{e['value']:g} {e['unit']} ({e['context']}; {e['source']})"
            for e in self.accuracy_effects()
        )
        return (
            f"{super().describe()}: multiplier energy x{self.energy_ratio:.3f}, area x{self.area_ratio:.3f}; "
            f"arithmetic error MAE {err['mae_pct']:g}% / WCE {err['wce_pct']:g}% of range, MRE {err['mre_pct']:g}%; "
            f"network accuracy not modelled (literature: {lit or 'none'})"
        )

    def check(self, net: Network, arch: Accelerator) -> list[tuple[str, str]]:
        pa = arch.pe_array
        dt = (pa.mac_input, pa.mac_weight)
        if any(d.is_float or d.bits != 8 for d in dt):
            return [
                (
                    "design",
                    f"{self.spec.design} is an 8x8 signed integer multiplier; the MAC datapath of {arch.name!r} is "  # type: ignore[attr-defined]
                    f"{pa.mac_input} x {pa.mac_weight}",
                )
            ]
        return []

    def prices(self, priced: PricedAccelerator, net: Network) -> PricedAccelerator:
        from accelkit.estimators import ComponentQuery, Estimate, estimate_area, estimate_energy

        pa = priced.arch.pe_array
        if any(d.is_float or d.bits != 8 for d in (pa.mac_input, pa.mac_weight)):
            return priced  # check() reports it
        overrides = dict(priced.arch.energy_overrides)
        q = ComponentQuery(
            "multiplier",
            {"input_bits": pa.mac_input.bits, "weight_bits": pa.mac_weight.bits, "number_format": "int"},
            name="multiplier",
        )
        mult = estimate_energy(q, "multiply", priced.tech, overrides).value
        mult_area = estimate_area(q, priced.tech, overrides).value
        mac = max(priced.mac.value - mult * (1 - self.energy_ratio), 0.0)
        area = max(priced.mac_area.value - mult_area * (1 - self.area_ratio), 0.0)
        d = data()["evoapproxlib"]
        src = (
            f"{self.spec.design} ({d['authors']}, {d['title']}, {d['venue']}): multiplier power x"  # type: ignore[attr-defined]
            f"{self.energy_ratio:.3f}, area x{self.area_ratio:.3f} vs the exact mul8s_1KV6 (PDK45) applied to "
        )
        mac_e = Estimate(mac, "J", self.kind, src + f"the {priced.mac.estimator} MAC", "computed")
        area_e = Estimate(area, "m^2", self.kind, src + f"the {priced.mac_area.estimator} MAC area", "computed")
        scale = area / priced.mac_area.value if priced.mac_area.value else 1.0
        sources = {**priced.sources, "mac": _src(mac_e), "mac.area": _src(area_e)}
        return replace(
            priced, mac=mac_e, mac_area=area_e, logic_leakage_w=priced.logic_leakage_w * scale, sources=sources
        )


def _src(e: Any) -> dict[str, str]:
    return {"estimator": e.estimator, "source": e.source, "confidence": e.confidence}
