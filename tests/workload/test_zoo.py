"""The zoo registry and its builders: every entry, aliases, parameters, errors, and transformer structure."""

from __future__ import annotations

import pytest

from accelkit.errors import AccelkitError, UnknownNameError
from accelkit.workload.builder import NetworkBuilder
from accelkit.workload.ir import Network, Operand, OpKind, WeightSource
from accelkit.workload.zoo import ZOO, get_entry, get_network, resolve_name, zoo_names

ALL = zoo_names()


@pytest.fixture(scope="module")
def defaults() -> dict[str, Network]:
    return {name: get_network(name) for name in ALL}


# ---- every entry --------------------------------------------------------------------------------------------
def test_the_zoo_has_the_reference_networks() -> None:
    expected = {"alexnet", "alexnet_torchvision", "vgg16", "resnet18", "resnet50", "mobilenet_v1", "mobilenet_v2"}
    expected |= {"efficientnet_b0", "vit_tiny", "bert_tiny"}
    assert expected <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_entry_builds_with_defaults(defaults: dict[str, Network], name: str) -> None:
    net = defaults[name]
    entry = get_entry(name)
    assert net.name == name
    assert net.macs > 0 and net.params > 0
    assert net.provenance["zoo"] == name
    assert net.provenance["zoo_params"] == entry.params
    assert all(v is not None for v in entry.params.values())


@pytest.mark.parametrize("name", ALL)
def test_entry_is_documented(name: str) -> None:
    entry = get_entry(name)
    assert entry.description and entry.task
    for key in ("title", "year", "where"):
        assert entry.source.get(key), f"{name}: source lacks {key}"
    assert isinstance(entry.source["year"], int) and 1980 < entry.source["year"] < 2100
    assert entry.build.__doc__ or name.startswith("mlperf_tiny")


def test_names_and_aliases_are_unique_and_resolve() -> None:
    seen: dict[str, str] = {}
    for name, entry in ZOO.items():
        assert name == entry.name
        assert resolve_name(name) == name
        for alias in entry.aliases:
            assert alias not in ZOO, f"alias {alias!r} of {name!r} shadows a network name"
            assert alias not in seen, f"alias {alias!r} used by {seen.get(alias)!r} and {name!r}"
            seen[alias] = name
            assert resolve_name(alias) == name
            assert get_entry(alias) is entry


def test_names_are_case_and_hyphen_insensitive() -> None:
    assert get_entry("ResNet-50").name == "resnet50"
    assert get_entry("VGG-16").name == "vgg16"
    assert get_entry("ViT-Ti").name == "vit_tiny"
    assert get_entry("mobilenetv1_1.0_224").name == "mobilenet_v1"


@pytest.mark.parametrize("name", ALL)
def test_batch_doubles_macs_not_params(defaults: dict[str, Network], name: str) -> None:
    assert "batch" in get_entry(name).params
    one, two = defaults[name], get_network(name, batch=2)
    assert two.macs == 2 * one.macs
    assert two.params == one.params
    assert sum(layer.ops for layer in two.layers) == 2 * sum(layer.ops for layer in one.layers)


@pytest.mark.parametrize("name", ALL)
def test_dtype_parameter_sets_layer_precision(name: str) -> None:
    net = get_network(name, dtype="int8")
    compute = [layer for layer in net.compute_layers if layer.weight_source is WeightSource.CONSTANT]
    assert compute and all(layer.bits_of(Operand.WEIGHT) == 8 for layer in compute)


# ---- errors -------------------------------------------------------------------------------------------------
def test_unknown_parameter_names_the_allowed_ones() -> None:
    with pytest.raises(AccelkitError) as exc:
        get_network("bert_tiny", sequence_length=64)
    msg = str(exc.value)
    assert "'bert_tiny'" in msg and "'sequence_length'" in msg
    assert "seq_len=128" in msg and "batch=1" in msg and "heads=2" in msg


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(UnknownNameError) as exc:
        get_network("resnet51")
    assert "Did you mean" in str(exc.value) and "'resnet50'" in str(exc.value)
    with pytest.raises(UnknownNameError, match="'vit_tiny'"):
        get_entry("vit_tiy")


@pytest.mark.parametrize(
    ("name", "params", "fragment"),
    [
        ("vit_tiny", {"heads": 5}, "must divide dim"),
        ("vit_tiny", {"image_size": 230}, "must divide image_size"),
        ("bert_tiny", {"seq_len": 513}, "max_position"),
        ("bert_tiny", {"seq_len": 0}, "seq_len must be positive"),
        ("vgg16", {"resolution": 100}, "not a multiple of 7x7"),
        ("resnet50", {"batch": 0}, "batch must be positive"),
        ("mobilenet_v2", {"width_mult": -1.0}, "width_mult must be positive"),
    ],
)
def test_bad_parameter_values_are_user_errors(name: str, params: dict[str, object], fragment: str) -> None:
    with pytest.raises(AccelkitError, match=fragment):
        get_network(name, **params)


