"""A small graph builder that computes shapes and emits IR layers.

The zoo is written with it, the importers use it too (so a layer means the same thing whatever its origin),
and users can describe a network in Python the way they would in Keras::

    b = NetworkBuilder("tiny", dtype="int8")
    x = b.input("x", (1, 3, 32, 32))
    y = b.conv(x, 16, 3, padding="same", act="relu")
    y = b.global_pool(y)
    y = b.fc(y, 10)
    net = b.build(outputs=[y])

Activation tensors are NCHW. Every method returns the name of the tensor it produced.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from accelkit.errors import ShapeError
from accelkit.workload.ir import (
    INT32,
    DataType,
    Layer,
    LoopDim,
    Network,
    Operand,
    OpKind,
    Tensor,
    WeightSource,
)
from accelkit.workload.shapes import PaddingArg, conv_out, pair, resolve_padding

#: Non-MAC operations charged per output element of an elementwise or activation function.
#: (A modelling convention, documented here and in the layer table: one op per arithmetic step.)
ELEMENTWISE_OPS_PER_ELEMENT: Mapping[str, int] = {
    "add": 1,
    "sub": 1,
    "mul": 1,
    "div": 1,
    "max": 1,
    "min": 1,
    "relu": 1,
    "relu6": 1,
    "clip": 1,
    "leaky_relu": 2,
    "prelu": 2,
    "sigmoid": 4,
    "tanh": 4,
    "hardswish": 4,
    "hardsigmoid": 3,
    "gelu": 8,
    "swish": 5,
    "exp": 1,
    "sqrt": 1,
    "neg": 1,
    "abs": 1,
    # softmax: exp, running sum, divide (max-subtraction folded into exp's range reduction)
    "softmax": 3,
    "batchnorm": 2,
    "layernorm": 5,
}


def folded_norm_params(channels: int, *, bias: bool) -> int:
    """Trainable parameters a batch norm folded into a layer adds beyond the layer's (now deployed) bias.

    A folded BN leaves one bias per channel in the deployed layer. Trainable-parameter counts (torchvision,
    Keras ``trainable_params``) count gamma and beta: beta takes the bias slot when the layer had no bias of its
    own (so ``channels`` more), and both are extra when it had one (``2 * channels``). The BN's running mean and
    variance are statistics, not parameters.
    """
    return (2 if bias else 1) * channels


class NetworkBuilder:
    """Build a :class:`Network` layer by layer; shapes are inferred and validated as you go."""

    def __init__(
        self,
        name: str,
        *,
        dtype: str | DataType = "fp32",
        weight_dtype: str | DataType | None = None,
        bias_dtype: str | DataType | None = None,
        source: str | None = None,
    ) -> None:
        self.name = name
        self.act_dtype = DataType.parse(dtype)
        self.weight_dtype = DataType.parse(weight_dtype) if weight_dtype else self.act_dtype
        if bias_dtype:
            self.bias_dtype = DataType.parse(bias_dtype)
        else:
            self.bias_dtype = self.act_dtype if self.act_dtype.is_float else INT32
        self.source = source
        self.tensors: dict[str, Tensor] = {}
        self.layers: list[Layer] = []
        self.inputs: list[str] = []
        self._counts: dict[str, int] = {}
        self.provenance: dict[str, Any] = {}

    # ---- naming & tensors ---------------------------------------------------------------------------------
    def _name(self, prefix: str, name: str | None) -> str:
        if name:
            if any(layer.name == name for layer in self.layers):
                raise ValueError(f"duplicate layer name {name!r}")
            return name
        while True:
            self._counts[prefix] = self._counts.get(prefix, 0) + 1
            candidate = f"{prefix}{self._counts[prefix]}"
            if all(layer.name != candidate for layer in self.layers):
                return candidate

    def shape(self, tensor: str) -> tuple[int, ...]:
        try:
            return self.tensors[tensor].shape
        except KeyError:
            raise ShapeError(f"unknown tensor {tensor!r}", source=self.source) from None

    def dtype(self, tensor: str) -> DataType:
        return self.tensors[tensor].dtype

    def _new_tensor(
        self,
        name: str,
        shape: Sequence[int],
        dtype: DataType | None = None,
        quantization: Mapping[str, Any] | None = None,
    ) -> str:
        if name in self.tensors:
            raise ValueError(f"tensor {name!r} is produced twice")
        self.tensors[name] = Tensor(
            name, tuple(int(d) for d in shape), dtype or self.act_dtype, quantization=quantization
        )
        return name

    def input(
        self,
        name: str,
        shape: Sequence[int],
        dtype: str | DataType | None = None,
        quantization: Mapping[str, Any] | None = None,
    ) -> str:
        self._new_tensor(name, shape, DataType.parse(dtype) if dtype else self.act_dtype, quantization)
        self.inputs.append(name)
        return name

    def _add(
        self,
        layer: Layer,
        out_shape: Sequence[int],
        out_dtype: DataType | None = None,
        out_name: str | None = None,
        quantization: Mapping[str, Any] | None = None,
    ) -> str:
        out = out_name or layer.outputs[0]
        self._new_tensor(out, out_shape, out_dtype or layer.precision[Operand.OUTPUT], quantization)
        self.layers.append(layer)
        return out

    def _precision(
        self, x: str, *, weight: DataType | None, out: DataType | None, has_weight: bool = True
    ) -> dict[Operand, DataType]:
        in_dt = self.dtype(x)
        return {
            Operand.INPUT: in_dt,
            Operand.WEIGHT: (weight or self.weight_dtype) if has_weight else in_dt,
            Operand.OUTPUT: out or in_dt,
        }

    @staticmethod
    def _nchw(shape: tuple[int, ...], what: str) -> tuple[int, int, int, int]:
        if len(shape) == 4:
            return shape  # type: ignore[return-value]
        if len(shape) == 3:  # (N, C, L): 1-D conv as H=1
            return (shape[0], shape[1], 1, shape[2])
        raise ShapeError(f"{what} expects a 3-D or 4-D (N, C, H, W) input, got shape {list(shape)}")

    # ---- compute layers -----------------------------------------------------------------------------------
    def conv(
        self,
        x: str,
        out_channels: int,
        kernel: int | Sequence[int],
        *,
        stride: int | Sequence[int] = 1,
        padding: PaddingArg = "same",
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        bias: bool = True,
        bn: bool = False,
        act: str | None = None,
        name: str | None = None,
        out: str | None = None,
        weight_dtype: str | DataType | None = None,
        out_dtype: str | DataType | None = None,
        **extra: Any,
    ) -> str:
        """A (grouped / depthwise) 2-D convolution. ``bn=True`` folds a batch norm (2 trainable params/ch)."""
        n, c_in, h, w = self._nchw(self.shape(x), "conv")
        kh, kw = pair(kernel)
        sh, sw = pair(stride)
        dh, dw = pair(dilation)
        if groups <= 0 or c_in % groups or out_channels % groups:
            raise ShapeError(
                f"conv {name or ''}: groups={groups} must divide input channels {c_in} and output channels "
                f"{out_channels}",
                source=self.source,
            )
        pads = resolve_padding(padding, (h, w), (kh, kw), (sh, sw), (dh, dw))
        p = conv_out(h, kh, sh, dh, pads[0], pads[2])
        q = conv_out(w, kw, sw, dw, pads[1], pads[3])
        depthwise = groups == c_in and groups > 1
        op = OpKind.DEPTHWISE if depthwise else OpKind.CONV
        lname = self._name("dw" if depthwise else "conv", name)
        wdt = DataType.parse(weight_dtype) if weight_dtype else None
        odt = DataType.parse(out_dtype) if out_dtype else None
        fused = tuple(extra.pop("fused", ())) + (("BatchNorm",) if bn else ()) + ((act,) if act else ())
        layer = Layer(
            name=lname,
            op=op,
            op_type=extra.pop("op_type", "conv"),
            dims={
                LoopDim.N: n,
                LoopDim.G: groups,
                LoopDim.K: out_channels // groups,
                LoopDim.C: c_in // groups,
                LoopDim.P: p,
                LoopDim.Q: q,
                LoopDim.R: kh,
                LoopDim.S: kw,
            },
            inputs=(x,),
            outputs=(out or lname,),
            stride=(sh, sw),
            dilation=(dh, dw),
            padding=pads,
            weight_source=WeightSource.CONSTANT,
            weight_tensor=extra.pop("weight_tensor", f"{lname}.weight"),
            bias=bias or bn,
            norm_params=folded_norm_params(out_channels, bias=bias) if bn else 0,
            precision=self._precision(x, weight=wdt, out=odt),
            bias_dtype=self.bias_dtype if (bias or bn) else None,
            ops=self._act_ops(act, n * out_channels * p * q),
            fused=fused,
            **extra,
        )
        return self._add(layer, (n, out_channels, p, q) if len(self.shape(x)) == 4 else (n, out_channels, q))

    def depthwise(self, x: str, kernel: int | Sequence[int], *, multiplier: int = 1, **kw: Any) -> str:
        c_in = self._nchw(self.shape(x), "depthwise")[1]
        return self.conv(x, c_in * multiplier, kernel, groups=c_in, **kw)

    def conv_transpose(
        self,
        x: str,
        out_channels: int,
        kernel: int | Sequence[int],
        *,
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] = 0,
        output_padding: int | Sequence[int] = 0,
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        bias: bool = True,
        act: str | None = None,
        name: str | None = None,
        out: str | None = None,
        out_shape_hw: tuple[int, int] | None = None,
        weight_dtype: str | DataType | None = None,
        out_dtype: str | DataType | None = None,
        **extra: Any,
    ) -> str:
        """Transposed convolution; the loop nest runs over input pixels (each scatters into R x S outputs)."""
        n, c_in, h, w = self._nchw(self.shape(x), "conv_transpose")
        kh, kw = pair(kernel)
        sh, sw = pair(stride)
        dh, dw = pair(dilation)
        oph, opw = pair(output_padding)
        pads = (
            resolve_padding(padding, (h, w), (kh, kw), (1, 1), (1, 1)) if not isinstance(padding, str) else (0, 0, 0, 0)
        )
        if c_in % groups or out_channels % groups:
            raise ShapeError(
                f"conv_transpose: groups={groups} must divide channels {c_in}/{out_channels}", source=self.source
            )
        if out_shape_hw is None:
            oh = (h - 1) * sh - pads[0] - pads[2] + dh * (kh - 1) + oph + 1
            ow = (w - 1) * sw - pads[1] - pads[3] + dw * (kw - 1) + opw + 1
        else:
            oh, ow = out_shape_hw
        if oh <= 0 or ow <= 0:
            raise ShapeError(f"conv_transpose {name or ''}: output size {oh}x{ow} is not positive", source=self.source)
        lname = self._name("deconv", name)
        fused = tuple(extra.pop("fused", ())) + ((act,) if act else ())
        layer = Layer(
            name=lname,
            op=OpKind.CONV,
            op_type=extra.pop("op_type", "conv_transpose"),
            dims={
                LoopDim.N: n,
                LoopDim.G: groups,
                LoopDim.K: out_channels // groups,
                LoopDim.C: c_in // groups,
                LoopDim.P: h,
                LoopDim.Q: w,
                LoopDim.R: kh,
                LoopDim.S: kw,
            },
            inputs=(x,),
            outputs=(out or lname,),
            stride=(sh, sw),
            dilation=(dh, dw),
            padding=pads,
            transposed=True,
            weight_source=WeightSource.CONSTANT,
            weight_tensor=extra.pop("weight_tensor", f"{lname}.weight"),
            bias=bias,
            precision=self._precision(
                x,
                weight=DataType.parse(weight_dtype) if weight_dtype else None,
                out=DataType.parse(out_dtype) if out_dtype else None,
            ),
            bias_dtype=self.bias_dtype if bias else None,
            ops=self._act_ops(act, n * out_channels * oh * ow),
            fused=fused,
            **extra,
        )
        return self._add(layer, (n, out_channels, oh, ow))

    def fc(
        self,
        x: str,
        out_features: int,
        *,
        bias: bool = True,
        act: str | None = None,
        name: str | None = None,
        out: str | None = None,
        weight_dtype: str | DataType | None = None,
        out_dtype: str | DataType | None = None,
        **extra: Any,
    ) -> str:
        """Fully connected layer; a 4-D input is flattened (a free view, not a layer)."""
        shape = self.shape(x)
        n = shape[0]
        c = math.prod(shape[1:]) if len(shape) > 1 else 1
        lname = self._name("fc", name)
        wdt = DataType.parse(weight_dtype) if weight_dtype else None
        odt = DataType.parse(out_dtype) if out_dtype else None
        fused = tuple(extra.pop("fused", ())) + ((act,) if act else ())
        layer = Layer(
            name=lname,
            op=OpKind.FC,
            op_type=extra.pop("op_type", "fc"),
            dims={LoopDim.N: n, LoopDim.K: out_features, LoopDim.C: c},
            inputs=(x,),
            outputs=(out or lname,),
            weight_source=WeightSource.CONSTANT,
            weight_tensor=extra.pop("weight_tensor", f"{lname}.weight"),
            bias=bias,
            precision=self._precision(x, weight=wdt, out=odt),
            bias_dtype=self.bias_dtype if bias else None,
            ops=self._act_ops(act, n * out_features),
            fused=fused,
            **extra,
        )
        return self._add(layer, (n, out_features))

    def linear(
        self,
        x: str,
        out_features: int,
        *,
        bias: bool = True,
        act: str | None = None,
        name: str | None = None,
        out: str | None = None,
        weight_dtype: str | DataType | None = None,
        out_dtype: str | DataType | None = None,
        **extra: Any,
    ) -> str:
        """``x[..., M, C] @ W[C, K]`` with a constant weight shared by every row (a transformer projection).

        All leading dimensions fold into the ``P`` loop; the op is ``matmul`` (``fc`` when the input is 2-D).
        """
        shape = self.shape(x)
        if len(shape) < 2:
            raise ShapeError(f"linear expects at least a 2-D input, got {list(shape)}", source=self.source)
        if len(shape) == 2:
            return self.fc(
                x,
                out_features,
                bias=bias,
                act=act,
                name=name,
                out=out,
                weight_dtype=weight_dtype,
                out_dtype=out_dtype,
                **extra,
            )
        c = shape[-1]
        rows = math.prod(shape[:-1])
        lname = self._name("linear", name)
        fused = tuple(extra.pop("fused", ())) + ((act,) if act else ())
        layer = Layer(
            name=lname,
            op=OpKind.MATMUL,
            op_type=extra.pop("op_type", "linear"),
            dims={LoopDim.P: rows, LoopDim.K: out_features, LoopDim.C: c},
            inputs=(x,),
            outputs=(out or lname,),
            weight_source=WeightSource.CONSTANT,
            weight_tensor=extra.pop("weight_tensor", f"{lname}.weight"),
            bias=bias,
            precision=self._precision(
                x,
                weight=DataType.parse(weight_dtype) if weight_dtype else None,
                out=DataType.parse(out_dtype) if out_dtype else None,
            ),
            bias_dtype=self.bias_dtype if bias else None,
            ops=self._act_ops(act, rows * out_features),
            fused=fused,
            **extra,
        )
        return self._add(layer, (*shape[:-1], out_features))

    def matmul(
        self,
        a: str,
        b: str,
        *,
        name: str | None = None,
        out: str | None = None,
        out_dtype: str | DataType | None = None,
        **extra: Any,
    ) -> str:
        """Batched matmul of two activations ``a[..., M, C] @ b[..., C, K]`` (attention QK^T and AV).

        Batch dimensions (broadcast per numpy rules) become ``G``; ``b`` is the dynamic weight operand. The output
        precision defaults to ``a``'s.
        """
        sa, sb = self.shape(a), self.shape(b)
        if len(sa) < 2 or len(sb) < 2 or sa[-1] != sb[-2]:
            raise ShapeError(f"matmul: shapes {list(sa)} and {list(sb)} do not multiply", source=self.source)
        batch = _broadcast(sa[:-2], sb[:-2], self.source)
        m, c, k = sa[-2], sa[-1], sb[-1]
        lname = self._name("matmul", name)
        layer = Layer(
            name=lname,
            op=OpKind.MATMUL,
            op_type=extra.pop("op_type", "matmul"),
            dims={LoopDim.G: math.prod(batch) if batch else 1, LoopDim.P: m, LoopDim.K: k, LoopDim.C: c},
            inputs=(a, b),
            outputs=(out or lname,),
            weight_source=WeightSource.ACTIVATION,
            weight_tensor=b,
            precision={
                Operand.INPUT: self.dtype(a),
                Operand.WEIGHT: self.dtype(b),
                Operand.OUTPUT: DataType.parse(out_dtype) if out_dtype else self.dtype(a),
            },
            **extra,
        )
        return self._add(layer, (*batch, m, k))

    # ---- non-MAC layers -----------------------------------------------------------------------------------
    def pool(
        self,
        x: str,
        kind: str,
        kernel: int | Sequence[int],
        *,
        stride: int | Sequence[int] | None = None,
        padding: PaddingArg = "valid",
        ceil_mode: bool = False,
        name: str | None = None,
        out: str | None = None,
        **extra: Any,
    ) -> str:
        """Max or average pooling; work counted as one op per window element per output."""
        if kind not in ("max", "avg"):
            raise ValueError(f"pool kind must be 'max' or 'avg', got {kind!r}")
        n, c, h, w = self._nchw(self.shape(x), "pool")
        kh, kw = pair(kernel)
        sh, sw = pair(stride if stride is not None else (kh, kw))
        pads = resolve_padding(padding, (h, w), (kh, kw), (sh, sw), (1, 1))
        p = conv_out(h, kh, sh, 1, pads[0], pads[2], ceil_mode=ceil_mode)
        q = conv_out(w, kw, sw, 1, pads[1], pads[3], ceil_mode=ceil_mode)
        lname = self._name(f"{kind}pool", name)
        layer = Layer(
            name=lname,
            op=OpKind.POOL,
            op_type=extra.pop("op_type", f"{kind}_pool"),
            dims={LoopDim.N: n, LoopDim.G: c, LoopDim.P: p, LoopDim.Q: q, LoopDim.R: kh, LoopDim.S: kw},
            inputs=(x,),
            outputs=(out or lname,),
            stride=(sh, sw),
            padding=pads,
            precision=self._precision(x, weight=None, out=None, has_weight=False),
            ops=n * c * p * q * kh * kw,
            attrs={"pool": kind, **extra.pop("attrs", {})},
            **extra,
        )
        return self._add(layer, (n, c, p, q))

    def global_pool(self, x: str, kind: str = "avg", **kw: Any) -> str:
        shape = self._nchw(self.shape(x), "global_pool")
        return self.pool(x, kind, (shape[2], shape[3]), stride=1, padding="valid", **kw)

    def eltwise(
        self,
        inputs: Sequence[str],
        fn: str,
        *,
        name: str | None = None,
        out: str | None = None,
        out_shape: Sequence[int] | None = None,
        **extra: Any,
    ) -> str:
        """An elementwise op over one or more (broadcast) inputs: add, mul, relu, softmax, ..."""
        shapes = [self.shape(t) for t in inputs]
        oshape = tuple(out_shape) if out_shape is not None else shapes[0]
        if out_shape is None:
            for s in shapes[1:]:
                oshape = _broadcast(oshape, s, self.source)
        per = ELEMENTWISE_OPS_PER_ELEMENT.get(fn, 1)
        # NCHW tensors: G = channels, P = pixels; any other rank: N = leading axis, P = the rest
        n = oshape[0] if len(oshape) > 1 else 1
        channels = oshape[1] if len(oshape) == 4 else 1
        spatial = math.prod(oshape) // (n * channels)
        fused_ops = sum(ELEMENTWISE_OPS_PER_ELEMENT.get(f, 1) for f in extra.get("fused", ()))
        lname = self._name(fn, name)
        layer = Layer(
            name=lname,
            op=OpKind.ELTWISE,
            op_type=extra.pop("op_type", fn),
            dims={LoopDim.N: n, LoopDim.G: channels, LoopDim.P: spatial},
            inputs=tuple(inputs),
            outputs=(out or lname,),
            precision=self._precision(inputs[0], weight=None, out=extra.pop("out_dtype", None), has_weight=False),
            ops=(per + fused_ops) * math.prod(oshape),
            attrs={"fn": fn, **extra.pop("attrs", {})},
            **extra,
        )
        return self._add(layer, oshape)

    def add(self, a: str, b: str, *, act: str | None = None, **kw: Any) -> str:
        if act:
            kw.setdefault("fused", (act,))
        return self.eltwise([a, b], "add", **kw)

    def activation(self, x: str, fn: str, **kw: Any) -> str:
        return self.eltwise([x], fn, **kw)

    def softmax(self, x: str, **kw: Any) -> str:
        return self.eltwise([x], "softmax", **kw)

    def data_movement(
        self,
        inputs: Sequence[str],
        fn: str,
        out_shape: Sequence[int],
        *,
        name: str | None = None,
        out: str | None = None,
        **extra: Any,
    ) -> str:
        """A layer that moves or rearranges data without arithmetic (concat, transpose, pad, resize, slice)."""
        lname = self._name(fn, name)
        layer = Layer(
            name=lname,
            op=OpKind.OTHER,
            op_type=extra.pop("op_type", fn),
            dims={LoopDim.P: math.prod(out_shape)},
            inputs=tuple(inputs),
            outputs=(out or lname,),
            precision=self._precision(inputs[0], weight=None, out=None, has_weight=False),
            attrs={"fn": fn, **extra.pop("attrs", {})},
            **extra,
        )
        return self._add(layer, tuple(out_shape))

    def concat(self, xs: Sequence[str], axis: int = 1, **kw: Any) -> str:
        shapes = [self.shape(t) for t in xs]
        rank = len(shapes[0])
        ax = axis % rank
        for s in shapes[1:]:
            if len(s) != rank or any(s[i] != shapes[0][i] for i in range(rank) if i != ax):
                raise ShapeError(
                    f"concat: shapes {[list(s) for s in shapes]} differ outside axis {axis}", source=self.source
                )
        oshape = list(shapes[0])
        oshape[ax] = sum(s[ax] for s in shapes)
        return self.data_movement(xs, "concat", oshape, **kw)

    def transpose(
        self, x: str, perm: Sequence[int], *, name: str | None = None, out: str | None = None, **extra: Any
    ) -> str:
        """Permute the axes of ``x`` (a transformer's head split/merge): a data-movement layer, since the
        elements change memory order (a reshape that keeps the order is a free :meth:`view` instead)."""
        shape = self.shape(x)
        perm = tuple(int(i) for i in perm)
        if sorted(perm) != list(range(len(shape))):
            raise ShapeError(
                f"transpose: {list(perm)} is not a permutation of the axes of {list(shape)}", source=self.source
            )
        attrs = {"perm": perm, **extra.pop("attrs", {})}
        return self.data_movement([x], "transpose", [shape[i] for i in perm], name=name, out=out, attrs=attrs, **extra)

    # ---- parameters outside the loop nests ----------------------------------------------------------------
    def constant(self, name: str, shape: Sequence[int], dtype: str | DataType | None = None) -> str:
        """Register a constant tensor (an embedding table, a class token, a position embedding); adds no layer.

        A layer that reads it lists it among its inputs and counts its elements in ``attrs["extra_params"]``.
        """
        if name in self.tensors:
            raise ValueError(f"tensor {name!r} is produced twice")
        dt = DataType.parse(dtype) if dtype else self.weight_dtype
        self.tensors[name] = Tensor(name, tuple(int(d) for d in shape), dt, is_constant=True)
        return name

    def layernorm(
        self, x: str, *, affine: bool = True, name: str | None = None, out: str | None = None, **extra: Any
    ) -> str:
        """Layer normalization over the last axis: an elementwise layer (``fn="layernorm"``).

        Its gamma and beta (2 per feature when ``affine``) are in ``attrs["extra_params"]``.
        """
        features = self.shape(x)[-1]
        attrs: dict[str, Any] = {"axis": -1, **extra.pop("attrs", {})}
        if affine:
            attrs["extra_params"] = attrs.get("extra_params", 0) + 2 * features
        return self.eltwise([x], "layernorm", name=name, out=out, attrs=attrs, **extra)

    def embedding(
        self,
        ids: str,
        num_embeddings: int,
        dim: int,
        *,
        table: str | None = None,
        name: str | None = None,
        out: str | None = None,
        **extra: Any,
    ) -> str:
        """Look up rows of a ``num_embeddings x dim`` constant table by the integer ``ids``: a gather.

        A data-movement layer (no arithmetic) whose output is ``(*ids.shape, dim)`` at the activation precision.
        The table is a constant tensor (``table``, created if missing); its elements are counted once, in
        ``attrs["extra_params"]`` of the lookup that creates it (a second lookup of the same table adds none).
        """
        lname = self._name("embedding", name)
        tname = table or f"{lname}.weight"
        new_table = tname not in self.tensors
        if new_table:
            self.constant(tname, (num_embeddings, dim))
        elif self.shape(tname) != (num_embeddings, dim):
            raise ShapeError(f"embedding {lname}: table {tname!r} has shape {list(self.shape(tname))}")
        out_shape = (*self.shape(ids), dim)
        attrs: dict[str, Any] = {"fn": "gather", "table": tname, "num_embeddings": num_embeddings, "dim": dim}
        if new_table:
            attrs["extra_params"] = num_embeddings * dim
        layer = Layer(
            name=lname,
            op=OpKind.OTHER,
            op_type=extra.pop("op_type", "gather"),
            dims={LoopDim.P: math.prod(out_shape)},
            inputs=(ids, tname),
            outputs=(out or lname,),
            precision={
                Operand.INPUT: self.dtype(ids),
                Operand.WEIGHT: self.dtype(tname),
                Operand.OUTPUT: self.act_dtype,
            },
            attrs={**attrs, **extra.pop("attrs", {})},
            **extra,
        )
        return self._add(layer, out_shape)

    # ---- views and fusion ---------------------------------------------------------------------------------
    def view(
        self,
        x: str,
        shape: Sequence[int],
        *,
        out: str | None = None,
        op: str = "reshape",
        dtype: str | DataType | None = None,
        quantization: Mapping[str, Any] | None = None,
    ) -> str:
        """A free view of ``x`` with a new shape (reshape, flatten, squeeze): no layer, the buffer is shared.

        ``dtype``/``quantization`` override what the view inherits from ``x`` (an importer's QuantizeLinear is an
        int8 view of its float input).
        """
        shape = tuple(int(d) for d in shape)
        if math.prod(shape) != math.prod(self.shape(x)):
            raise ShapeError(f"{op}: cannot view {list(self.shape(x))} as {list(shape)}", source=self.source)
        name = out or self._name(f"{x}.{op}", None)
        if name in self.tensors:
            raise ValueError(f"tensor {name!r} is produced twice")
        self.tensors[name] = Tensor(
            name,
            shape,
            DataType.parse(dtype) if dtype else self.dtype(x),
            alias_of=x,
            quantization=quantization if quantization is not None else self.tensors[x].quantization,
        )
        self.provenance.setdefault("elided_ops", {})
        self.provenance["elided_ops"][op] = self.provenance["elided_ops"].get(op, 0) + 1
        return name

    def producer_of(self, x: str) -> Layer | None:
        while (t := self.tensors.get(x)) is not None and t.alias_of is not None:
            x = t.alias_of
        return next((layer for layer in reversed(self.layers) if x in layer.outputs), None)

    def _replace_layer(self, old: Layer, new: Layer) -> None:
        self.layers[self.layers.index(old)] = new

    def _check_unconsumed(self, x: str, what: str) -> Layer:
        layer = self.producer_of(x)
        if layer is None:
            raise ValueError(f"cannot fuse {what} into {x!r}: it is not produced by a layer")
        base = {x, *layer.outputs}
        if any(set(later.inputs) & base for later in self.layers if later is not layer):
            raise ValueError(f"cannot fuse {what} into {layer.name!r}: its output is already consumed")
        return layer

    def fuse_activation(self, x: str, fn: str, *, out: str | None = None, op_type: str | None = None) -> str:
        """Fold an activation into the layer that produced ``x`` (``x`` must have no other consumer)."""
        layer = self._check_unconsumed(x, fn)
        elements = math.prod(self.shape(x))
        self._replace_layer(
            layer, layer.with_(ops=layer.ops + self._act_ops(fn, elements), fused=(*layer.fused, op_type or fn))
        )
        return self.view(x, self.shape(x), out=out, op="fused_activation") if out else x

    def fold_batchnorm(self, x: str, *, out: str | None = None, op_type: str = "BatchNormalization") -> str:
        """Fold a batch norm into the conv/fc that produced ``x`` (its scale into weights, shift into bias)."""
        layer = self._check_unconsumed(x, "batch norm")
        if not (layer.op.is_mac and layer.has_weights):
            raise ValueError(f"cannot fold a batch norm into {layer.name!r} ({layer.op})")
        channels = layer.G * layer.K
        new = layer.with_(
            bias=True,
            bias_dtype=layer.bias_dtype or self.bias_dtype,
            norm_params=layer.norm_params + folded_norm_params(channels, bias=layer.bias),
            fused=(*layer.fused, op_type),
        )
        self._replace_layer(layer, new)
        return self.view(x, self.shape(x), out=out, op="folded_batchnorm") if out else x

    def fold_bias(self, x: str, *, out: str | None = None, op_type: str = "Add") -> str:
        """Fold a constant per-output bias add into the bias-less conv/fc/matmul that produced ``x``."""
        layer = self._check_unconsumed(x, "bias")
        if not (layer.op.is_mac and layer.has_weights) or layer.bias:
            raise ValueError(f"cannot fold a bias into {layer.name!r} ({layer.op}, bias={layer.bias})")
        new = layer.with_(bias=True, bias_dtype=layer.bias_dtype or self.bias_dtype, fused=(*layer.fused, op_type))
        self._replace_layer(layer, new)
        return self.view(x, self.shape(x), out=out, op="folded_bias") if out else x

    # ---- finish -------------------------------------------------------------------------------------------
    def build(self, outputs: Sequence[str] | None = None, **provenance: Any) -> Network:
        if outputs is None:
            consumed = {t for layer in self.layers for t in layer.inputs}
            outputs = [t for layer in self.layers for t in layer.outputs if t not in consumed]
        prov = {**self.provenance, **provenance}
        return Network(self.name, tuple(self.layers), dict(self.tensors), tuple(self.inputs), tuple(outputs), prov)

    @staticmethod
    def _act_ops(act: str | None, elements: int) -> int:
        return ELEMENTWISE_OPS_PER_ELEMENT.get(act, 1) * elements if act else 0


def _broadcast(a: Sequence[int], b: Sequence[int], source: str | None) -> tuple[int, ...]:
    out = []
    for x, y in zip(reversed(tuple(a)), reversed(tuple(b)), strict=False):
        if x != y and 1 not in (x, y):
            raise ShapeError(f"shapes {list(a)} and {list(b)} do not broadcast", source=source)
        out.append(max(x, y))
    longer = a if len(a) > len(b) else b
    out.extend(reversed(tuple(longer)[: abs(len(a) - len(b))]))
    return tuple(reversed(out))
