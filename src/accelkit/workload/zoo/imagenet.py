"""ImageNet reference CNNs: AlexNet (both variants), VGG-16, ResNet-18/50, MobileNetV1/V2, EfficientNet-B0.

Shapes follow the papers; where a paper leaves details open they follow torchvision (the variant whose published
parameter count is exact), except the original AlexNet, which follows Krizhevsky 2012 (two towers, 227x227) as
used by Eyeriss. Conventions, the same for every network here:

* Batch norm is folded into the preceding conv (``bn=True, bias=False``): the deployed layer keeps one bias per
  channel and ``params`` counts BN's gamma and beta (2 per channel), so ``params`` equals the trainable-parameter
  count of torchvision (and of Keras ``trainable_params``). Running statistics are not parameters.
* Activations are fused into the layer that produces their input (``act=``); residual adds are ``add`` layers
  with the following ReLU fused. Dropout and LRN (the latter is an AlexNet-only normalisation whose removal
  changes no MAC or parameter) are left out; outputs are logits (no softmax), as in torchvision.
* ``published`` holds what the sources print: an ``int`` is an exact published count, a ``float`` a rounded
  figure (MACs that torchvision calls "GFLOPS" are listed as MACs).

The totals at the default parameters are checked to the unit in ``tests/golden/test_zoo_imagenet.py`` against
``shared/research/validation.md`` section 3.2.
"""

from __future__ import annotations

from accelkit.workload.builder import NetworkBuilder
from accelkit.workload.ir import Network
from accelkit.workload.zoo import zoo_entry

_TORCHVISION = "torchvision.models (model builders and their documented weights metadata: num_params, GFLOPS)"

_ALEXNET_PAPER = {
    "authors": "Krizhevsky, Sutskever, Hinton",
    "title": "ImageNet Classification with Deep Convolutional Neural Networks",
    "venue": "NeurIPS (NIPS)",
    "year": 2012,
}


