"""An independent Llama forward pass in NumPy, straight from the textbook equations.

It shares nothing with core/llm/model.py: it takes q/k exactly as the GGUF stores them (llama.cpp's
layout) and rotates *adjacent* pairs, as llama.cpp does, while the Keras model un-permutes them and
rotates half-split pairs. Full recomputation, no cache: slow but obviously right.
"""
from __future__ import annotations

import numpy as np


def raw_qk(path) -> dict[str, np.ndarray]:
    """q and k projections as stored in the GGUF (permuted for adjacent-pair RoPE)."""
    import gguf
    reader = gguf.GGUFReader(str(path))
    out = {}
    for t in reader.tensors:
        if t.name.endswith(("attn_q.weight", "attn_k.weight")):
            w = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
            out[t.name] = w.reshape(tuple(int(d) for d in reversed(t.shape)))
    return out


def rms_norm(x, g, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * g


def rope_adjacent(x, theta):
    """x: (T, heads, d). Rotate (x[2i], x[2i+1]) by angle pos * theta^(-2i/d)."""
    T, _, d = x.shape
    inv = theta ** (-np.arange(0, d, 2) / d)                 # (d/2,)
    ang = np.arange(T)[:, None] * inv[None, :]               # (T, d/2)
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    a, b = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = a * cos - b * sin
    out[..., 1::2] = a * sin + b * cos
    return out


def forward(ids, w, qk, cfg) -> np.ndarray:
    """Logits (T, vocab) for token ids. w: HF-named weights; qk: raw GGUF q/k."""
    x = w["embed_tokens"][np.asarray(ids)].astype(np.float64)
    T, d = len(ids), cfg.head_dim
    group = cfg.heads // cfg.kv_heads
    mask = np.triu(np.full((T, T), -np.inf), 1)
    for i in range(cfg.layers):
        h = rms_norm(x, w[f"layers.{i}.input_layernorm"], cfg.norm_eps)
        q = (h @ qk[f"blk.{i}.attn_q.weight"].T).reshape(T, cfg.heads, d)
        k = (h @ qk[f"blk.{i}.attn_k.weight"].T).reshape(T, cfg.kv_heads, d)
        v = (h @ w[f"layers.{i}.v_proj"].T).reshape(T, cfg.kv_heads, d)
        q, k = rope_adjacent(q, cfg.rope_theta), rope_adjacent(k, cfg.rope_theta)
        heads = []
        for hq in range(cfg.heads):
            kv = hq // group                                  # grouped-query attention
            s = q[:, hq] @ k[:, kv].T / np.sqrt(d) + mask
            p = np.exp(s - s.max(-1, keepdims=True))
            p /= p.sum(-1, keepdims=True)
            heads.append(p @ v[:, kv])
        x = x + np.concatenate(heads, -1) @ w[f"layers.{i}.o_proj"].T
        h = rms_norm(x, w[f"layers.{i}.post_attention_layernorm"], cfg.norm_eps)
        gate, up = h @ w[f"layers.{i}.gate_proj"].T, h @ w[f"layers.{i}.up_proj"].T
        x = x + (gate / (1 + np.exp(-gate)) * up) @ w[f"layers.{i}.down_proj"].T   # SwiGLU
    x = rms_norm(x, w["norm"], cfg.norm_eps)
    return x @ w["embed_tokens"].T                            # tied embeddings
