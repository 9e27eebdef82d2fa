"""Golden tests: each preset reproduces the figures its citation gives."""

from __future__ import annotations

import pytest

import accelkit
from accelkit.model.evaluate import LayerResult
from accelkit.workload.builder import NetworkBuilder
from accelkit.workload.ir import Network
from tests.golden.networks import up_to_last_conv


def test_edge_npu_reaches_256_macs_per_cycle() -> None:
    """The cited figure: 256 8x8 MACs per cycle. A 1x1 conv whose K and C fill the 16x16 array runs at peak."""
    b = NetworkBuilder("peak", dtype="int8")
    x = b.input("x", (1, 64, 16, 16))
    b.conv(x, 64, 1, name="pw", bias=False)
    ev = accelkit.evaluate(b.build(), "edge_npu_int8", objective="latency")
    layer = ev.layers[0]
    assert layer.compute_cycles == layer.macs / 256
    pub = accelkit.load_accelerator("edge_npu_int8").published["macs_per_cycle"]
    assert layer.macs / layer.compute_cycles == pub


@pytest.fixture(scope="module")
def eyeriss_alexnet() -> accelkit.Evaluation:
    """Eyeriss as built and measured (JSSC 2017): the eyeriss_v1 preset plus three features of the chip, as blocks:
    zero-ifmap gating in the PEs and run-length coding of feature maps on the DRAM link (5-bit runs), with the
    published per-layer zero fractions of the ifmaps (Table V), and clock gating of the PEs a layer leaves idle
    ("the PEs that are not covered by any sets are clock gated to save energy consumption", Sec. IV)."""
    from accelkit.optimizations.sparse_format import cited

    net = up_to_last_conv("alexnet", batch=4)  # CONV1-5 and the pools between them
    density = {k: 1 - v for k, v in cited("sparsity", "eyeriss_alexnet_zero_ifmaps").items()}
    chip = [
        {"kind": "zero_gating", "activation_density": density},
        {"kind": "sparse_format", "format": "rle", "operands": ["input", "output"], "levels": ["dram"],
         "activation_density": density},
        {"kind": "clock_gating", "gate": "pes"},
    ]  # fmt: skip
    return accelkit.evaluate(net, "eyeriss_v1", objective="edp", optimizations=chip)


def test_eyeriss_active_pes_per_layer(eyeriss_alexnet: accelkit.Evaluation) -> None:
    """JSSC Table V: active PEs per CONV layer (154, 135, 156, 156, 156); the row-stationary mapper finds the
    same array use within 5% (conv2: 140 = 5 filter rows x 2 x 14 output rows, vs the chip's 135)."""
    pub = eyeriss_alexnet.accelerator.published["per_layer_active_pes"]
    for r in _conv_rows(eyeriss_alexnet):
        assert r.mapping is not None
        assert r.mapping.active_pes == pytest.approx(pub[r.name], rel=0.05), r.name


def test_eyeriss_average_active_pes(eyeriss_alexnet: accelkit.Evaluation) -> None:
    """JSSC 2017: 148 active PEs on average over CONV1-5, the per-layer counts weighted by each layer's time (Table V:
    (154 x 20.9 + 135 x 41.9 + 156 x (23.6 + 18.4 + 10.5)) / 115.3 ms = 148)."""
    conv = _conv_rows(eyeriss_alexnet)
    avg = sum(r.mapping.active_pes * r.latency_s for r in conv if r.mapping) / sum(r.latency_s for r in conv)
    assert avg == pytest.approx(eyeriss_alexnet.accelerator.published["active_pes_average"], rel=0.05)


def test_eyeriss_glb_traffic_within_20_percent(eyeriss_alexnet: accelkit.Evaluation) -> None:
    """208.5 MB of global-buffer traffic per batch of 4 over CONV1-5 (JSSC 2017): the paper's global buffer is
    both parts, the 100 kB ifmap/psum buffer and the 8 kB filter prefetch buffer (201 MB modelled, -3%; per layer
    CONV3-5 within 4%, CONV1 1.85x, CONV2 0.67x). GLB traffic is loosely pinned by the objective: many mappings
    have nearly the same latency, and minimizing energy alone gives 162 MB, latency alone 595 MB."""
    glb = sum(r.traffic_bytes["glb"] + r.traffic_bytes["glb_filter"] for r in _conv_rows(eyeriss_alexnet))
    assert glb == pytest.approx(eyeriss_alexnet.accelerator.published["glb_bytes_per_batch"], rel=0.20)


