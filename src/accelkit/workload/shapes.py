"""Shape arithmetic shared by the builder, the zoo and the importers (one place for padding rules)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from accelkit.errors import ShapeError

PaddingArg = str | int | Sequence[int]


def conv_out(
    size: int, kernel: int, stride: int, dilation: int, pad_begin: int, pad_end: int, *, ceil_mode: bool = False
) -> int:
    """Output extent of a direct convolution / pooling window along one axis."""
    span = dilation * (kernel - 1) + 1
    num = size + pad_begin + pad_end - span
    if num < 0:
        raise ShapeError(
            f"window of extent {span} (kernel {kernel}, dilation {dilation}) does not fit an input of "
            f"{size} with padding {pad_begin}+{pad_end}"
        )
    out = (math.ceil(num / stride) if ceil_mode else num // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad_begin:
        out -= 1  # the last window must start inside the input or the left padding (ONNX/PyTorch rule)
    return out


def same_pads(size: int, kernel: int, stride: int, dilation: int, *, upper: bool = True) -> tuple[int, int]:
    """(begin, end) padding of TF/ONNX ``SAME``: output = ceil(size / stride); extra pixel at the end if upper."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    small = total // 2
    return (small, total - small) if upper else (total - small, small)


def resolve_padding(
    padding: PaddingArg,
    in_hw: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> tuple[int, int, int, int]:
    """Turn a padding argument into (top, left, bottom, right).

    ``"same"`` (TF/ONNX SAME_UPPER), ``"same_lower"``, ``"valid"``, an int, ``(ph, pw)`` or
    ``(top, left, bottom, right)``.
    """
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return (0, 0, 0, 0)
        if mode in ("same", "same_upper", "same_lower"):
            upper = mode != "same_lower"
            t, b = same_pads(in_hw[0], kernel[0], stride[0], dilation[0], upper=upper)
            left, r = same_pads(in_hw[1], kernel[1], stride[1], dilation[1], upper=upper)
            return (t, left, b, r)
        raise ValueError(f"unknown padding {padding!r}; expected 'same', 'valid', an int or a tuple")
    if isinstance(padding, int):
        return (padding, padding, padding, padding)
    pads = tuple(int(p) for p in padding)
    if len(pads) == 2:
        return (pads[0], pads[1], pads[0], pads[1])
    if len(pads) == 4:
        return pads  # type: ignore[return-value]
    raise ValueError(f"padding {padding!r} must have 2 or 4 entries")


def pair(value: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    vals = tuple(int(v) for v in value)
    if len(vals) == 1:
        return (vals[0], vals[0])
    if len(vals) != 2:
        raise ValueError(f"expected one or two integers, got {value!r}")
    return vals  # type: ignore[return-value]
