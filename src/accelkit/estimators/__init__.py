"""Energy, area and leakage per component action: the estimator registry and the built-in estimators.

    from accelkit.estimators import ComponentQuery, estimate_energy
    from accelkit.hardware.technology import Technology

    tech = Technology.from_spec("28 nm", "0.9 V", "500 MHz")
    mac = ComponentQuery("mac", {"input_bits": 8, "weight_bits": 8, "accum_bits": 32})
    estimate_energy(mac, "mac", tech)          # Estimate(value=..., unit="J", estimator=..., source=..., ...)

Every built-in number is packaged in ``estimators/data/*.yaml`` with its citation and confidence; see
:mod:`accelkit.estimators.builtin` for the laws.
"""

from __future__ import annotations

from accelkit.estimators import builtin
from accelkit.estimators.base import (
    ACTIONS,
    COMPONENT_KINDS,
    ESTIMATORS,
    ComponentQuery,
    Estimate,
    Estimator,
    EstimatorNotFound,
    estimate_area,
    estimate_energy,
    estimate_leakage,
    level_query,
    registered_estimators,
)

__all__ = [
    "ACTIONS",
    "COMPONENT_KINDS",
    "ESTIMATORS",
    "ComponentQuery",
    "Estimate",
    "Estimator",
    "EstimatorNotFound",
    "builtin",
    "estimate_area",
    "estimate_energy",
    "estimate_leakage",
    "level_query",
    "registered_estimators",
]