def _conv_rows(ev: accelkit.Evaluation) -> list:  # type: ignore[type-arg]
    return [r for r in ev.layers if r.op == "conv"]


def _chip_power_w(ev: accelkit.Evaluation) -> float:
    """Chip power over CONV1-5: dynamic energy without DRAM (the chip's figure excludes it), plus leakage."""
    conv = _conv_rows(ev)
    latency = sum(r.latency_s for r in conv)
    chip_energy = sum(r.energy_j - r.energy_by_level_j["dram"] for r in conv)
    return chip_energy / latency + ev.priced.leakage_w


def test_eyeriss_chip_power_within_20_percent(eyeriss_alexnet: accelkit.Evaluation) -> None:
    """AlexNet CONV1-5, batch 4, 1 V, 200 MHz: chip power 278 mW (JSSC 2017), within +-20%."""
    assert _chip_power_w(eyeriss_alexnet) == pytest.approx(0.278, rel=0.20)


def test_eyeriss_chip_power_within_15_percent(eyeriss_alexnet: accelkit.Evaluation) -> None:
    """The issue's target: chip power within +-15% of 278 mW (262 mW modelled, -6%; the clock network, with the
    flip-flops' own clock energy read from the Nangate45 liberty, is 68% of it -- see the share tests below)."""
    assert _chip_power_w(eyeriss_alexnet) == pytest.approx(
        eyeriss_alexnet.accelerator.published["chip_power_w"], rel=0.15
    )


def test_eyeriss_per_layer_power_within_15_percent(eyeriss_alexnet: accelkit.Evaluation) -> None:
    """Table V: 332, 288, 266, 235, 236 mW for CONV1-5 (modelled 292, 258, 257, 250, 249: the spread between layers
    is half the chip's, since the modelled clock network does not depend on the data)."""
    pub = eyeriss_alexnet.accelerator.published["per_layer_power_mw"]
    for r in _conv_rows(eyeriss_alexnet):
        chip_w = (r.energy_j - r.energy_by_level_j["dram"]) / r.latency_s + eyeriss_alexnet.priced.leakage_w
        assert chip_w * 1e3 == pytest.approx(pub[r.name], rel=0.15), r.name


def _shares(r: LayerResult) -> dict[str, float]:
    """One layer's chip power split as the JSSC text splits it (Fig. 16): ALUs, data movement (spads, GLB, NoC)."""
    e = r.energy_by_level_j
    chip = r.energy_j - e["dram"]
    moving = sum(e[k] for k in ("glb", "glb_filter", "fspad", "spad", "noc"))
    return {
        "alu": (e["mac"] + e["adder"]) / chip,
        "moving": moving / chip,
        "clock": e["clock"] / chip,
        "spads": (e["fspad"] + e["spad"]) / chip,
    }


def test_eyeriss_power_split_agrees_with_the_text(eyeriss_alexnet: accelkit.Evaluation) -> None:
    """JSSC 2017, Sec. V (Fig. 16 is a post-layout simulation of CONV1 and CONV5): "the ALUs only account for less
    than 10% of the total power, while data movement related components, including spads, GLB, and NoC, account
    for up to 45%", and "besides the clock network, the spads dominate on-chip power consumption"."""
    for r in _conv_rows(eyeriss_alexnet):
        s = _shares(r)
        assert s["alu"] < 0.10, r.name
        assert s["moving"] <= 0.45, r.name
        others = {k: v for k, v in r.energy_by_level_j.items() if k not in ("dram", "clock", "fspad", "spad")}
        assert r.energy_by_level_j["fspad"] + r.energy_by_level_j["spad"] > max(others.values()), r.name