def _make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a scaled channel count to a multiple of ``divisor`` without dropping more than 10% (torchvision)."""
    min_value = min_value or divisor
    new = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return new


def _adaptive_avg_pool(b: NetworkBuilder, x: str, size: int, name: str) -> str:
    """torchvision's ``AdaptiveAvgPool2d((size, size))``: nothing at the nominal resolution, where it is an
    identity; a uniform average pool when the feature map is a multiple of ``size``."""
    _, _, h, w = b.shape(x)
    if (h, w) == (size, size):
        return x
    if h % size or w % size:
        raise ValueError(
            f"feature map {h}x{w} before the classifier is not a multiple of {size}x{size}; choose a resolution "
            f"that gives one (e.g. the default)"
        )
    return b.pool(x, "avg", (h // size, w // size), name=name)


def _check_positive(**values: float) -> None:
    for key, value in values.items():
        if value <= 0:
            raise ValueError(f"{key} must be positive, got {value!r}")


# ---- AlexNet ---------------------------------------------------------------------------------------------------
@zoo_entry(
    "alexnet",
    description="AlexNet as published: two-tower (conv2/4/5 grouped by 2), 227x227x3 input, 1000 classes",
    task="image classification",
    source={
        **_ALEXNET_PAPER,
        "where": "Sec. 3.5 and Fig. 2 (layer shapes, two-GPU split); 227x227 input as in Caffe bvlc_alexnet and "
        "Eyeriss (Chen et al., JSSC 2017, Table V); totals in validation.md 3.2",
    },
    aliases=("alexnet_original", "alexnet_grouped", "alexnet_227", "alexnet_original_grouped_227"),
    published={
        "conv_macs": 666e6,
        "conv_weights": 2.3e6,
        "params": 60e6,
        "note": "conv figures: Eyeriss (Chen et al., ISSCC 2016 / JSSC 2017); 60 M parameters: the paper's abstract",
    },
)
def alexnet(batch: int = 1, resolution: int = 227, dtype: str = "fp32") -> Network:
    """Krizhevsky 2012 AlexNet (LRN-free), max pools 3x3/2, fc6 reads the flattened 256x6x6 map."""
    _check_positive(batch=batch, resolution=resolution)
    b = NetworkBuilder("alexnet", dtype=dtype)
    x = b.input("input", (batch, 3, resolution, resolution))
    y = b.conv(x, 96, 11, stride=4, padding=0, act="relu", name="conv1")
    y = b.pool(y, "max", 3, stride=2, name="pool1")
    y = b.conv(y, 256, 5, padding=2, groups=2, act="relu", name="conv2")
    y = b.pool(y, "max", 3, stride=2, name="pool2")
    y = b.conv(y, 384, 3, padding=1, act="relu", name="conv3")
    y = b.conv(y, 384, 3, padding=1, groups=2, act="relu", name="conv4")
    y = b.conv(y, 256, 3, padding=1, groups=2, act="relu", name="conv5")
    y = b.pool(y, "max", 3, stride=2, name="pool5")
    y = b.fc(y, 4096, act="relu", name="fc6")
    y = b.fc(y, 4096, act="relu", name="fc7")
    y = b.fc(y, 1000, name="fc8")
    return b.build(outputs=[y])


@zoo_entry(
    "alexnet_torchvision",
    description="torchvision AlexNet: one tower, 64/192/384/256/256 filters, 224x224x3 input, 1000 classes",
    task="image classification",
    source={
        "authors": "Krizhevsky",
        "title": "One weird trick for parallelizing convolutional neural networks",
        "venue": "arXiv:1404.5997",
        "year": 2014,
        "where": f"{_TORCHVISION}: alexnet (AlexNet_Weights.IMAGENET1K_V1)",
    },
    aliases=("alexnet_tv", "alexnet_224", "alexnet_torchvision_224"),
    published={"params": 61_100_840, "macs": 0.71e9},
)
def alexnet_torchvision(batch: int = 1, resolution: int = 224, dtype: str = "fp32") -> Network:
    """torchvision's single-tower AlexNet; its adaptive 6x6 average pool is an identity at 224."""
    _check_positive(batch=batch, resolution=resolution)
    b = NetworkBuilder("alexnet_torchvision", dtype=dtype)
    x = b.input("input", (batch, 3, resolution, resolution))
    y = b.conv(x, 64, 11, stride=4, padding=2, act="relu", name="features.0")
    y = b.pool(y, "max", 3, stride=2, name="features.2")
    y = b.conv(y, 192, 5, padding=2, act="relu", name="features.3")
    y = b.pool(y, "max", 3, stride=2, name="features.5")
    y = b.conv(y, 384, 3, padding=1, act="relu", name="features.6")
    y = b.conv(y, 256, 3, padding=1, act="relu", name="features.8")
    y = b.conv(y, 256, 3, padding=1, act="relu", name="features.10")
    y = b.pool(y, "max", 3, stride=2, name="features.12")
    y = _adaptive_avg_pool(b, y, 6, "avgpool")
    y = b.fc(y, 4096, act="relu", name="classifier.1")
    y = b.fc(y, 4096, act="relu", name="classifier.4")
    y = b.fc(y, 1000, name="classifier.6")
    return b.build(outputs=[y])


# ---- VGG-16 ----------------------------------------------------------------------------------------------------
@zoo_entry(
    "vgg16",
    description="VGG-16 (configuration D): 13 3x3 convs, 3 FC layers, 224x224x3 input, 1000 classes",
    task="image classification",
    source={
        "authors": "Simonyan, Zisserman",
        "title": "Very Deep Convolutional Networks for Large-Scale Image Recognition",
        "venue": "ICLR",
        "year": 2015,
        "where": f"Table 1 column D (shapes), Table 2 (138 M parameters); {_TORCHVISION}: vgg16",
    },
    aliases=("vgg_16", "vgg16_224", "vgg_d"),
    published={"params": 138_357_544, "macs": 15.47e9, "conv_macs": 15.3e9, "conv_weights": 14.7e6},
)
def vgg16(batch: int = 1, resolution: int = 224, dtype: str = "fp32") -> Network:
    """VGG-16 without batch norm (torchvision ``vgg16``); its adaptive 7x7 average pool is an identity at 224."""
    _check_positive(batch=batch, resolution=resolution)
    b = NetworkBuilder("vgg16", dtype=dtype)
    y = b.input("input", (batch, 3, resolution, resolution))
    for stage, (width, convs) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], start=1):
        for i in range(1, convs + 1):
            y = b.conv(y, width, 3, padding=1, act="relu", name=f"conv{stage}_{i}")
        y = b.pool(y, "max", 2, stride=2, name=f"pool{stage}")
    y = _adaptive_avg_pool(b, y, 7, "avgpool")
    y = b.fc(y, 4096, act="relu", name="fc6")
    y = b.fc(y, 4096, act="relu", name="fc7")
    y = b.fc(y, 1000, name="fc8")
    return b.build(outputs=[y])


