"""Language model speed and memory: SmolLM2-135M-Instruct as a Keras model, float32 and int8.

    python benchmarks/llm.py [--keras-hub]

- first conversion (GGUF -> float32 cache, into a temporary folder) and cached load
  (TensorFlow's import timed apart; the load builds the Keras model from the cache);
- compile (trace) of the prefill and the one-token step, paid once per process;
- time to first token for a 100-token prompt (prefill + first choice), after the compile;
- decode tokens/s over 128 greedy tokens, float32 and int8, with the memory-bandwidth bound
  (one token reads every weight once: bytes of weights / bandwidth);
- peak RSS of this process.
--keras-hub also times Keras Hub's LlamaCausalLM (same weights, call_with_cache per step) as an
anchor, printed as a ratio. --llama-bench PATH (or `llama-bench` on PATH, or $LLAMA_BENCH) times
llama.cpp on the very same Q4_1 GGUF with 2 threads, the anchor for what this CPU can do; the
project never builds it (build llama.cpp beside the project to have one). Targets on 2 cores: decode >= 20 tokens/s float32 and faster in int8,
first token <= 1 s, cached load <= 5 s.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

DESIGN_BANDWIDTH = 19e9   # bytes/s, NumPy matrix-vector products, DESIGN.md "Facts measured"
DECODE_TOKENS = 128


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured_bandwidth() -> float:
    """Bytes/s streamed by float32 matrix-vector products over 256 MB (more than any cache)."""
    w = np.ones((65536 * 2, 512), np.float32)
    x = np.ones(512, np.float32)
    w @ x
    t = time.perf_counter()
    for _ in range(5):
        w @ x
    return 5 * w.nbytes / (time.perf_counter() - t)


def hundred_token_prompt(lm) -> list[int]:
    text = ("Summarise this email for a busy manager. Hello team, the quarterly review moved from "
            "Tuesday to Thursday at ten in the large meeting room. Please bring the updated sales "
            "figures, the customer complaints summary and your plans for the next quarter. Lunch "
            "will be provided, so tell Anna about any dietary needs by Wednesday noon. The agenda "
            "is attached; questions to me. Thanks, Maria.")
    ids = lm.chat_ids(text)
    return (ids * 2)[:100] if len(ids) < 100 else ids[:100]


def gguf_bytes() -> int:
    from core.llm.gguf import gguf_path
    return gguf_path().stat().st_size


def decode_rate(lm, prompt: list[int]) -> tuple[float, float, int]:
    """(seconds to first token, tokens/s after it, tokens made) for greedy decoding."""
    from core.llm.generate import generate
    t0 = time.perf_counter()
    first, n = None, 0
    for step in generate(lm.engine, prompt, lm.tokenizer, DECODE_TOKENS, stop_ids=()):
        n += 1
        if first is None:
            first = time.perf_counter() - t0
    total = time.perf_counter() - t0
    return first, (n - 1) / (total - first), n


def bench(label: str, lm, prompt: list[int], bandwidth: float) -> float:
    t = time.perf_counter()
    lm.engine.warm_up()
    print(f"{label}: compile (first prefill + first step) {time.perf_counter() - t:.1f} s")
    first, rate, n = decode_rate(lm, prompt)
    bound = bandwidth / lm.weight_bytes()
    print(f"{label}: first token for a {len(prompt)}-token prompt {first:.2f} s (target <= 1 s)")
    print(f"{label}: decode {rate:.1f} tokens/s over {n} tokens; weights {lm.weight_bytes() / 1e6:.0f} MB "
          f"-> bandwidth bound {bound:.0f} tokens/s ({rate / bound:.0%} of it)")
    return rate


def keras_hub_anchor(gg, prompt: list[int]) -> float | None:
    try:
        import keras_hub
    except ImportError:
        print("keras-hub: not installed, no anchor")
        return None
    import tensorflow as tf
    c, w = gg.config, gg.weights
    bb = keras_hub.models.LlamaBackbone(
        vocabulary_size=c.vocab_size, num_layers=c.layers, num_query_heads=c.heads,
        hidden_dim=c.hidden, intermediate_dim=c.ffn, num_key_value_heads=c.kv_heads,
        rope_max_wavelength=c.rope_theta, layer_norm_epsilon=c.norm_eps,
        tie_word_embeddings=True, dtype="float32")
    lm = keras_hub.models.LlamaCausalLM(backbone=bb, preprocessor=None)
    bb.get_layer("token_embedding").embeddings.assign(w["embed_tokens"])
    for i in range(c.layers):
        layer = bb.get_layer(f"transformer_layer_{i}")
        layer._self_attention_layernorm.scale.assign(w[f"layers.{i}.input_layernorm"])
        layer._feedforward_layernorm.scale.assign(w[f"layers.{i}.post_attention_layernorm"])
        att = layer._self_attention_layer
        for name, dense in [("q_proj", att._query_dense), ("k_proj", att._key_dense),
                            ("v_proj", att._value_dense), ("o_proj", att._output_dense)]:
            dense.kernel.assign(np.reshape(np.transpose(w[f"layers.{i}.{name}"]), dense.kernel.shape))
        layer._feedforward_gate_dense.kernel.assign(w[f"layers.{i}.gate_proj"].T)
        layer._feedforward_intermediate_dense.kernel.assign(w[f"layers.{i}.up_proj"].T)
        layer._feedforward_output_dense.kernel.assign(w[f"layers.{i}.down_proj"].T)
    bb.get_layer("sequence_output_layernorm").scale.assign(w["norm"])

    def step(tok, cache, index):
        logits, _, cache = lm.call_with_cache(tok, cache, index)
        return logits[:, -1], cache
    fn = tf.function(step)
    cache = tf.zeros([1, c.layers, 2, 1024, c.kv_heads, c.head_dim])
    logits, cache = fn(tf.constant([prompt], tf.int32), cache, tf.constant(0))
    logits, cache = fn(tf.constant([[int(np.argmax(logits[0]))]]), cache, tf.constant(len(prompt)))
    t, n = time.perf_counter(), 32
    for i in range(n):
        nxt = tf.reshape(tf.argmax(logits, -1, output_type=tf.int32), (1, 1))
        logits, cache = fn(nxt, cache, tf.constant(len(prompt) + 1 + i))
    logits.numpy()
    rate = n / (time.perf_counter() - t)
    print(f"keras-hub LlamaCausalLM (graph, call_with_cache per step): {rate:.1f} tokens/s")
    return rate


def llama_cpp_anchor(binary: str | None, prompt_tokens: int) -> dict | None:
    """llama.cpp's own benchmark on the same GGUF: prompt and decode tokens/s (2 threads)."""
    import json
    import shutil
    import subprocess
    from core.llm.gguf import gguf_path
    binary = binary or os.environ.get("LLAMA_BENCH") or shutil.which("llama-bench")
    if not binary or not Path(binary).exists():
        print("llama.cpp: no llama-bench binary (--llama-bench PATH), no anchor")
        return None
    out = subprocess.run([binary, "-m", str(gguf_path()), "-p", str(prompt_tokens), "-n", str(DECODE_TOKENS),
                          "-t", "2", "-r", "3", "-o", "json"], capture_output=True, text=True, timeout=600)
    if out.returncode:
        print(f"llama.cpp: llama-bench failed ({out.stderr.strip()[-300:]})")
        return None
    rows = json.loads(out.stdout)
    rates = {("prompt" if r["n_prompt"] else "decode"): r["avg_ts"] for r in rows}
    print(f"llama.cpp ({rows[0].get('build_commit', '?')}, Q4_1 GGUF, 2 threads): prompt "
          f"{rates.get('prompt', 0):.0f} tokens/s, decode {rates.get('decode', 0):.1f} tokens/s")
    return rates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keras-hub", action="store_true", help="also time Keras Hub's Llama")
    parser.add_argument("--llama-bench", help="llama.cpp's llama-bench binary, as an anchor")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (other work on the machine slows every figure)")
    bandwidth = measured_bandwidth()
    print(f"memory bandwidth (NumPy matrix-vector, 256 MB): {bandwidth / 1e9:.1f} GB/s here; "
          f"DESIGN.md: {DESIGN_BANDWIDTH / 1e9:.0f} GB/s -> float32 bound "
          f"{DESIGN_BANDWIDTH / 538e6:.0f} tokens/s, int8 {DESIGN_BANDWIDTH / 135e6:.0f}")

    from core.llm import lm as lm_module
    folder = Path(tempfile.mkdtemp(prefix="llm-bench-")) / "smollm2"
    t = time.perf_counter()
    lm_module.convert(folder=folder)
    print(f"first conversion (read + dequantize GGUF, write float32 cache): {time.perf_counter() - t:.1f} s, "
          f"cache {sum(f.stat().st_size for f in folder.iterdir()) / 1e6:.0f} MB")

    t = time.perf_counter()
    import tensorflow  # noqa: F401
    import keras  # noqa: F401
    print(f"import tensorflow + keras: {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    lm = lm_module.LanguageModel.load(folder=folder)
    print(f"cached load (float32 Keras model ready): {time.perf_counter() - t:.1f} s (target <= 5 s)")
    prompt = hundred_token_prompt(lm)
    f32 = bench("float32", lm, prompt, bandwidth)
    print(f"peak RSS after float32: {peak_rss_mb():.0f} MB")

    t = time.perf_counter()
    lm8 = lm_module.LanguageModel.load(quantize="int8", folder=folder)
    print(f"cached load + int8 quantization: {time.perf_counter() - t:.1f} s")
    from core.llm.quantize import AGREEMENT_PROMPTS, same_next_token
    print(f"int8 same next token as float32: {same_next_token(lm, lm8, AGREEMENT_PROMPTS):.0%} "
          f"of {len(AGREEMENT_PROMPTS)} prompts")
    i8 = bench("int8", lm8, prompt, bandwidth)
    print(f"int8 / float32 decode speed: {i8 / f32:.2f}x")
    print(f"peak RSS (both models loaded): {peak_rss_mb():.0f} MB")
    anchor = llama_cpp_anchor(args.llama_bench, len(prompt))
    if anchor and anchor.get("decode"):
        print(f"decode / llama.cpp: float32 {f32 / anchor['decode']:.2f}x, int8 {i8 / anchor['decode']:.2f}x "
              f"(llama.cpp reads 4-bit weights: {gguf_bytes() / 1e6:.0f} MB a token)")
    if args.keras_hub:
        anchor = keras_hub_anchor(lm_module.load_converted(folder), prompt)
        if anchor:
            print(f"this model / keras-hub decode: {f32 / anchor:.2f}x")


if __name__ == "__main__":
    main()
