"""The evaluate pipeline: counts, latency, memory, aggregate."""

from accelkit.model.evaluate import BreakdownRow, Evaluation, LayerResult, evaluate, rebatch
from accelkit.model.pricing import PricedAccelerator, price

__all__ = ["BreakdownRow", "Evaluation", "LayerResult", "PricedAccelerator", "evaluate", "price", "rebatch"]
