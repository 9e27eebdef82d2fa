"""Workloads: the network IR, importers (ONNX, TFLite), the built-in zoo and statistics."""

from accelkit.workload.builder import NetworkBuilder
from accelkit.workload.ir import (
    DataType,
    Layer,
    LoopDim,
    Network,
    Operand,
    OpKind,
    Tensor,
    WeightSource,
    WeightStats,
)

__all__ = [
    "DataType",
    "Layer",
    "LoopDim",
    "Network",
    "NetworkBuilder",
    "OpKind",
    "Operand",
    "Tensor",
    "WeightSource",
    "WeightStats",
]
