"""Transformer encoders: ViT-Ti/16 (image classification) and BERT-Tiny (language encoder).

Conventions shared by both (the same as the importers' view of an attention block):

* **Projections** Q, K, V and the output projection are separate ``linear`` layers (``P = batch * seq``, ``C = dim``,
  ``K = dim``). timm fuses Q/K/V into one ``dim x 3 dim`` matmul: same MACs and parameters, one layer instead of
  three.
* **Heads.** A reshape that keeps the element order is a free ``view``; a permute that changes it is a
  ``transpose`` data-movement layer. Per attention block: Q and V are split into heads
  ``(N, T, D) -> (N, H, T, D/H)``, K straight into its transposed layout ``(N, H, D/H, T)`` (the head split and the
  ``K^T`` in one permute), and the heads are merged back ``(N, H, T, D/H) -> (N, T, H, D/H)`` before the output
  projection: four transposes per block.
* **Attention matmuls** are ``matmul`` layers with an activation as the weight operand: ``QK^T`` has
  ``G = batch * heads, P = seq, C = head_dim, K = seq``; ``AV`` has ``G = batch * heads, P = seq, C = seq,
  K = head_dim``. The ``1/sqrt(head_dim)`` scale is fused into ``QK^T`` (one op per score); softmax is an
  ``eltwise`` layer. No attention mask (every token valid).
* **LayerNorm** is an ``eltwise`` ``layernorm`` layer; GELU is fused into the first MLP linear.
* **Parameters outside the loop nests** (embedding tables, position embeddings, the class token, LayerNorm's
  gamma and beta) are constant tensors read by the layer that uses them and counted in that layer's
  ``attrs["extra_params"]`` (included in ``Layer.params``): the class token on the ``concat`` that prepends it,
  the position embedding on the ``add`` that adds it, each BERT table on its ``gather``.
* MACs: ``N * [L * (4 T D^2 + 2 T D M + 2 T^2 D)] + (embedding / head MACs)`` for ``L`` layers, ``T`` tokens,
  width ``D`` and MLP width ``M``: linear in ``T`` except the attention matmuls, quadratic.
"""

from __future__ import annotations

from accelkit.workload.builder import NetworkBuilder
from accelkit.workload.ir import Network
from accelkit.workload.zoo import zoo_entry


def _attention(b: NetworkBuilder, x: str, heads: int, prefix: str) -> str:
    """Multi-head self-attention over ``x`` (N, T, D); returns the output projection's (N, T, D) result."""
    n, t, d = b.shape(x)
    hd = d // heads
    q = b.linear(x, d, name=f"{prefix}.query")
    k = b.linear(x, d, name=f"{prefix}.key")
    v = b.linear(x, d, name=f"{prefix}.value")
    q = b.transpose(b.view(q, (n, t, heads, hd), out=f"{q}.split"), (0, 2, 1, 3), name=f"{prefix}.query_heads")
    k = b.transpose(b.view(k, (n, t, heads, hd), out=f"{k}.split"), (0, 2, 3, 1), name=f"{prefix}.key_heads_t")
    v = b.transpose(b.view(v, (n, t, heads, hd), out=f"{v}.split"), (0, 2, 1, 3), name=f"{prefix}.value_heads")
    s = b.matmul(q, k, name=f"{prefix}.qk", fused=("scale",), ops=n * heads * t * t)
    s = b.softmax(s, name=f"{prefix}.softmax")
    o = b.matmul(s, v, name=f"{prefix}.av")
    o = b.transpose(o, (0, 2, 1, 3), name=f"{prefix}.merge_heads")
    o = b.view(o, (n, t, d), out=f"{o}.merge")
    return b.linear(o, d, name=f"{prefix}.out")


def _check_shape_params(dim: int, heads: int, **positive: float) -> None:
    for key, value in {"dim": dim, "heads": heads, **positive}.items():
        if value <= 0:
            raise ValueError(f"{key} must be positive, got {value!r}")
    if dim % heads:
        raise ValueError(f"heads={heads} must divide dim={dim}")


