"""Mapping: dataflows, the vectorized tiling search, and reuse analysis."""

from accelkit.mapping.mapping import Mapping
from accelkit.mapping.reuse import AccessCounts, analyze
from accelkit.mapping.search import MappingError, UnitCosts, search

__all__ = ["AccessCounts", "Mapping", "MappingError", "UnitCosts", "analyze", "search"]
