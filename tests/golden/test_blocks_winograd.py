"""Golden: Winograd F(2x2,3x3) gives 2.25x fewer multiplications on 3x3 stride-1 layers (Lavin & Gray, CVPR
2016; validation.md section 4). The count comes from the transformed network the block builds (the mapper maps
that loop nest), not from a formula: VGG-16's thirteen 3x3 stride-1 convolutions, whose output sizes (224 ... 14)
are all multiples of 2, so the published ratio holds exactly."""

from __future__ import annotations

import pytest

import accelkit
from accelkit.optimizations import make_block
from accelkit.optimizations.winograd import WINOGRAD
from accelkit.presets import load_accelerator


def _multiplications(tile: int) -> tuple[int, int, int]:
    net = accelkit.load_network("vgg16")
    out = make_block({"kind": "winograd", "tile": tile}).network(net, load_accelerator("edge_npu_int8"))
    done = [x for x in out.layers if x.attrs.get(WINOGRAD)]
    direct = sum(net.layer(x.name).macs for x in done)
    return len(done), direct, sum(x.macs for x in done)


def test_vgg16_f2x2_3x3_is_2_25x_fewer_multiplications() -> None:
    n, direct, wino = _multiplications(2)
    assert n == 13  # every VGG-16 conv layer is 3x3 stride 1
    assert direct / wino == pytest.approx(2.25, rel=1e-12)


def test_vgg16_f4x4_3x3_close_to_4x() -> None:
    # 14x14 maps (conv5_x) need ceil(14/4) = 4 tiles per side: whole tiles are paid, so slightly under 4x
    n, direct, wino = _multiplications(4)
    assert n == 13
    assert 3.85 < direct / wino < 4.0  # 3.89: the 14x14 stage pays 256/196 of its tiles


def test_f2x2_through_evaluate_on_resnet18_stage() -> None:
    """The mapper sees the transformed work: the evaluation's MAC count on ResNet-18 falls by the 3x3 stride-1
    layers' share (56/28/14/7 maps; 7 is odd, so the 512-channel stage pays whole tiles)."""
    net = accelkit.load_network("resnet18")
    out = make_block({"kind": "winograd"}).network(net, load_accelerator("edge_npu_int8"))
    done = [x for x in out.layers if x.attrs.get(WINOGRAD)]
    even = [x for x in done if net.layer(x.name).P % 2 == 0]
    assert sum(net.layer(x.name).macs for x in even) / sum(x.macs for x in even) == pytest.approx(2.25)
    assert out.macs < net.macs
