"""Text Lab speed: single-text latency of the Keras models and batch-scoring throughput.

    python benchmarks/text_inference.py

- single text, the Text Lab's ready-made models: business topics (a head on the Keras MiniLM
  encoder) and sentiment (a head on multilingual-e5-small): encode + head, p50 / p95 over 300
  calls on business sentences (target under 20 ms each); occlusion of the sentiment's answer.
- single text, bundled topic Transformer (trained from scratch, the comparison): tokenize + ids + `predict_on_batch` (the compiled
  path), p50 / p95 over 300 calls on varied fortunes-like sentences (target under 20 ms).
  `model.predict` is timed too, to show why the page does not use it.
- word importance (occlusion: one batched call) and the attention map (one eager pass).
- translator: one sentence, greedy decoding (one compiled call per Spanish word).
- batch scoring: rows per second through `score_csv` (CSV streamed in, scored, written out) for
  VADER and for the Keras model, on 20,000 rows of product-review-like text.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

BUSINESS = [
    "Thank you for the quick reply, but my refund still hasn't arrived.",
    "The new release cut our invoice processing time in half.",
    "Where can I download last month's invoice?",
    "Great screen, terrible battery.",
    "Not bad at all: delivery was fast and nothing was missing.",
    "The app crashes every time I open the camera.",
    "Your support team was wonderful, thank you!",
    "The price went up again without any notice.",
]
SENTENCES = [
    "The program crashed again because of a bug in the compiler.",
    "The judge told the jury that the defendant had broken the law.",
    "I love the smell of fresh bread and coffee in the morning.",
    "The senator promised lower taxes before the election.",
    "Our team won the match with a goal in the last minute.",
    "The doctor said the patient needs rest and medicine.",
    "Scientists measured the speed of light in the laboratory.",
    "My boss wants the report on his desk by Monday morning.",
]


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[int(0.95 * (len(ordered) - 1))] * 1000
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"


def timed(fn, repeats: int) -> list[float]:
    out = []
    for i in range(repeats):
        start = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    from core.text.batch import classifier_scores, score_csv, vader_scores
    from core.catalog import load_model
    from core.text.io import open_csv
    from core.text.translate import load_translator

    for key in ("business_topics", "business_sentiment"):
        start = time.perf_counter()
        head = load_model(key)
        print(f"load {key} (its encoder, the head, a first call): {time.perf_counter() - start:.2f} s")
        latencies = timed(lambda i: head.predict(BUSINESS[i % len(BUSINESS)]), 300)
        print(f"single text, {key}: {percentiles(latencies)}  [target < 20 ms]")
    occlusion = timed(lambda i: head.importance(BUSINESS[i % len(BUSINESS)], 0), 30)
    print(f"word importance of the sentiment (occlusion):   {percentiles(occlusion)}")

    start = time.perf_counter()
    classifier = load_model("topic_classifier")
    print(f"load the topic model (import TensorFlow, load, compile): {time.perf_counter() - start:.2f} s")

    latencies = timed(lambda i: classifier.predict(SENTENCES[i % len(SENTENCES)]), 300)
    print(f"single text, compiled path (predict_on_batch): {percentiles(latencies)}  [target < 20 ms]")
    ids = classifier.encoder.encode(SENTENCES[0])[0][None]
    slow = timed(lambda i: classifier.model.predict(ids, verbose=0), 30)
    print(f"single text, model.predict for comparison:      {percentiles(slow)}")
    importance = timed(lambda i: classifier.importance(SENTENCES[i % len(SENTENCES)], 0), 50)
    print(f"word importance (occlusion, one batched call):  {percentiles(importance)}")
    attention = timed(lambda i: classifier.attention(SENTENCES[i % len(SENTENCES)]), 30)
    print(f"attention map (one eager pass):                 {percentiles(attention)}")

    translator = load_translator()
    examples = ["forty two", "seven hundred and sixteen", "twenty one thousand and five",
                "nine hundred ninety nine thousand nine hundred ninety nine"]
    translator.translate(examples[0])
    translate = timed(lambda i: translator.translate(examples[i % len(examples)]), 100)
    print(f"translate one number (greedy decoding):         {percentiles(translate)}")

    rows = 20_000
    words = ["great", "terrible", "battery", "screen", "delivery", "love", "broken", "fast", "slow",
             "the", "is", "was", "and", "but", "not", "very", "phone", "price", "quality", "service"]
    lines = ["text"] + [" ".join(words[(i * 7 + j * 3) % len(words)] for j in range(12)) for i in range(rows)]
    data = ("\n".join(lines) + "\n").encode()
    with tempfile.TemporaryDirectory() as folder:
        for name, scorer in [("VADER", vader_scores), ("Keras topic model", classifier_scores(classifier))]:
            result = score_csv(open_csv(data), "text", scorer, Path(folder) / "out.csv")
            print(f"batch scoring, {name}: {result.rows:,} rows in {result.seconds:.2f} s = "
                  f"{result.rows_per_second:,.0f} rows/s")


if __name__ == "__main__":
    main()
