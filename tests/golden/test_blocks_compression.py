"""Deep Compression (Han, Mao, Dally, ICLR 2016) through the pruning + weight_sharing + sparse_format + huffman blocks:
AlexNet 35x and VGG-16 49x weight-storage reduction vs fp32 (+-15%), from the paper's per-layer pruning densities,
8-bit CONV / 5-bit FC shared weights, its relative sparse index (4 bits AlexNet, 5 bits VGG-16, Tables 4-5) and its
per-layer Huffman bit counts (published figures, cited parameters: zoo networks have no real weights to measure).
Storage only: the blocks' network hooks and ``storage_bytes``, no mapping search."""

from __future__ import annotations

import pytest

import accelkit
from accelkit.model.evaluate import storage_bytes
from accelkit.optimizations import make_block
from accelkit.optimizations.sparse_format import cited


def _stages(name: str) -> dict[str, float]:
    dc = cited("weight_sharing", "deep_compression")[name]
    per = dc["layers"]
    blocks = [
        {"kind": "pruning", "density": {k: v["density"] for k, v in per.items()}},
        {"kind": "weight_sharing", "bits": {k: v["bits"] for k, v in per.items()}},
        {"kind": "sparse_format", "format": "rle", "run_bits": dc["index_bits"], "levels": ["dram"]},
        {
            "kind": "huffman",
            "bits_per_weight": {k: v["huffman_weight_bits"] for k, v in per.items()},
            "index_bits": {k: v["huffman_index_bits"] for k, v in per.items()},
            "levels": ["dram"],
        },
    ]
    arch = accelkit.load_accelerator("eyeriss_v1")
    net = accelkit.load_network(name)
    fp32 = storage_bytes(net)[0]
    out = {}
    for b in sorted((make_block(x) for x in blocks), key=lambda b: (b.order, b.kind)):
        net = b.network(net, arch)
        out[b.kind] = fp32 / storage_bytes(net)[0]
    return out


@pytest.mark.parametrize("name", ["alexnet", "vgg16"])
def test_deep_compression_storage_ratio(name: str) -> None:
    stages = _stages(name)
    published = cited("weight_sharing", "deep_compression")[name]["ratio"]
    assert stages["huffman"] == pytest.approx(published, rel=0.15)
    # each stage compresses further; pruning alone stores nothing smaller (no format yet: the Sparseloop split)
    assert stages["pruning"] == pytest.approx(1.0)
    assert 1.0 < stages["weight_sharing"] < stages["sparse_format"] < stages["huffman"]


def test_deep_compression_stages_match_the_paper_before_huffman() -> None:
    """Pruning + quantization (P+Q): 27x AlexNet, 31x VGG-16 (Tables 4-5)."""
    assert _stages("alexnet")["sparse_format"] == pytest.approx(27, rel=0.15)
    assert _stages("vgg16")["sparse_format"] == pytest.approx(31, rel=0.15)
