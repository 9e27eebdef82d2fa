"""Networks the golden tests share: published results that cover only part of a zoo network."""

from __future__ import annotations

from accelkit.workload.ir import Network
from accelkit.workload.zoo import get_network


def up_to_last_conv(name: str, batch: int) -> Network:
    """The zoo network ``name`` at ``batch`` up to its last convolution (AlexNet: CONV1-5 and the pools between
    them; VGG-16: CONV1-13), as the papers that report only the CONV layers measured it."""
    full = get_network(name, batch=batch)
    last = max(i for i, lyr in enumerate(full.layers) if lyr.op == "conv")
    return full.with_layers(full.layers[: last + 1], outputs=full.layers[last].outputs)
