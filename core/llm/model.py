"""SmolLM2-135M as a compact Keras 3 Llama, every equation in plain sight.

Why our own model and not Keras Hub's `LlamaBackbone` (PyPI keras-hub 0.32.0 installs cleanly
beside TF 2.21 / Keras 3.15; measured with the same weights on the same shared 2 cores, see
benchmarks/llm.py --keras-hub): both give the same next token (" Paris", p = 0.7725), and in
float32 they decode equally fast as TensorFlow graphs (3.7 vs 3.8 tokens/s in one run on a machine
loaded about 3x over). The differences that decided it:
- int8. Keras Hub's layers quantize activations too and multiply int8 x int8, which TensorFlow's
  CPU kernels ran 3.6x slower than float32 here; its kernels are (in, out), a layout XLA's CPU
  matrix-vector code handles 6-14x slower. This model's weight-only int8 step decoded 2.7x faster
  than float32 in the same run.
- Compile: Keras Hub's XLA step took 78 s to compile and then ran 3.6 tokens/s (it stacks and
  returns all 30 layers' caches every step).
- The Inside view needs each layer's attention weights and residual stream, which Keras Hub's
  attention layer does not return; and it pulls tensorflow-text, sentencepiece, kagglehub and
  huggingface-hub, none of which the studio needs.
So: about 200 lines here, readable, with weights laid out for speed:

- Every projection is an `EinsumDense("bti,oi->bto")` whose kernel is (out, in), the layout
  the checkpoint uses. XLA on CPU turns a matrix-vector product with that layout, int8 weights
  included, into one fused loop that converts each weight as it reads it; with Dense's (in, out)
  layout it was 6-14 times slower here. In float32 `project` runs it as matmul(transpose_b)
  instead of the einsum, which TensorFlow lowers to a copy of W first (every token, 210 copies).
- q/k/v share one projection, as do gate/up (their rows stacked): fewer, larger products.
- int8 is Keras' own quantization (`model.quantize("int8", config=...)`), weight-only
  (`activation_quantizer=None`): one scale per output row, activations stay float32.
- Rotary embeddings use the half-split pairing (i, i + d/2); `gguf.unpermute` converts
  llama.cpp's adjacent-pair layout.

Shapes: B batch, T new tokens, S keys (cache length), H query heads, K key/value heads,
G = H / K queries sharing one key/value head (grouped-query attention), D head size.
"""
from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

from .gguf import LlamaConfig


def linear(units: int, name: str) -> layers.EinsumDense:
    """y = x W^T with W stored (out, in), no bias (Llama has none)."""
    return layers.EinsumDense("bti,oi->bto", output_shape=(None, units), name=name)


def times_transposed(x, w):
    """x W^T for W stored (out, in), reading W in place. TensorFlow lowers the einsum
    "...i,oi->...o" to a transpose of W and a matmul: a copy of every weight, every token (540 MB
    per token, as much memory traffic as the products themselves)."""
    import tensorflow as tf
    return tf.matmul(x, w, transpose_b=True)


def project(dense: layers.EinsumDense, x):
    """dense(x), a float32 kernel read in place (times_transposed). Keras' int8 layers keep their
    own call, which XLA fuses with the int8 -> float conversion.

    With a LoRA adapter (core/llm/finetune.py) it is x W^T + (α/r)·(x B^T) A^T, the adapter beside
    the frozen W, never x (W + (α/r)·A·B)^T: the gradient then reaches only A and B. Through the
    summed kernel, backpropagation builds a dense out × in gradient for every projection (the cost
    of a full fine-tune) only to pass it on to A and B."""
    if dense.quantization_mode is not None:
        return dense(x)
    if not getattr(dense, "lora_enabled", False):
        return times_transposed(x, dense.kernel)
    low_rank = times_transposed(times_transposed(x, dense.lora_kernel_b), dense.lora_kernel_a)
    return times_transposed(x, dense._kernel) + (dense.lora_alpha / dense.lora_rank) * low_rank


class RMSNorm(layers.Layer):
    """x / sqrt(mean(x^2) + eps) * g"""

    def __init__(self, eps: float, **kwargs):
        super().__init__(**kwargs)
        self.eps = eps

    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + self.eps) * self.scale


def rope_tables(cfg: LlamaConfig, length: int) -> tuple[np.ndarray, np.ndarray]:
    """cos/sin of angle p * theta^(-2i/D) for positions p < length, i < D/2."""
    inv_freq = cfg.rope_theta ** (-np.arange(0, cfg.head_dim, 2, dtype=np.float64) / cfg.head_dim)
    angles = np.arange(length)[:, None] * inv_freq[None, :]
    return np.cos(angles).astype("float32"), np.sin(angles).astype("float32")


def rotate(x, cos, sin):
    """RoPE, half-split: (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin). x: (B, T, heads, D);
    cos/sin: (T, D/2) for the tokens' positions."""
    x1, x2 = ops.split(x, 2, axis=-1)
    cos, sin = cos[None, :, None, :], sin[None, :, None, :]
    return ops.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)


