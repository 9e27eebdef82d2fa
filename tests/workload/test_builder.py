"""The graph builder: shape inference and layer semantics shared by the zoo and the importers."""

from __future__ import annotations

import pytest

from accelkit.errors import ShapeError
from accelkit.workload.builder import NetworkBuilder, folded_norm_params
from accelkit.workload.ir import Operand, OpKind, WeightSource
from accelkit.workload.shapes import conv_out, same_pads


def test_same_padding_matches_tensorflow_rule() -> None:
    # TF SAME: out = ceil(in / s); pad total = max((out-1)*s + k - in, 0), extra pixel at the end.
    assert same_pads(49, 10, 2, 1) == (4, 5)  # KWS conv1 rows: 25 outputs
    assert same_pads(10, 4, 2, 1) == (1, 1)
    assert same_pads(32, 3, 2, 1) == (0, 1)
    assert same_pads(32, 3, 1, 1) == (1, 1)
    assert conv_out(49, 10, 2, 1, 4, 5) == 25


def test_ceil_mode_pooling() -> None:
    assert conv_out(112, 3, 2, 1, 0, 0) == 55
    assert conv_out(112, 3, 2, 1, 0, 0, ceil_mode=True) == 56
    # the last window may not start in the right padding only
    assert conv_out(5, 2, 2, 1, 0, 1, ceil_mode=True) == 3


def test_conv_shapes_and_dims() -> None:
    b = NetworkBuilder("t")
    x = b.input("x", (2, 3, 227, 227))
    y = b.conv(x, 96, 11, stride=4, padding="valid", name="conv1")
    assert b.shape(y) == (2, 96, 55, 55)
    layer = b.layers[-1]
    assert (layer.N, layer.G, layer.K, layer.C, layer.P, layer.Q, layer.R, layer.S) == (2, 1, 96, 3, 55, 55, 11, 11)
    assert layer.macs == 2 * 96 * 3 * 55 * 55 * 121


def test_grouped_and_depthwise() -> None:
    b = NetworkBuilder("t")
    x = b.input("x", (1, 96, 27, 27))
    b.conv(x, 256, 5, padding=2, groups=2, name="g")
    g = b.layers[-1]
    assert g.op is OpKind.CONV and (g.G, g.K, g.C) == (2, 128, 48)
    assert g.macs == 223_948_800  # AlexNet conv2 (Eyeriss Table V / validation.md)
    d = b.depthwise(x, 3, multiplier=2, name="dw")
    dw = b.layers[-1]
    assert dw.op is OpKind.DEPTHWISE and (dw.G, dw.K, dw.C) == (96, 2, 1)
    assert b.shape(d) == (1, 192, 27, 27)


def test_groups_must_divide_channels() -> None:
    b = NetworkBuilder("t")
    x = b.input("x", (1, 6, 8, 8))
    with pytest.raises(ShapeError, match="groups=4"):
        b.conv(x, 8, 3, groups=4)


def test_kernel_larger_than_input_is_a_shape_error() -> None:
    b = NetworkBuilder("t")
    x = b.input("x", (1, 1, 4, 4))
    with pytest.raises(ShapeError, match="does not fit"):
        b.conv(x, 1, 7, padding="valid")


def test_transposed_conv_iterates_over_input_pixels() -> None:
    b = NetworkBuilder("t")
    x = b.input("x", (1, 16, 8, 8))
    y = b.conv_transpose(x, 8, 4, stride=2, padding=1, name="up")
    assert b.shape(y) == (1, 8, 16, 16)  # (8-1)*2 - 2 + 4 = 16
    layer = b.layers[-1]
    assert layer.transposed and (layer.P, layer.Q) == (8, 8)
    assert layer.macs == 16 * 8 * 8 * 8 * 4 * 4  # every input pixel scatters into a 4x4 window


