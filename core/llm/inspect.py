"""What happens inside: attention per layer and head, the logit lens, and the model's sizes.

One plain forward pass over a short prompt (eager, no cache), keeping what the blocks compute.
"""
from __future__ import annotations

import numpy as np

from .generate import softmax

MAX_INSPECT_TOKENS = 256   # attention maps are layers x heads x T x T: keep them small


def _forward(lm, ids: list[int], **flags) -> dict:
    if not ids:
        raise ValueError("The prompt is empty")
    ids = list(ids)[-MAX_INSPECT_TOKENS:]
    return lm.model.forward(np.asarray([ids], np.int32), **flags)


def attention(lm, ids: list[int]) -> np.ndarray:
    """Attention weights, shape (layers, heads, T, T): row t says how much token t looked at
    each earlier token (each row adds up to 1; later tokens are masked to 0)."""
    out = _forward(lm, ids, return_attention=True)
    return np.stack([np.asarray(a)[0] for a in out["attention"]])


def logit_lens(lm, ids: list[int], top: int = 5, position: int = -1) -> list[list[tuple[int, float]]]:
    """For each layer, the top next-token guesses if the residual stream after that layer went
    straight to the final norm and output layer. The last entry is the model's real answer."""
    out = _forward(lm, ids, return_hidden=True)
    rows = []
    for h in out["hidden"]:
        logits = np.asarray(lm.model.lens(h[:, position:][:, :1]))[0, 0]
        p = softmax(logits)
        order = np.argsort(-p, kind="stable")[:top]
        rows.append([(int(i), float(p[i])) for i in order])
    return rows


def sizes(lm) -> dict[str, int]:
    """Facts counted from the model itself."""
    c = lm.config
    return {"parameters": lm.parameters(), "layers": c.layers, "query_heads": c.heads,
            "key_value_heads": c.kv_heads, "width": c.hidden, "head_size": c.head_dim,
            "feed_forward_width": c.ffn, "vocabulary": c.vocab_size, "context": lm.context,
            "trained_context": c.context, "weight_bytes": lm.weight_bytes(),
            "cache_bytes": lm.engine.cache.nbytes}