@pytest.mark.xfail(
    strict=True,
    reason="29% vs about 45% in CONV1, the clock network 63%: with every scratchpad register clocked every cycle "
    "and the flip-flops' internal clock energy read from the Nangate45 liberty, the model's clock is larger and "
    "its data movement smaller than Fig. 16 shows (third-party readings of its pie charts give the clock 33-45%), "
    "so the chip-power agreement (262 vs 278 mW) is partly one error compensating another. With word-level clock "
    "gating of the scratchpads (clock_gating registers: true, which synthesis flows infer, but the paper does not "
    "say) the clock share falls to 28% and the chip to 114 mW: then the missing part is logic the model does not "
    "price (control, NoC routing, configuration)",
)
def test_eyeriss_conv1_data_movement_share_near_45_percent(eyeriss_alexnet: accelkit.Evaluation) -> None:
    """Reading "up to 45%" as CONV1's share (the text says spad and ALU power is much lower in CONV5, whose ifmaps
    are mostly zeros, so CONV1 is the larger of the two layers of Fig. 16): within 5 points of 45%."""
    conv1 = next(r for r in _conv_rows(eyeriss_alexnet) if r.name == "conv1")
    assert _shares(conv1)["moving"] == pytest.approx(0.45, abs=0.05)


def test_eyeriss_alexnet_throughput(eyeriss_alexnet: accelkit.Evaluation) -> None:
    """34.7 fps (JSSC 2017) within +-15%, each CONV layer's latency within +-25%: the preset's DRAM link is not
    overlapped with processing, as on the chip (32.7 fps modelled; 44.3 fps when every transfer overlapped)."""
    pub = eyeriss_alexnet.accelerator.published
    conv = _conv_rows(eyeriss_alexnet)
    assert 4 / sum(r.latency_s for r in conv) == pytest.approx(pub["frames_per_second"], rel=0.15)
    for r in conv:
        assert r.latency_s * 1e3 == pytest.approx(pub["per_layer_latency_ms"][r.name], rel=0.25), r.name


def test_eyeriss_alexnet_dram_traffic(eyeriss_alexnet: accelkit.Evaluation) -> None:
    """15.4 MB per batch of 4 (JSSC 2017, Table V), with the chip's run-length coding of feature maps (15.4 MB
    modelled; about 20 MB without the coding)."""
    dram = sum(r.traffic_bytes["dram"] for r in _conv_rows(eyeriss_alexnet))
    assert dram == pytest.approx(eyeriss_alexnet.accelerator.published["dram_bytes_per_batch"], rel=0.20)


@pytest.fixture(scope="module")
def eyeriss_vgg16() -> accelkit.Evaluation:
    """VGG-16's CONV layers, batch 3, on eyeriss_v1 with idle PEs clock-gated. VGG-16's zero fractions are not in
    the text, so neither zero gating nor the DRAM run-length coding can be applied."""
    gate_idle_pes = [{"kind": "clock_gating", "gate": "pes"}]
    return accelkit.evaluate(
        up_to_last_conv("vgg16", batch=3), "eyeriss_v1", objective="edp", optimizations=gate_idle_pes
    )


@pytest.mark.xfail(
    strict=True,
    reason="1.32 vs 0.7 fps: the model runs VGG-16 1.9x faster than the chip (60% of peak; the chip 32%). The "
    "paper (Sec. VI-B) puts it down to the processing passes: 'the early layers require more processing passes "
    "... it spends more time on ramping up the processing in the PE array' (CONV1-2 takes nearly 4x as long as "
    "CONV4-2 for the same MACs); the model charges no ramp-up per pass. Charging the scratchpad fills as stalls "
    "would not explain it: they are 0.2-3.4 M cycles per layer per PE against 8-33 M compute cycles, about the "
    "same for CONV1-2 as for CONV4-2",
)
def test_eyeriss_vgg16_throughput(eyeriss_vgg16: accelkit.Evaluation) -> None:
    """JSSC 2017 abstract: VGG-16's CONV layers at 0.7 frames/s with batch 3. Without the chip's run-length coding
    the model moves more DRAM data than the chip (every layer is DRAM-bound: the link does not overlap
    processing), so its 1.32 fps is its lowest estimate; zero gating changes no cycle."""
    pub = eyeriss_vgg16.accelerator.published["vgg16_conv"]
    fps = 3 / sum(r.latency_s for r in _conv_rows(eyeriss_vgg16))
    assert fps == pytest.approx(pub["frames_per_second"], rel=0.15)