def test_matmul_between_activations_is_batched_over_g() -> None:
    b = NetworkBuilder("t")
    q = b.input("q", (2, 3, 10, 16))  # batch, heads, seq, head_dim
    k = b.input("kt", (2, 3, 16, 10))
    s = b.matmul(q, k, name="qk")
    layer = b.layers[-1]
    assert b.shape(s) == (2, 3, 10, 10)
    assert layer.weight_source is WeightSource.ACTIVATION and layer.params == 0
    assert (layer.G, layer.P, layer.C, layer.K) == (6, 10, 16, 10)
    assert layer.macs == 6 * 10 * 16 * 10


def test_linear_folds_rows_into_p() -> None:
    b = NetworkBuilder("t")
    x = b.input("x", (2, 197, 192))
    y = b.linear(x, 576, name="qkv")
    layer = b.layers[-1]
    assert b.shape(y) == (2, 197, 576)
    assert layer.op is OpKind.MATMUL and layer.P == 2 * 197 and layer.params == 192 * 576 + 576


def test_fc_flattens_its_input() -> None:
    b = NetworkBuilder("t")
    x = b.input("x", (4, 256, 6, 6))
    b.fc(x, 4096, name="fc6")
    layer = b.layers[-1]
    assert (layer.N, layer.C, layer.K) == (4, 9216, 4096)


def test_batchnorm_folding_parameter_convention() -> None:
    assert folded_norm_params(64, bias=False) == 64  # beta becomes the bias; gamma is extra
    assert folded_norm_params(64, bias=True) == 128
    b = NetworkBuilder("t")
    x = b.input("x", (1, 3, 8, 8))
    b.conv(x, 64, 3, bias=False, bn=True, name="c")
    layer = b.layers[-1]
    # torchvision counts conv weights + BN gamma + BN beta
    assert layer.params == 64 * 3 * 9 + 2 * 64
    assert layer.bias and "BatchNorm" in layer.fused


def test_fold_batchnorm_after_the_fact() -> None:
    b = NetworkBuilder("t")
    x = b.input("x", (1, 3, 8, 8))
    y = b.conv(x, 4, 3, bias=True, name="c")
    z = b.fold_batchnorm(y, out="bn_out")
    r = b.fuse_activation(z, "relu", out="relu_out")
    net = b.build(outputs=[r])
    layer = net.layer("c")
    assert layer.params == 4 * 27 + 4 + 2 * 4
    assert layer.fused == ("BatchNormalization", "relu") and layer.ops == 4 * 64
    assert net.producer("relu_out") is layer


def test_cannot_fuse_into_a_consumed_tensor() -> None:
    b = NetworkBuilder("t")
    x = b.input("x", (1, 3, 8, 8))
    y = b.conv(x, 4, 3, name="c")
    b.conv(y, 4, 3, name="d")
    with pytest.raises(ValueError, match="already consumed"):
        b.fuse_activation(y, "relu")


def test_precision_follows_the_tensors() -> None:
    b = NetworkBuilder("t", dtype="int8")
    x = b.input("x", (1, 3, 8, 8))
    b.conv(x, 4, 3, weight_dtype="int4", out_dtype="int16", name="c")
    layer = b.layers[-1]
    assert str(layer.precision[Operand.INPUT]) == "int8"
    assert str(layer.precision[Operand.WEIGHT]) == "int4"
    assert str(layer.precision[Operand.OUTPUT]) == "int16"
    assert str(layer.bias_dtype) == "int32"


def test_concat_and_eltwise_broadcast() -> None:
    b = NetworkBuilder("t")
    x = b.input("x", (1, 8, 4, 4))
    s = b.input("s", (1, 8, 1, 1))
    y = b.eltwise([x, s], "mul", name="scale")
    assert b.shape(y) == (1, 8, 4, 4)
    c = b.concat([x, y], axis=1, name="cat")
    assert b.shape(c) == (1, 16, 4, 4)
    with pytest.raises(ShapeError, match="differ outside axis"):
        b.concat([x, b.input("w", (1, 8, 2, 2))])
