"""Measurements on real weight values: density (exact zeros) and empirical entropy of quantized weights."""

from __future__ import annotations

import numpy as np

from accelkit.workload.ir import WeightStats


def measure_weights(values: np.ndarray, *, quantized: bool | None = None) -> WeightStats:
    """Count exact zeros and, for integer (quantized) weights, the empirical Shannon entropy in bits/weight.

    ``quantized`` defaults to "the array has an integer dtype". Float weights get no entropy: nearly every value
    is distinct, so the empirical entropy would only measure the sample size. For quantized weights, a zero is
    the integer zero (the zero point is 0 for symmetric per-channel int8 weights, as TFLite and ONNX QDQ use).
    """
    arr = np.asarray(values)
    if quantized is None:
        quantized = np.issubdtype(arr.dtype, np.integer)
    flat = arr.reshape(-1)
    n = int(flat.size)
    zeros = int(np.count_nonzero(flat == 0))
    if not quantized or n == 0:
        return WeightStats(elements=n, zeros=zeros)
    _, counts = np.unique(flat, return_counts=True)
    p = counts / n
    entropy = float(-(p * np.log2(p)).sum())
    return WeightStats(elements=n, zeros=zeros, entropy_bits=max(entropy, 0.0), unique_values=int(counts.size))