def test_eyeriss_vgg16_dram_accesses_per_mac(eyeriss_vgg16: accelkit.Evaluation) -> None:
    """JSSC 2017 abstract: 0.0035 DRAM accesses (16-bit words) per MAC for VGG-16, with the chip's run-length coding
    of feature maps. The model cannot apply the coding (VGG-16's zero fractions are not published), so it must move
    more: 0.0046 (1.32x). On AlexNet, with the published zero fractions, the same coding saves 1.27x in the model
    (19.3 -> 15.2 MB); a gap above 1.5x would need VGG-16's feature maps to compress far better than AlexNet's."""
    conv = _conv_rows(eyeriss_vgg16)
    per_mac = sum(r.traffic_bytes["dram"] for r in conv) / 2 / sum(r.macs for r in conv)
    pub = eyeriss_vgg16.accelerator.published["vgg16_conv"]["dram_accesses_per_mac"]
    assert pub < per_mac <= 1.5 * pub


@pytest.mark.xfail(
    strict=True,
    reason="322 vs 236 mW: the model's chip energy per batch is 0.73 J against the chip's 1.01 J (236 mW x 4.29 s), "
    "spent in the model's 1.9x shorter time (see the throughput test; the clock and leakage, most of the chip's "
    "power, are paid per cycle, so the missing cycles are also missing energy). Zero gating, which VGG-16's "
    "unpublished zero fractions keep out, would lower the model's energy further",
)
def test_eyeriss_vgg16_chip_power(eyeriss_vgg16: accelkit.Evaluation) -> None:
    """JSSC 2017 abstract: 236 mW for VGG-16's CONV layers at batch 3."""
    assert _chip_power_w(eyeriss_vgg16) == pytest.approx(
        eyeriss_vgg16.accelerator.published["vgg16_conv"]["chip_power_w"], rel=0.15
    )


def test_tpu_like_reaches_its_peak_and_on_chip_memory() -> None:
    """ISCA 2017: 65,536 8-bit MACs, 92 TOPS peak, 28 MiB of on-chip memory (24 MiB buffer + 4 MiB accumulators)."""
    arch = accelkit.load_accelerator("tpu_like")
    pub = arch.published
    mib = sum(arch.level(n).capacity_bits for n in ("glb", "accumulators")) / 8 / 2**20
    assert mib == pub["on_chip_memory_mib"]
    b = NetworkBuilder("matmul", dtype="int8")
    x = b.input("x", (1, 1024, 256))
    b.linear(x, 256, name="mm", bias=False)
    ev = accelkit.evaluate(b.build(), "tpu_like", objective="latency")
    layer = ev.layers[0]
    tops = 2 * layer.macs / (layer.compute_cycles / arch.clock_hz) / 1e12
    assert tops == pytest.approx(pub["peak_tops"], rel=0.01)
    assert layer.macs / layer.compute_cycles == pub["macs"]


@pytest.fixture(scope="module")
def tinyml_peak() -> accelkit.Evaluation:
    """A 3x3 conv that can fill the 8 x 14 array (P = 56 = 8 x 7, Q = 56 = 14 x 4), mapped for the highest
    throughput: the cited figures pair the peak rate with the efficiency, so both are checked at that point."""
    b = NetworkBuilder("peak", dtype="int8")
    x = b.input("x", (1, 32, 56, 56))
    b.conv(x, 32, 3, padding="same", name="conv")
    return accelkit.evaluate(b.build(), "tinyml_int8", objective="latency")


def test_tinyml_reaches_10_gmacs_within_its_power_envelope(tinyml_peak: accelkit.Evaluation) -> None:
    """GAP-8 (ASAP 2018): up to 10 GMAC/s at 90 MHz, 1.0 V, within a worst-case power envelope of 75 mW."""
    pub = tinyml_peak.accelerator.published
    layer = tinyml_peak.layers[0]
    assert layer.macs / layer.latency_s == pytest.approx(pub["macs_per_second"], rel=0.01)
    assert tinyml_peak.power_w <= pub["worst_case_power_w"]


def _conv5x5(dtype: str, size: int) -> Network:
    """One 5x5 convolution, 32 -> 32 channels on size x size pixels: the HWCE's own kind of layer."""
    b = NetworkBuilder("peak5x5", dtype=dtype)
    x = b.input("x", (1, 32, size, size))
    b.conv(x, 32, 5, padding="same", name="conv")
    return b.build()