# ---- CNN structure ------------------------------------------------------------------------------------------
def test_resnet50_is_v1_5_with_projection_shortcuts(defaults: dict[str, Network]) -> None:
    net = defaults["resnet50"]
    assert net.layer("layer2.0.conv1").stride == (1, 1)
    assert net.layer("layer2.0.conv2").stride == (2, 2)
    projections = [layer for layer in net.layers if layer.name.endswith("downsample")]
    assert len(projections) == 4
    assert sum(layer.macs for layer in projections) == pytest.approx(0.088 * net.macs, rel=0.01)
    add = net.layer("layer1.0.add")
    assert add.op is OpKind.ELTWISE and add.fused == ("relu",)
    pool = net.layer("maxpool")
    assert (pool.R, pool.stride, pool.padding, pool.P) == (3, (2, 2), (1, 1, 1, 1), 56)
    assert all(not layer.bias or "BatchNorm" in layer.fused for layer in net.layers if layer.op is OpKind.CONV)


def test_efficientnet_squeeze_excitation(defaults: dict[str, Network]) -> None:
    net = defaults["efficientnet_b0"]
    # block 2.0: input 16 channels, expanded x6 = 96, squeeze to max(1, 16 // 4) = 4
    fc1, fc2 = net.layer("block2.0.se.fc1"), net.layer("block2.0.se.fc2")
    assert (fc1.C, fc1.K, fc1.bias, fc1.fused) == (96, 4, True, ("swish",))
    assert (fc2.C, fc2.K, fc2.bias, fc2.fused) == (4, 96, True, ("sigmoid",))
    scale = net.layer("block2.0.se.scale")
    assert scale.attrs["fn"] == "mul"
    assert [net.tensors[t].shape for t in scale.inputs] == [(1, 96, 56, 56), (1, 96, 1, 1)]
    assert net.tensors[scale.outputs[0]].shape == (1, 96, 56, 56)
    dw = net.layer("block3.0.dw")
    assert (dw.op, dw.R, dw.padding, dw.stride, dw.P) == (OpKind.DEPTHWISE, 5, (2, 2, 2, 2), (2, 2), 28)
    assert sum(1 for layer in net.layers if layer.name.endswith(".se.scale")) == 16


def test_mobilenet_v1_quarter_width_matches_mlperf_vww(defaults: dict[str, Network]) -> None:
    """MLPerf Tiny VWW is MobileNetV1 alpha 0.25 at 96x96: the convolutional body must agree to the MAC."""
    quarter = get_network("mobilenet_v1", width_mult=0.25, resolution=96)

    def conv_macs(net: Network) -> int:
        return sum(layer.macs for layer in net.layers if layer.op in (OpKind.CONV, OpKind.DEPTHWISE))

    assert conv_macs(quarter) == conv_macs(defaults["mlperf_tiny_vww"]) == 7_489_152


def test_resolution_parameter() -> None:
    assert get_network("resnet50", resolution=448).macs == pytest.approx(4 * 4_089_184_256, rel=1e-3)
    assert get_network("vgg16", resolution=448).params == 138_357_544  # adaptive pool keeps fc6 at 25,088
    assert get_network("alexnet", resolution=259).layer("fc6").C == 256 * 7 * 7


# ---- transformers -------------------------------------------------------------------------------------------
def _bert_macs(n: int, t: int, layers: int = 2, d: int = 128, inter: int = 512) -> int:
    """Projections 4TD^2 + FFN 2TDI (linear in T) + QK^T and AV 2T^2D (quadratic) per layer, + pooler D^2."""
    return n * (layers * (4 * t * d * d + 2 * t * d * inter + 2 * t * t * d) + d * d)


