"""The language model as one object: convert once, cache, load, ask.

First use reads the GGUF (dequantizing 4-bit blocks takes 10-20 s) and writes plain float32
weights (weights.npy, one array, memory-mapped on load) plus the tokenizer and config to
<data>/models/smollm2-135m-instruct/. Later loads read that folder in a few seconds. The cache is
rebuilt when the GGUF file or this converter changes.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..paths import data_dir
from .gguf import GGUFModel, LlamaConfig, TokenizerData, gguf_path, read_gguf

MODEL_NAME = "smollm2-135m-instruct"
CONVERTER_VERSION = 1
Progress = Callable[[float, str], None]


def cache_dir() -> Path:
    return data_dir() / "models" / MODEL_NAME


def _source_stamp(path: Path) -> dict:
    st = path.stat()
    return {"gguf": path.name, "bytes": st.st_size, "mtime": int(st.st_mtime),
            "converter": CONVERTER_VERSION}


def is_converted(folder: Path | None = None) -> bool:
    folder = folder or cache_dir()
    try:
        info = json.loads((folder / "info.json").read_text(encoding="utf-8"))
        return info.get("source") == _source_stamp(gguf_path()) and (folder / "weights.npy").is_file()
    except (OSError, ValueError):
        return False


def convert(progress: Progress | None = None, folder: Path | None = None) -> Path:
    """GGUF -> cache folder. Written under temporary names, then renamed: an interrupted
    conversion never leaves a half-written cache that looks complete."""
    folder = folder or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    src = gguf_path()
    report = progress or (lambda f, m: None)
    gg = read_gguf(src, progress=lambda f, m: report(0.9 * f, m))
    names = sorted(gg.weights)
    offsets, at = {}, 0
    for name in names:
        offsets[name] = [at, list(gg.weights[name].shape)]
        at += gg.weights[name].size
    report(0.92, "Writing float32 weights")
    flat = np.lib.format.open_memmap(folder / "weights.npy.tmp", mode="w+", dtype=np.float32,
                                     shape=(at,))
    for name in names:
        start, shape = offsets[name]
        flat[start:start + gg.weights[name].size] = gg.weights[name].ravel()
    flat.flush()
    del flat
    os.replace(folder / "weights.npy.tmp", folder / "weights.npy")
    info = {"source": _source_stamp(src), "config": asdict(gg.config), "offsets": offsets,
            "metadata": gg.metadata, "tokenizer": asdict(gg.tokenizer)}
    (folder / "info.json.tmp").write_text(json.dumps(info), encoding="utf-8")
    os.replace(folder / "info.json.tmp", folder / "info.json")
    report(1.0, "Converted")
    return folder


def load_converted(folder: Path | None = None) -> GGUFModel:
    folder = folder or cache_dir()
    info = json.loads((folder / "info.json").read_text(encoding="utf-8"))
    flat = np.load(folder / "weights.npy", mmap_mode="r")
    weights = {name: flat[start:start + int(np.prod(shape))].reshape(shape)
               for name, (start, shape) in info["offsets"].items()}
    return GGUFModel(config=LlamaConfig(**info["config"]), tokenizer=TokenizerData(**info["tokenizer"]),
                     weights=weights, metadata=info["metadata"])


class LanguageModel:
    """SmolLM2-135M-Instruct: tokenizer + Keras model + compiled decoding."""

    def __init__(self, model, tokenizer, metadata: dict, context: int = 1024):
        from .generate import Engine
        self.model, self.tokenizer, self.metadata = model, tokenizer, metadata
        self.quantization = model.embed.quantization_mode   # None or "int8"
        # The one-token step is XLA-compiled in both precisions. int8 needs it: XLA fuses the
        # int8 -> float conversion into the product instead of writing a float32 copy of every
        # weight each step. float32 gains too, once q/k/v and gate/up are single products: XLA
        # fuses the norms, rotary turns and softmax that, as separate graph ops, cost more than
        # the products (measured on 2 cores: 41 ms a token against 65 ms as a plain graph).
        self.engine = Engine(model, context)
        self.load_seconds = 0.0
        self.compile_seconds = 0.0   # set by load_for_catalog's warm-up

    @classmethod
    def load(cls, progress: Progress | None = None, quantize: str | None = None,
             context: int = 1024, folder: Path | None = None) -> "LanguageModel":
        """Convert on first use (progress(fraction, message) drives a progress bar), then
        build the Keras model from the cached weights; quantize="int8" for Keras int8."""
        from .model import build_model
        from .tokenizer import Tokenizer
        report = progress or (lambda f, m: None)
        t0 = time.perf_counter()
        if not is_converted(folder):
            convert(lambda f, m: report(0.8 * f, m), folder)
        report(0.8, "Loading weights")
        gg = load_converted(folder)
        model = build_model(gg.weights, gg.config, max_positions=max(context, 2048))
        if quantize:
            report(0.9, f"Quantizing to {quantize}")
        from .quantize import quantize_as
        quantize_as(model, quantize)
        lm = cls(model, Tokenizer(gg.tokenizer), gg.metadata, context)
        lm.load_seconds = time.perf_counter() - t0
        report(1.0, "Ready")
        return lm

    # ---------------------------------------------------------------- facts
    @property
    def config(self) -> LlamaConfig:
        return self.model.cfg

    @property
    def context(self) -> int:
        return self.engine.context

    def parameters(self) -> int:
        from .model import count_parameters
        return count_parameters(self.model)

    def weight_bytes(self) -> int:
        return int(sum(np.prod(v.shape) * np.dtype(v.dtype).itemsize for v in self.model.weights))

    # ---------------------------------------------------------------- use
    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text)

    def chat_ids(self, messages: list[dict] | str, system: str | None = None) -> list[int]:
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        return self.tokenizer.chat_ids(messages, system=system)

    def next_token(self, ids: list[int] | str, sampling=None):
        """The distribution over the next token after `ids` (or the text, encoded as is)."""
        from .generate import GREEDY, distribution
        ids = self.encode(ids) if isinstance(ids, str) else list(ids)
        if not ids:
            raise ValueError("The prompt is empty")
        ids = ids[-self.context:]
        logits = self.engine.logits(ids)
        return distribution(logits, sampling or GREEDY)

    def generate(self, ids: list[int] | str, max_new_tokens: int = 128, sampling=None,
                 seed: int | None = 0, should_stop=None) -> Iterator:
        """Stream TokenSteps; a str is encoded as is (use chat_ids for a chat turn)."""
        from .generate import GREEDY, generate
        ids = self.encode(ids) if isinstance(ids, str) else list(ids)
        return generate(self.engine, ids, self.tokenizer, max_new_tokens, sampling or GREEDY,
                        seed, should_stop)

    def complete(self, ids: list[int] | str, max_new_tokens: int = 64, **kwargs) -> str:
        return "".join(step.text for step in self.generate(ids, max_new_tokens, **kwargs))


# ---------------------------------------------------------------- the catalogue's entry

def load_for_catalog(entry, progress: Progress | None = None, quantize: str | None = None,
                     context: int = 1024) -> LanguageModel:
    """core.catalog's loader for SmolLM2: load (converting on first use), compile both decoding
    functions (so the first answer does not wait for them) and record the card's measured facts
    beside the other cards (<data>/models/<key>.card.json)."""
    report = progress or (lambda f, m: None)
    lm = LanguageModel.load(progress=lambda f, m: report(0.8 * f, m), quantize=quantize, context=context)
    report(0.85, "Compiling the decoding step (once per process, about half a minute)")
    t = time.perf_counter()
    lm.engine.warm_up()
    lm.compile_seconds = time.perf_counter() - t
    record_card(entry.cache_path(".card.json"), lm)
    report(1.0, "Ready")
    return lm


def record_card(path: Path, lm: LanguageModel) -> dict:
    """Card facts counted on the loaded model: parameters, layers, heads, context, memory; the memory
    of the other precision is kept from when it was loaded."""
    c = lm.config
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        card = {}
    card.update({
        "parameters": f"{lm.parameters():,}",
        "layers": c.layers,
        "attention heads": f"{c.heads} per layer ({c.kv_heads} key/value heads shared between them)",
        "context window": f"{lm.context:,} tokens here (trained for {c.context:,})",
        "vocabulary": f"{c.vocab_size:,} tokens",
        f"weights in memory ({lm.quantization or 'float32'})": f"{lm.weight_bytes() / 2**20:,.0f} MB",
        "file size": f"{gguf_path().stat().st_size / 2**20:.0f} MB (4-bit GGUF)",
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(card, indent=2), encoding="utf-8")
    return card
