"""The four MLPerf Tiny v1.x reference models, as deployed in their official int8 ``.tflite`` files.

Shapes read from the Keras definitions in ``mlcommons/tiny`` (``benchmark/training/*``) and cross-checked against
the official int8 TFLite files; batch norm is folded into the conv/dense biases, as in those files, so parameter
counts are weights + biases (the published totals). Default precision is the files': int8 activations and
weights, int32 biases.
"""

from __future__ import annotations

from accelkit.workload.builder import NetworkBuilder
from accelkit.workload.ir import Network
from accelkit.workload.zoo import zoo_entry

_MLPERF_TINY = {
    "authors": "Banbury et al.",
    "title": "MLPerf Tiny Benchmark",
    "venue": "NeurIPS Datasets and Benchmarks",
    "year": 2021,
    "doi": "arXiv:2106.07597",
}


def _src(where: str) -> dict[str, object]:
    return {**_MLPERF_TINY, "where": where}


@zoo_entry(
    "mlperf_tiny_kws",
    description="MLPerf Tiny keyword spotting: DS-CNN (64 filters), 49x10 MFCC input, 12 classes",
    task="keyword spotting",
    source=_src("mlcommons/tiny benchmark/training/keyword_spotting/keras_model.py (ds_cnn); kws_ref_model.tflite"),
    aliases=("kws", "ds_cnn", "dscnn", "kws_dscnn"),
    published={"macs": 2_656_768, "params": 22_604},
)
def kws_dscnn(batch: int = 1, filters: int = 64, dtype: str = "int8") -> Network:
    b = NetworkBuilder("mlperf_tiny_kws", dtype=dtype)
    x = b.input("input", (batch, 1, 49, 10))
    y = b.conv(x, filters, (10, 4), stride=2, padding="same", act="relu", name="conv1")
    for i in range(1, 5):
        y = b.depthwise(y, 3, padding="same", act="relu", name=f"dw{i}")
        y = b.conv(y, filters, 1, padding="same", act="relu", name=f"pw{i}")
    y = b.pool(y, "avg", (25, 5), stride=(25, 5), padding="valid", name="avgpool")
    y = b.fc(y, 12, name="fc")
    y = b.softmax(y, name="softmax")
    return b.build(outputs=[y])


@zoo_entry(
    "mlperf_tiny_vww",
    description="MLPerf Tiny visual wake words: MobileNetV1 alpha 0.25 at 96x96x3, 2 classes",
    task="visual wake words",
    source=_src(
        "mlcommons/tiny benchmark/training/visual_wake_words/vww_model.py (commit 5b2315b); vww_96_int8.tflite"
    ),
    aliases=("vww", "vww_mobilenetv1", "mobilenetv1_025_96"),
    published={"macs": 7_489_664, "params": 210_850},
)
def vww_mobilenet(batch: int = 1, resolution: int = 96, dtype: str = "int8") -> Network:
    b = NetworkBuilder("mlperf_tiny_vww", dtype=dtype)
    x = b.input("input", (batch, 3, resolution, resolution))
    y = b.conv(x, 8, 3, stride=2, padding="same", act="relu", name="conv1")
    # (output channels, depthwise stride) of the 13 depthwise-separable blocks, alpha = 0.25
    blocks = [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2)] + [(128, 1)] * 5 + [(256, 2), (256, 1)]
    for i, (cout, stride) in enumerate(blocks, start=2):
        y = b.depthwise(y, 3, stride=stride, padding="same", act="relu", name=f"dw{i}")
        y = b.conv(y, cout, 1, padding="same", act="relu", name=f"pw{i}")
    # Keras AveragePooling2D(pool_size=<whole map>): the stride defaults to the pool size, as in the .tflite file
    y = b.pool(y, "avg", b.shape(y)[2:], stride=b.shape(y)[2:], padding="valid", name="avgpool")
    y = b.fc(y, 2, name="fc")
    y = b.softmax(y, name="softmax")
    return b.build(outputs=[y])


@zoo_entry(
    "mlperf_tiny_ic",
    description="MLPerf Tiny image classification: ResNet-8 (16/32/64 filters), CIFAR-10 32x32x3, 10 classes",
    task="image classification",
    source=_src(
        "mlcommons/tiny benchmark/training/image_classification/keras_model.py (v0.5-v1.x, 16 filters); "
        "pretrainedResnet_quant.tflite"
    ),
    aliases=("ic", "resnet8", "ic_resnet8"),
    published={"macs": 12_501_632, "params": 77_706},
)
def ic_resnet8(batch: int = 1, filters: int = 16, dtype: str = "int8") -> Network:
    b = NetworkBuilder("mlperf_tiny_ic", dtype=dtype)
    x = b.input("input", (batch, 3, 32, 32))
    y = b.conv(x, filters, 3, padding="same", act="relu", name="conv1")
    for stage, (mult, stride) in enumerate([(1, 1), (2, 2), (4, 2)], start=1):
        f = filters * mult
        a = b.conv(y, f, 3, stride=stride, padding="same", act="relu", name=f"s{stage}_a")
        a = b.conv(a, f, 3, padding="same", name=f"s{stage}_b")
        skip = y if stride == 1 else b.conv(y, f, 1, stride=stride, padding="same", name=f"s{stage}_skip")
        y = b.add(a, skip, act="relu", name=f"s{stage}_add")
    # Keras AveragePooling2D(pool_size=<whole map>): the stride defaults to the pool size, as in the .tflite file
    y = b.pool(y, "avg", b.shape(y)[2:], stride=b.shape(y)[2:], padding="valid", name="avgpool")
    y = b.fc(y, 10, name="fc")
    y = b.softmax(y, name="softmax")
    return b.build(outputs=[y])


@zoo_entry(
    "mlperf_tiny_ad",
    description="MLPerf Tiny anomaly detection: fully connected autoencoder, 640-vector (128 mels x 5 frames)",
    task="anomaly detection",
    source=_src("mlcommons/tiny benchmark/training/anomaly_detection/keras_model.py; ad01_int8.tflite"),
    aliases=("ad", "fc_autoencoder", "ad_autoencoder"),
    published={"macs": 264_192, "params": 265_864},
)
def ad_autoencoder(batch: int = 1, dtype: str = "int8") -> Network:
    b = NetworkBuilder("mlperf_tiny_ad", dtype=dtype)
    y = b.input("input", (batch, 640))
    widths = [128, 128, 128, 128, 8, 128, 128, 128, 128]
    for i, width in enumerate(widths, start=1):
        y = b.fc(y, width, act="relu", name=f"dense{i}")
    y = b.fc(y, 640, name="dense10")
    return b.build(outputs=[y])
