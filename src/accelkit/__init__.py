"""accelkit: a construction kit for designing efficient, low-power neural-network accelerators for edge devices.

Public API (more arrives with each capability)::

    import accelkit
    net = accelkit.load_network("mlperf_tiny_ic")          # zoo name, .onnx/.tflite path, or YAML spec
    print(net.macs, net.params)
    df = net.to_dataframe()                                # one row per layer
    stats = accelkit.network_stats(net)                    # totals incl. peak live activation memory
    ev = accelkit.evaluate(net, "eyeriss_v1")              # map every layer, price every action
    print(ev.totals()["energy_j"], ev.to_dataframe())      # tidy breakdown: layer x level x operand x action
    att = accelkit.attribute("examples/kws_tinyml.yaml")  # each optimization block's effect, alone and combined
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from accelkit.attribution import Attribution, attribute
from accelkit.errors import (
    AccelkitError,
    NetworkFileError,
    ShapeError,
    SpecError,
    UnknownNameError,
    UnsupportedOperator,
)
from accelkit.explore import StudyResult, explore
from accelkit.model.evaluate import Evaluation, evaluate
from accelkit.presets import load_accelerator
from accelkit.workload.builder import NetworkBuilder
from accelkit.workload.ir import DataType, Layer, LoopDim, Network, Operand, OpKind, Tensor
from accelkit.workload.loader import load_network
from accelkit.workload.stats import network_stats
from accelkit.workload.zoo import zoo_names

try:
    __version__ = version("accelkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = [
    "AccelkitError",
    "Attribution",
    "DataType",
    "Evaluation",
    "Layer",
    "LoopDim",
    "Network",
    "NetworkBuilder",
    "NetworkFileError",
    "OpKind",
    "Operand",
    "ShapeError",
    "SpecError",
    "StudyResult",
    "Tensor",
    "UnknownNameError",
    "UnsupportedOperator",
    "__version__",
    "attribute",
    "evaluate",
    "explore",
    "load_accelerator",
    "load_network",
    "network_stats",
    "zoo_names",
]