# ---- ViT -------------------------------------------------------------------------------------------------------
@zoo_entry(
    "vit_tiny",
    description="ViT-Ti/16 (DeiT-Ti): 16x16 patches, 197 tokens, 12 pre-norm layers, width 192, 3 heads, 1000 classes",
    task="image classification",
    source={
        "authors": "Dosovitskiy et al.",
        "title": "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
        "venue": "ICLR",
        "year": 2021,
        "where": "Sec. 3.1, Eqs. 1-4 (patch embedding, class token, learned position embedding, pre-norm "
        "encoder, head on the class token); the Ti size (192 wide, 3 heads, 12 layers) from Touvron et al., "
        "'Training data-efficient image transformers & distillation through attention', ICML 2021, Table 1; "
        "layer names and the 5,717,416 parameters of timm vit_tiny_patch16_224 / deit_tiny_patch16_224",
    },
    aliases=("vit_ti", "vit_ti_16", "vit_tiny_patch16_224", "deit_tiny", "deit_tiny_patch16_224"),
    published={
        "params": 5_717_416,
        "macs": 1.3e9,
        "paper_params": 5e6,
        "note": "1.3 G: the 'GFLOPs' (multiply-adds) commonly tabulated for DeiT-Ti; remembered, not read here",
    },
)
def vit_tiny(
    batch: int = 1,
    image_size: int = 224,
    patch_size: int = 16,
    layers: int = 12,
    dim: int = 192,
    heads: int = 3,
    mlp_ratio: float = 4.0,
    num_classes: int = 1000,
    dtype: str = "fp32",
) -> Network:
    """A ViT encoder; the sequence length is ``(image_size // patch_size) ** 2 + 1`` (patches + class token).

    Patch embedding is a ``patch_size``-strided conv (3 -> ``dim``, bias) viewed as (N, D, T-1) and transposed to
    (N, T-1, D); the class token is prepended (``concat``, ``dim`` extra params) and the position embedding added
    (``add``, ``T * dim`` extra params). After the final LayerNorm the class token is sliced out for the head.
    """
    _check_shape_params(dim, heads, batch=batch, image_size=image_size, patch_size=patch_size, layers=layers)
    _check_shape_params(1, 1, mlp_ratio=mlp_ratio, num_classes=num_classes)
    if image_size % patch_size:
        raise ValueError(f"patch_size={patch_size} must divide image_size={image_size}")
    grid = image_size // patch_size
    patches = grid * grid
    tokens = patches + 1
    mlp = int(dim * mlp_ratio)
    b = NetworkBuilder("vit_tiny", dtype=dtype)
    x = b.input("input", (batch, 3, image_size, image_size))
    y = b.conv(x, dim, patch_size, stride=patch_size, padding=0, name="patch_embed")
    y = b.view(y, (batch, dim, patches), out="patch_embed.flatten")
    y = b.transpose(y, (0, 2, 1), name="patch_embed.transpose")
    cls = b.constant("cls_token", (1, 1, dim))
    y = b.data_movement(
        [y, cls], "concat", (batch, tokens, dim), name="cls_concat", attrs={"axis": 1, "extra_params": dim}
    )
    pos = b.constant("pos_embed", (1, tokens, dim))
    y = b.eltwise([y, pos], "add", name="pos_add", attrs={"extra_params": tokens * dim})
    for i in range(layers):
        p = f"blocks.{i}"
        h = b.layernorm(y, name=f"{p}.norm1")
        h = _attention(b, h, heads, f"{p}.attn")
        y = b.add(y, h, name=f"{p}.add1")
        h = b.layernorm(y, name=f"{p}.norm2")
        h = b.linear(h, mlp, act="gelu", name=f"{p}.mlp.fc1")
        h = b.linear(h, dim, name=f"{p}.mlp.fc2")
        y = b.add(y, h, name=f"{p}.add2")
    y = b.layernorm(y, name="norm")
    y = b.data_movement([y], "slice", (batch, dim), name="cls_select", attrs={"axis": 1, "index": 0})
    y = b.fc(y, num_classes, name="head")
    return b.build(outputs=[y])