# ---- ResNet ----------------------------------------------------------------------------------------------------
_RESNET_PAPER = {
    "authors": "He, Zhang, Ren, Sun",
    "title": "Deep Residual Learning for Image Recognition",
    "venue": "CVPR",
    "year": 2016,
}


def _resnet(name: str, bottleneck: bool, blocks: list[int], batch: int, resolution: int, dtype: str) -> Network:
    """torchvision ResNet v1.5: BN folded into every conv, stride on the bottleneck's 3x3, 1x1 projections."""
    _check_positive(batch=batch, resolution=resolution)
    b = NetworkBuilder(name, dtype=dtype)
    x = b.input("input", (batch, 3, resolution, resolution))
    y = b.conv(x, 64, 7, stride=2, padding=3, bias=False, bn=True, act="relu", name="conv1")
    y = b.pool(y, "max", 3, stride=2, padding=1, name="maxpool")
    in_ch = 64
    expansion = 4 if bottleneck else 1
    for stage, count in enumerate(blocks, start=1):
        planes = 64 * 2 ** (stage - 1)
        for i in range(count):
            stride = 2 if (stage > 1 and i == 0) else 1
            p = f"layer{stage}.{i}"
            if bottleneck:
                a = b.conv(y, planes, 1, padding=0, bias=False, bn=True, act="relu", name=f"{p}.conv1")
                a = b.conv(a, planes, 3, stride=stride, padding=1, bias=False, bn=True, act="relu", name=f"{p}.conv2")
                a = b.conv(a, planes * expansion, 1, padding=0, bias=False, bn=True, name=f"{p}.conv3")
            else:
                a = b.conv(y, planes, 3, stride=stride, padding=1, bias=False, bn=True, act="relu", name=f"{p}.conv1")
                a = b.conv(a, planes, 3, padding=1, bias=False, bn=True, name=f"{p}.conv2")
            skip = y
            if stride != 1 or in_ch != planes * expansion:
                skip = b.conv(
                    y, planes * expansion, 1, stride=stride, padding=0, bias=False, bn=True, name=f"{p}.downsample"
                )
            y = b.add(a, skip, act="relu", name=f"{p}.add")
            in_ch = planes * expansion
    y = b.global_pool(y, "avg", name="avgpool")
    y = b.fc(y, 1000, name="fc")
    return b.build(outputs=[y])


@zoo_entry(
    "resnet18",
    description="ResNet-18 (torchvision): basic blocks [2, 2, 2, 2], 224x224x3 input, 1000 classes",
    task="image classification",
    source={**_RESNET_PAPER, "where": f"Table 1 (18-layer column); {_TORCHVISION}: resnet18 (IMAGENET1K_V1)"},
    aliases=("resnet_18", "resnet18_224"),
    published={"params": 11_689_512, "macs": 1.81e9},
)
def resnet18(batch: int = 1, resolution: int = 224, dtype: str = "fp32") -> Network:
    """ResNet-18 with BN folded (params = torchvision's trainable count) and 1x1 projection shortcuts."""
    return _resnet("resnet18", False, [2, 2, 2, 2], batch, resolution, dtype)


@zoo_entry(
    "resnet50",
    description="ResNet-50 v1.5 (torchvision): bottlenecks [3, 4, 6, 3], stride on the 3x3, 224x224x3, 1000 classes",
    task="image classification",
    source={**_RESNET_PAPER, "where": f"Table 1 (50-layer column); {_TORCHVISION}: resnet50 (IMAGENET1K_V1)"},
    aliases=("resnet_50", "resnet50_v1_5", "resnet50_224"),
    published={"params": 25_557_032, "macs": 4.09e9},
)
def resnet50(batch: int = 1, resolution: int = 224, dtype: str = "fp32") -> Network:
    """ResNet-50 v1.5 with BN folded (params = torchvision's trainable count) and 1x1 projection shortcuts."""
    return _resnet("resnet50", True, [3, 4, 6, 3], batch, resolution, dtype)