def _hwce_peak(*, pixels: str = "int16") -> accelkit.Evaluation:
    """A 5x5 conv, 32 -> 32 channels on 56 x 56 pixels, on GAP8's convolution engine at the default objective (EDP),
    with the data on chip (the published figure is taken to be the engine's, fed from L1 and L2).
    ``pixels="int8"``: the engine's 8-bit-pixel option, as a quantization block (activations int8, weights the
    engine's int4); the partial sums through L1 stay 16-bit (an assumption: the SDK's y_in / y_out are 16-bit)."""
    blocks = [] if pixels == "int16" else [{"kind": "quantization", "activations": pixels, "weights": "int4"}]
    return accelkit.evaluate(_conv5x5("int16", 56), "gap8_hwce", residency="on_chip", optimizations=blocks)


def test_gap8_hwce_computes_four_5x5_convolutions_per_cycle() -> None:
    """GreenWaves' SDK manual: four 5x5 convolutions per cycle with 4-bit weights, i.e. 100 MACs per cycle, 9 GMAC/s at
    90 MHz, below GAP8's 'up to 10 GMAC/s' (the abstract does not split that between the engine and the 8 cores).
    The power bound is a sanity check only (the engine alone is far below the chip's worst case)."""
    ev = _hwce_peak()
    pub = ev.accelerator.published
    layer = ev.layers[0]
    assert layer.macs / layer.compute_cycles == pub["macs_per_cycle"]
    assert layer.latency_s * ev.accelerator.clock_hz == layer.compute_cycles  # no stall: L1 feeds it every cycle
    assert 0.85 * pub["macs_per_second_chip"] <= layer.macs / layer.latency_s <= pub["macs_per_second_chip"]
    assert ev.power_w <= pub["worst_case_power_w"]


def test_gap8_hwce_efficiency_brackets_the_published_figure() -> None:
    """GAP-8 (ASAP 2018): 600 GMAC/s/W, a chip-level figure whose pixel and weight widths the abstract does not give.
    The preset takes the 4-bit-weight mode, the only one with 100 MACs per cycle (an inference from the 10 GMAC/s;
    the SDK's own kernels use 16-bit coefficients at 25-27 MACs per cycle), and the engine takes 16-bit pixels (its
    SDK kernels' format) or 8-bit ones (less power, same rate). The engine-only model brackets the figure: 498
    GMAC/s/W with 16-bit pixels (-17%), 643 with 8-bit ones (+7%), each within 20%. What the model leaves out (the
    engine's streamers and control, the cluster around it) would lower both."""
    pub = accelkit.load_accelerator("gap8_hwce").published["energy_efficiency_mac_per_j"]
    wide, narrow = (ev.macs / ev.energy_j for ev in (_hwce_peak(), _hwce_peak(pixels="int8")))
    assert wide < pub < narrow
    assert wide == pytest.approx(pub, rel=0.20)
    assert narrow == pytest.approx(pub, rel=0.20)


def test_gap8_engine_beats_the_generic_tinyml_array_on_its_layer() -> None:
    """tinyml_int8 is a generic array for any layer; GAP8 reaches its figures with a specialised engine. On the
    engine's own layer (5x5, 48 x 48, both with the data on chip) the engine, with pixels twice as wide, is 1.41x
    as efficient (500 vs 354 GMAC/s/W): its line buffer reads each pixel once for the 25 taps and 4 filters and its
    weights stay in the multipliers, so it spends less in L1 (0.55 vs 0.88 pJ/MAC) and on the clock (0.56 vs 0.80)."""
    generic = accelkit.evaluate(_conv5x5("int8", 48), "tinyml_int8", residency="on_chip")
    engine = accelkit.evaluate(_conv5x5("int16", 48), "gap8_hwce", residency="on_chip")
    ratio = (engine.macs / engine.energy_j) / (generic.macs / generic.energy_j)
    assert 1.25 <= ratio <= 1.6
    for level in ("l1", "clock"):
        per_mac = {ev.accelerator.name: ev.layers[0].energy_by_level_j[level] / ev.macs for ev in (generic, engine)}
        assert per_mac["gap8_hwce"] < per_mac["tinyml_int8"], level