# ---- BERT ------------------------------------------------------------------------------------------------------
@zoo_entry(
    "bert_tiny",
    description="BERT-Tiny encoder: L=2, H=128, A=2, intermediate 512, WordPiece vocabulary 30522, with pooler",
    task="language encoding",
    source={
        "authors": "Turc, Chang, Lee, Toutanova",
        "title": "Well-Read Students Learn Better: On the Importance of Pre-training Compact Models",
        "venue": "arXiv:1908.08962",
        "year": 2019,
        "where": "the 24 compact BERTs released in google-research/bert (BERT-Tiny = L-2_H-128_A-2, uncased); "
        "architecture of Devlin et al., 'BERT: Pre-training of Deep Bidirectional Transformers for Language "
        "Understanding', NAACL 2019, Sec. 3 (post-norm encoder, word + position + segment embeddings, pooler); "
        "names as in Hugging Face BertModel",
    },
    aliases=("bert_l2_h128", "bert_l_2_h_128_a_2", "bert_uncased_l_2_h_128_a_2"),
    published={"params": 4.4e6, "note": "BertModel incl. pooler: 4,385,920 (remembered ~4.4 M)"},
)
def bert_tiny(
    batch: int = 1,
    seq_len: int = 128,
    layers: int = 2,
    dim: int = 128,
    heads: int = 2,
    intermediate: int = 512,
    vocab_size: int = 30522,
    max_position: int = 512,
    type_vocab_size: int = 2,
    dtype: str = "fp32",
) -> Network:
    """A BERT encoder (Hugging Face ``BertModel``: embeddings, post-norm layers, tanh pooler; no task head).

    Inputs are ``input_ids`` and ``token_type_ids`` (int32, N x T); ``position_ids`` is the model's constant
    ``arange(T)`` buffer. Each embedding is a ``gather`` (data movement, no MACs) whose whole table is counted in
    ``attrs["extra_params"]``: the position table holds ``max_position`` rows whatever ``seq_len`` is, so the
    parameter count does not depend on ``seq_len``. Outputs: the sequence output and the pooled class token.
    """
    _check_shape_params(dim, heads, batch=batch, seq_len=seq_len, layers=layers, intermediate=intermediate)
    _check_shape_params(1, 1, vocab_size=vocab_size, max_position=max_position, type_vocab_size=type_vocab_size)
    if seq_len > max_position:
        raise ValueError(f"seq_len={seq_len} exceeds max_position={max_position} (the position table's rows)")
    b = NetworkBuilder("bert_tiny", dtype=dtype)
    ids = b.input("input_ids", (batch, seq_len), dtype="int32")
    types = b.input("token_type_ids", (batch, seq_len), dtype="int32")
    positions = b.constant("position_ids", (1, seq_len), dtype="int32")
    w = b.embedding(ids, vocab_size, dim, name="embeddings.word_embeddings")
    t = b.embedding(types, type_vocab_size, dim, name="embeddings.token_type_embeddings")
    pe = b.embedding(positions, max_position, dim, name="embeddings.position_embeddings")
    y = b.add(w, t, name="embeddings.add_token_type")
    y = b.add(y, pe, name="embeddings.add_position")
    y = b.layernorm(y, name="embeddings.LayerNorm")
    for i in range(layers):
        p = f"encoder.layer.{i}"
        a = _attention(b, y, heads, f"{p}.attention")
        y = b.layernorm(b.add(a, y, name=f"{p}.attention.add"), name=f"{p}.attention.LayerNorm")
        h = b.linear(y, intermediate, act="gelu", name=f"{p}.intermediate")
        h = b.linear(h, dim, name=f"{p}.output")
        y = b.layernorm(b.add(h, y, name=f"{p}.output.add"), name=f"{p}.output.LayerNorm")
    cls = b.data_movement([y], "slice", (batch, dim), name="pooler.select", attrs={"axis": 1, "index": 0})
    pooled = b.fc(cls, dim, act="tanh", name="pooler.dense")
    return b.build(outputs=[y, pooled])