# ---- MobileNets ------------------------------------------------------------------------------------------------
@zoo_entry(
    "mobilenet_v1",
    description="MobileNetV1 1.0 (13 depthwise-separable blocks), 224x224x3 input, 1000 classes",
    task="image classification",
    source={
        "authors": "Howard et al.",
        "title": "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications",
        "venue": "arXiv:1704.04861",
        "year": 2017,
        "where": "Table 1 (body), Table 8 (1.0 MobileNet-224: 569 M mult-adds, 4.2 M parameters); "
        "Keras applications MobileNet (SAME padding, 4,231,976 trainable parameters)",
    },
    aliases=("mobilenetv1", "mobilenet", "mobilenet_v1_1.0_224", "mobilenetv1_1.0_224"),
    published={"macs": 569e6, "params": 4.2e6},
)
def mobilenet_v1(batch: int = 1, resolution: int = 224, width_mult: float = 1.0, dtype: str = "fp32") -> Network:
    """MobileNetV1 with BN folded into every conv: ``params`` = weights + 2 per BN channel + the FC bias.

    At width 1.0 that is 4,231,976 (Keras ``trainable_params``); the paper's 4.2 M counts weights only (4,209,088).
    Channels are ``int(c * width_mult)`` (Keras ``alpha``).
    """
    _check_positive(batch=batch, resolution=resolution, width_mult=width_mult)
    b = NetworkBuilder("mobilenet_v1", dtype=dtype)
    x = b.input("input", (batch, 3, resolution, resolution))
    y = b.conv(x, int(32 * width_mult), 3, stride=2, padding="same", bias=False, bn=True, act="relu", name="conv1")
    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    for i, (cout, stride) in enumerate(blocks, start=1):
        y = b.depthwise(y, 3, stride=stride, padding="same", bias=False, bn=True, act="relu", name=f"dw{i}")
        y = b.conv(y, int(cout * width_mult), 1, padding=0, bias=False, bn=True, act="relu", name=f"pw{i}")
    y = b.global_pool(y, "avg", name="avgpool")
    y = b.fc(y, 1000, name="fc")
    return b.build(outputs=[y])


@zoo_entry(
    "mobilenet_v2",
    description="MobileNetV2 1.0 (torchvision): 17 inverted-residual blocks, 224x224x3 input, 1000 classes",
    task="image classification",
    source={
        "authors": "Sandler, Howard, Zhu, Zhmoginov, Chen",
        "title": "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
        "venue": "CVPR",
        "year": 2018,
        "where": f"Table 2 (body), Table 4 (300 M MAdds, 3.4 M parameters); {_TORCHVISION}: mobilenet_v2",
    },
    aliases=("mobilenetv2", "mobilenet_v2_1.0_224", "mobilenetv2_1.0_224"),
    published={"params": 3_504_872, "macs": 0.3e9, "paper_macs": 300e6, "paper_params": 3.4e6},
)
def mobilenet_v2(batch: int = 1, resolution: int = 224, width_mult: float = 1.0, dtype: str = "fp32") -> Network:
    """torchvision MobileNetV2 with BN folded; channels rounded with torchvision's ``_make_divisible(c, 8)``."""
    _check_positive(batch=batch, resolution=resolution, width_mult=width_mult)
    b = NetworkBuilder("mobilenet_v2", dtype=dtype)
    x = b.input("input", (batch, 3, resolution, resolution))
    in_ch = _make_divisible(32 * width_mult)
    last_ch = _make_divisible(1280 * max(1.0, width_mult))
    y = b.conv(x, in_ch, 3, stride=2, padding=1, bias=False, bn=True, act="relu6", name="features.0")
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2)]
    settings.append((6, 320, 1, 1))
    idx = 1
    for t, c, n, s in settings:
        out_ch = _make_divisible(c * width_mult)
        for i in range(n):
            stride = s if i == 0 else 1
            p = f"features.{idx}"
            hidden = round(in_ch * t)
            h = y
            if t != 1:
                h = b.conv(h, hidden, 1, padding=0, bias=False, bn=True, act="relu6", name=f"{p}.expand")
            h = b.depthwise(h, 3, stride=stride, padding=1, bias=False, bn=True, act="relu6", name=f"{p}.dw")
            h = b.conv(h, out_ch, 1, padding=0, bias=False, bn=True, name=f"{p}.project")
            y = b.add(y, h, name=f"{p}.add") if stride == 1 and in_ch == out_ch else h
            in_ch = out_ch
            idx += 1
    y = b.conv(y, last_ch, 1, padding=0, bias=False, bn=True, act="relu6", name=f"features.{idx}")
    y = b.global_pool(y, "avg", name="avgpool")
    y = b.fc(y, 1000, name="classifier")
    return b.build(outputs=[y])