class Attention(layers.Layer):
    def __init__(self, cfg: LlamaConfig, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        # q, k and v in one product (their rows stacked, see weight_map): one pass over x and
        # one kernel call instead of three.
        self.qkv = linear((cfg.heads + 2 * cfg.kv_heads) * cfg.head_dim, "qkv")
        self.o = linear(cfg.hidden, "o")

    def build(self, input_shape):
        self.qkv.build(input_shape)
        self.o.build(input_shape)

    def call(self, x, cos, sin, positions, cache=None, start=0, return_weights=False, segments=None):
        """x: (B, T, hidden) at `positions` start..start+T-1. cache: None (the keys are just these
        T tokens) or one layer's slot of a key/value cache (core.llm.generate.CacheSlot), into
        which this step's keys/values are written at those positions; it returns the S keys and
        values a query may look at. segments: (B, T), training's packed rows (several examples
        end to end, core/llm/finetune.py): a token sees only the earlier tokens of its own example.

        Positions need not restart at each packed example: with rotary embeddings q_t . k_s
        depends only on t - s, so an example scores the same wherever it sits in the row."""
        c = self.cfg
        B, T, D, K, G = ops.shape(x)[0], ops.shape(x)[1], c.head_dim, c.kv_heads, c.heads // c.kv_heads
        qkv = ops.reshape(project(self.qkv, x), (B, T, c.heads + 2 * K, D))
        qk, v = qkv[:, :, :c.heads + K], qkv[:, :, c.heads + K:]
        qk = rotate(qk, cos, sin)                       # queries and keys turn alike
        q, k = qk[:, :, :c.heads], qk[:, :, c.heads:]
        if cache is not None:
            k, v = cache.update(k, v, start)
        q = ops.reshape(q, (B, T, K, G, D))
        # scores[b, k, g, t, s] = q_t . k_s / sqrt(D), then softmax over the visible keys s
        scores = ops.einsum("btkgd,bskd->bkgts", q, k) / math.sqrt(D)
        visible = ops.arange(ops.shape(k)[1])[None, :] <= positions[:, None]   # causal: s <= t
        if segments is not None:                                                # and the same example
            visible = (visible[None] & (segments[:, :, None] == segments[:, None, :]))[:, None, None]
        scores = ops.where(visible, scores, ops.cast(-1e9, scores.dtype))
        weights = ops.softmax(scores, axis=-1)
        out = ops.einsum("bkgts,bskd->btkgd", weights, v)
        out = project(self.o, ops.reshape(out, (B, T, c.heads * D)))
        if return_weights:
            return out, ops.reshape(weights, (B, c.heads, T, -1))
        return out, None


class MLP(layers.Layer):
    """SwiGLU: down(silu(gate(x)) * up(x)), gate and up in one product (rows stacked)."""

    def __init__(self, cfg: LlamaConfig, **kwargs):
        super().__init__(**kwargs)
        self.ffn = cfg.ffn
        self.gate_up = linear(2 * cfg.ffn, "gate_up")
        self.down = linear(cfg.hidden, "down")

    def build(self, input_shape):
        self.gate_up.build(input_shape)
        self.down.build(tuple(input_shape[:-1]) + (self.ffn,))

    def call(self, x):
        gate_up = project(self.gate_up, x)
        gate, up = gate_up[..., :self.ffn], gate_up[..., self.ffn:]
        return project(self.down, ops.silu(gate) * up)


class Block(layers.Layer):
    """x + attention(norm(x)), then x + mlp(norm(x))"""

    def __init__(self, cfg: LlamaConfig, **kwargs):
        super().__init__(**kwargs)
        self.attn_norm = RMSNorm(cfg.norm_eps, name="attn_norm")
        self.attn = Attention(cfg, name="attn")
        self.mlp_norm = RMSNorm(cfg.norm_eps, name="mlp_norm")
        self.mlp = MLP(cfg, name="mlp")

    def build(self, input_shape):
        for sub in (self.attn_norm, self.attn, self.mlp_norm, self.mlp):
            sub.build(input_shape)

    def call(self, x, cos, sin, positions, cache=None, start=0, return_weights=False, segments=None):
        a, weights = self.attn(self.attn_norm(x), cos, sin, positions, cache=cache, start=start,
                               return_weights=return_weights, segments=segments)
        x = x + a
        x = x + self.mlp(self.mlp_norm(x))
        return x, weights


class TiedEmbedding(layers.Embedding):
    """Token embedding whose transpose is also the output layer (tied weights):
    logits = h E^T. Quantized to int8 by Keras, E = E_int8 / scale (one scale per token row)."""

    def logits(self, h):
        if self.quantization_mode == "int8":
            x = ops.einsum("...i,vi->...v", h, ops.cast(self._embeddings, h.dtype))
            return x / self.embeddings_scale
        return times_transposed(h, self.embeddings)


@keras.saving.register_keras_serializable(package="model_studio")
class SmolLM(keras.Model):
    """The whole model. `call(ids)` is the plain causal forward pass (logits for every position);
    `forward(...)` adds the key/value cache and the internals the Inside view shows."""

    def __init__(self, cfg: LlamaConfig = LlamaConfig(), max_positions: int = 2048, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.max_positions = max_positions
        self.embed = TiedEmbedding(cfg.vocab_size, cfg.hidden, name="embed")
        self.blocks = [Block(cfg, name=f"block_{i}") for i in range(cfg.layers)]
        self.norm = RMSNorm(cfg.norm_eps, name="norm")
        cos, sin = rope_tables(cfg, max_positions)
        self._cos, self._sin = ops.convert_to_tensor(cos), ops.convert_to_tensor(sin)

    def build(self, input_shape=None):
        self.embed.build((None, None))
        for block in self.blocks:
            block.build((None, None, self.cfg.hidden))
        self.norm.build((None, None, self.cfg.hidden))
        self.built = True

    def forward(self, ids, start=0, caches=None, return_hidden=False, return_attention=False):
        """ids: (B, T) int32, at positions start..start+T-1. caches: None, or one cache slot per
        block (core.llm.generate.KVCache.slots), written in place. Returns a dict: logits
        (B, T, V) and if asked hidden (the residual stream after each block) and attention
        (B, H, T, S) per block."""
        T = ops.shape(ids)[1]
        positions = start + ops.arange(T)
        cos, sin = ops.take(self._cos, positions, axis=0), ops.take(self._sin, positions, axis=0)
        x = self.embed(ids)
        hidden, attention = [], []
        for i, block in enumerate(self.blocks):
            x, weights = block(x, cos, sin, positions, cache=None if caches is None else caches[i],
                               start=start, return_weights=return_attention)
            if return_hidden:
                hidden.append(x)
            if return_attention:
                attention.append(weights)
        out = {"logits": self.embed.logits(self.norm(x))}
        if return_hidden:
            out["hidden"] = hidden
        if return_attention:
            out["attention"] = attention
        return out

    def call(self, ids):
        return self.forward(ids)["logits"]

    def features(self, ids, segments=None):
        """The normed last hidden state of every position (B, T, hidden), before the output layer:
        training applies that layer only where it needs logits (core/llm/finetune.py). segments:
        packed rows, see Attention.call."""
        T = ops.shape(ids)[1]
        positions = ops.arange(T)
        cos, sin = ops.take(self._cos, positions, axis=0), ops.take(self._sin, positions, axis=0)
        x = self.embed(ids)
        for block in self.blocks:
            x, _ = block(x, cos, sin, positions, segments=segments)
        return self.norm(x)

    def lens(self, h):
        """Logit lens: what the model would predict if the residual stream h were the last."""
        return self.embed.logits(self.norm(h))

    def get_config(self):
        return {"max_positions": self.max_positions, **self.cfg.__dict__}

    @classmethod
    def from_config(cls, config):
        """A merged tuned model saved as .keras loads back as this class (keras.saving.load_model)."""
        config = dict(config)
        max_positions = config.pop("max_positions")
        known = set(LlamaConfig.__dataclass_fields__)
        model = cls(LlamaConfig(**{k: v for k, v in config.items() if k in known}), max_positions)
        model.build()
        return model


def weight_map(cfg: LlamaConfig) -> dict[str, tuple[str, ...]]:
    """Keras variable path -> the Hugging Face names (as read by gguf.read_gguf) whose rows it
    stacks: one name, or q/k/v and gate/up for the fused projections."""
    names = {"embed/embeddings": ("embed_tokens",), "norm/scale": ("norm",)}
    for i in range(cfg.layers):
        b, h = f"block_{i}", f"layers.{i}."
        names.update({
            f"{b}/attn_norm/scale": (h + "input_layernorm",),
            f"{b}/mlp_norm/scale": (h + "post_attention_layernorm",),
            f"{b}/attn/qkv/kernel": (h + "q_proj", h + "k_proj", h + "v_proj"),
            f"{b}/attn/o/kernel": (h + "o_proj",),
            f"{b}/mlp/gate_up/kernel": (h + "gate_proj", h + "up_proj"),
            f"{b}/mlp/down/kernel": (h + "down_proj",),
        })
    return names


def build_model(weights: dict[str, np.ndarray], cfg: LlamaConfig = LlamaConfig(),
                max_positions: int = 2048) -> SmolLM:
    model = SmolLM(cfg, max_positions=max_positions)
    model.build()
    names = weight_map(cfg)
    seen = set()
    for var in model.weights:
        keys = names[var.path.split("/", 1)[1] if var.path.startswith("smol") else var.path]
        value = np.concatenate([weights[k] for k in keys]) if len(keys) > 1 else weights[keys[0]]
        if tuple(var.shape) != value.shape:
            raise ValueError(f"{var.path}: expected {tuple(var.shape)}, file has {value.shape}")
        var.assign(value)
        seen.update(keys)
    missing = {k for keys in names.values() for k in keys} - seen
    if missing:
        raise ValueError(f"Weights not loaded: {sorted(missing)[:5]}")
    return model


def count_parameters(model: SmolLM) -> int:
    """Parameters counted from the model itself (tied embedding counted once)."""
    return int(sum(np.prod(v.shape) for v in model.weights if "scale" not in v.path
                   or v.path.endswith("norm/scale")))