def _vit_macs(n: int, image: int, patch: int = 16, layers: int = 12, d: int = 192, mlp: int = 768) -> int:
    t = (image // patch) ** 2 + 1
    embed = (t - 1) * d * 3 * patch * patch
    return n * (embed + layers * (4 * t * d * d + 2 * t * d * mlp + 2 * t * t * d) + d * 1000)


def test_bert_tiny_totals(defaults: dict[str, Network]) -> None:
    net = defaults["bert_tiny"]
    assert net.macs == _bert_macs(1, 128) == 58_736_640
    # word 30522x128 + position 512x128 + type 2x128 + LN 256; per layer 4 x (128^2+128) + 2 LN + FFN; pooler
    embeddings = 30522 * 128 + 512 * 128 + 2 * 128 + 256
    per_layer = 4 * (128 * 128 + 128) + 2 * 256 + (128 * 512 + 512) + (512 * 128 + 128)
    assert net.params == embeddings + 2 * per_layer + (128 * 128 + 128) == 4_385_920
    assert net.params == pytest.approx(get_entry("bert_tiny").published["params"], rel=0.01)


@pytest.mark.parametrize("seq_len", [1, 16, 64, 128, 256, 512])
def test_bert_macs_follow_the_formula(seq_len: int) -> None:
    net = get_network("bert_tiny", seq_len=seq_len, batch=3)
    assert net.macs == _bert_macs(3, seq_len)
    assert net.params == 4_385_920  # the position table has max_position rows whatever seq_len is


def test_bert_attention_quadratic_and_linear_parts() -> None:
    def parts(t: int) -> tuple[int, int]:
        net = get_network("bert_tiny", seq_len=t)
        attn = sum(layer.macs for layer in net.layers if layer.weight_source is WeightSource.ACTIVATION)
        return attn, net.macs - attn - 128 * 128  # minus the pooler, which reads one token

    a64, l64 = parts(64)
    a128, l128 = parts(128)
    assert a128 == 4 * a64 == 2 * 2 * 128 * 128 * 128
    assert l128 == 2 * l64


@pytest.mark.parametrize("image_size", [32, 96, 224, 384])
def test_vit_macs_follow_the_formula(image_size: int) -> None:
    net = get_network("vit_tiny", image_size=image_size)
    assert net.macs == _vit_macs(1, image_size)
    tokens = (image_size // 16) ** 2 + 1
    qk = net.layer("blocks.0.attn.qk")
    assert qk.dim("P") == qk.dim("K") == tokens
    # only the position embedding depends on the token count
    assert net.params == 5_717_416 + (tokens - 197) * 192


def test_vit_attention_layer_shapes() -> None:
    net = get_network("vit_tiny", batch=2)
    qk, av = net.layer("blocks.3.attn.qk"), net.layer("blocks.3.attn.av")
    assert (qk.op, qk.weight_source) == (OpKind.MATMUL, WeightSource.ACTIVATION)
    assert (qk.G, qk.P, qk.C, qk.K) == (2 * 3, 197, 64, 197)
    assert (av.G, av.P, av.C, av.K) == (2 * 3, 197, 197, 64)
    assert qk.params == 0 and av.params == 0
    assert net.layer("blocks.3.attn.softmax").attrs["fn"] == "softmax"
    for proj in ("query", "key", "value", "out"):
        layer = net.layer(f"blocks.3.attn.{proj}")
        assert (layer.op, layer.P, layer.C, layer.K, layer.params) == (OpKind.MATMUL, 2 * 197, 192, 192, 192 * 193)
    fc1 = net.layer("blocks.3.mlp.fc1")
    assert (fc1.K, fc1.fused) == (768, ("gelu",))
    transposes = [layer for layer in net.layers if layer.op_type == "transpose"]
    assert len(transposes) == 1 + 4 * 12  # patch tokens + (Q, K, V split, head merge) per block
    assert net.layer("blocks.3.attn.key_heads_t").attrs["perm"] == (0, 2, 3, 1)
    norms = [layer for layer in net.layers if layer.op_type == "layernorm"]
    assert len(norms) == 2 * 12 + 1 and all(layer.params == 2 * 192 for layer in norms)


def test_vit_parameters_outside_loop_nests() -> None:
    net = get_network("vit_tiny")
    assert net.layer("cls_concat").params == 192
    assert net.layer("pos_add").params == 197 * 192
    assert net.tensors["pos_embed"].is_constant and net.tensors["cls_token"].is_constant
    assert net.layer("patch_embed").params == 3 * 16 * 16 * 192 + 192
    extra = sum(layer.attrs.get("extra_params", 0) for layer in net.layers)
    assert extra == 192 + 197 * 192 + 25 * 2 * 192


def test_bert_embeddings_are_gathers() -> None:
    net = get_network("bert_tiny")
    word = net.layer("embeddings.word_embeddings")
    assert (word.op, word.op_type, word.macs, word.params) == (OpKind.OTHER, "gather", 0, 30522 * 128)
    assert net.tensors["embeddings.word_embeddings.weight"].shape == (30522, 128)
    assert net.tensors[word.outputs[0]].shape == (1, 128, 128)
    assert str(net.tensors["input_ids"].dtype) == "int32"
    assert str(net.tensors[word.outputs[0]].dtype) == "fp32"
    assert net.layer("embeddings.position_embeddings").params == 512 * 128
    assert len(net.outputs) == 2


# ---- builder helpers the zoo relies on ----------------------------------------------------------------------
def test_builder_embedding_counts_a_shared_table_once() -> None:
    b = NetworkBuilder("t")
    ids = b.input("ids", (2, 5), dtype="int32")
    e1 = b.embedding(ids, 100, 8, name="enc", table="shared")
    e2 = b.embedding(ids, 100, 8, name="dec", table="shared")
    net = b.build(outputs=[e1, e2])
    assert net.layer("enc").params == 800 and net.layer("dec").params == 0
    with pytest.raises(AccelkitError, match="table 'shared'"):
        b.embedding(ids, 50, 8, table="shared")


def test_builder_transpose_and_layernorm() -> None:
    b = NetworkBuilder("t")
    x = b.input("x", (2, 3, 4))
    y = b.transpose(x, (0, 2, 1))
    assert b.shape(y) == (2, 4, 3)
    z = b.layernorm(y, affine=False)
    assert b.layers[-1].params == 0 and b.layers[-1].ops == 5 * 24
    with pytest.raises(AccelkitError, match="not a permutation"):
        b.transpose(z, (0, 1, 1))