# ---- EfficientNet ----------------------------------------------------------------------------------------------
@zoo_entry(
    "efficientnet_b0",
    description="EfficientNet-B0 (torchvision): 16 MBConv blocks with squeeze-and-excitation, SiLU, 224x224x3",
    task="image classification",
    source={
        "authors": "Tan, Le",
        "title": "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks",
        "venue": "ICML",
        "year": 2019,
        "where": f"Table 1 (B0 body), Table 2 (5.3 M parameters, 0.39 B FLOPs); {_TORCHVISION}: efficientnet_b0",
    },
    aliases=("efficientnetb0", "effnet_b0", "efficientnet"),
    published={"params": 5_288_548, "macs": 0.39e9, "paper_params": 5.3e6},
)
def efficientnet_b0(batch: int = 1, resolution: int = 224, dtype: str = "fp32") -> Network:
    """torchvision EfficientNet-B0 with BN folded.

    Each MBConv: 1x1 expand (unless the ratio is 1), k x k depthwise with symmetric padding ``k // 2``, then
    squeeze-and-excitation -- global average pool, 1x1 conv to ``max(1, block_input_channels // 4)`` with bias and
    SiLU, 1x1 conv back with bias and sigmoid, a channelwise multiply (``mul`` broadcasting N x C x 1 x 1) -- and a
    1x1 projection without activation; a residual add when the stride is 1 and the widths match (stochastic depth
    is an identity at inference).
    """
    _check_positive(batch=batch, resolution=resolution)
    b = NetworkBuilder("efficientnet_b0", dtype=dtype)
    x = b.input("input", (batch, 3, resolution, resolution))
    y = b.conv(x, 32, 3, stride=2, padding=1, bias=False, bn=True, act="swish", name="stem")
    # (expand ratio, kernel, stride, output channels, repeats) -- Table 1 of the paper
    stages = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3)]
    stages += [(6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]
    in_ch = 32
    for si, (expand, k, s, out_ch, repeats) in enumerate(stages, start=1):
        for i in range(repeats):
            stride = s if i == 0 else 1
            p = f"block{si}.{i}"
            hidden = in_ch * expand
            h = y
            if expand != 1:
                h = b.conv(h, hidden, 1, padding=0, bias=False, bn=True, act="swish", name=f"{p}.expand")
            h = b.depthwise(h, k, stride=stride, padding=k // 2, bias=False, bn=True, act="swish", name=f"{p}.dw")
            squeeze = max(1, in_ch // 4)
            se = b.global_pool(h, "avg", name=f"{p}.se.pool")
            se = b.conv(se, squeeze, 1, padding=0, act="swish", name=f"{p}.se.fc1")
            se = b.conv(se, hidden, 1, padding=0, act="sigmoid", name=f"{p}.se.fc2")
            h = b.eltwise([h, se], "mul", name=f"{p}.se.scale")
            h = b.conv(h, out_ch, 1, padding=0, bias=False, bn=True, name=f"{p}.project")
            y = b.add(y, h, name=f"{p}.add") if stride == 1 and in_ch == out_ch else h
            in_ch = out_ch
    y = b.conv(y, 1280, 1, padding=0, bias=False, bn=True, act="swish", name="head")
    y = b.global_pool(y, "avg", name="avgpool")
    y = b.fc(y, 1000, name="classifier")
    return b.build(outputs=[y])
