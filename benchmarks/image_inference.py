"""Image Lab speed: conversion, single-image latency, and teaching a custom classifier.

    python benchmarks/image_inference.py

Prints: first-use conversion of EfficientNet-Lite0 (fresh data directory), loading the cached
.keras, single-image latency p50/p95 after warm-up (target p50 < 100 ms on 2 CPU cores), the top
class for two bundled photos, and the time to train a 5-class x 20-image classifier by transfer
learning through the runner's `train()` to >= 90 % validation accuracy (target < 30 s; image
features included, TensorFlow already imported).
"""
from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["MODEL_STUDIO_DATA"] = tempfile.mkdtemp(prefix="studio-bench-")


def drawings(per_class: int = 20, seed: int = 0) -> dict[str, list[tuple[str, bytes]]]:
    """Five classes of drawn shapes on random backgrounds (colour, size and place vary)."""
    from PIL import Image, ImageDraw
    rng = np.random.default_rng(seed)
    shapes = {
        "circle": lambda d, x, y, r, c: d.ellipse([x - r, y - r, x + r, y + r], fill=c),
        "square": lambda d, x, y, r, c: d.rectangle([x - r, y - r, x + r, y + r], fill=c),
        "triangle": lambda d, x, y, r, c: d.polygon([(x, y - r), (x - r, y + r), (x + r, y + r)], fill=c),
        "cross": lambda d, x, y, r, c: (d.rectangle([x - r, y - r // 4, x + r, y + r // 4], fill=c),
                                        d.rectangle([x - r // 4, y - r, x + r // 4, y + r], fill=c)),
        "ring": lambda d, x, y, r, c: d.ellipse([x - r, y - r, x + r, y + r], outline=c, width=max(2, r // 4)),
    }
    files = {}
    for name, draw in shapes.items():
        files[name] = []
        for i in range(per_class):
            image = Image.new("RGB", (96, 96), tuple(int(v) for v in rng.integers(140, 255, 3)))
            r = int(rng.integers(16, 30))
            x, y = (int(v) for v in rng.integers(r + 2, 94 - r, 2))
            draw(ImageDraw.Draw(image), x, y, r, tuple(int(v) for v in rng.integers(0, 100, 3)))
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            files[name].append((f"{name}{i}.png", buffer.getvalue()))
    return files


def main():
    import keras  # noqa: F401 - import TensorFlow before timing anything
    from skimage import data as skdata

    from core.data import uploads
    from core.catalog import load_model
    from core.runs import RunStore
    from core.training import RunConfig
    from core.training.runner import train

    start = time.perf_counter()
    classifier = load_model("efficientnet_lite0_imagenet")
    print(f"first use (convert .pth -> Keras, save .keras, warm up): {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    classifier = load_model("efficientnet_lite0_imagenet")
    print(f"load from the cached .keras (safe_mode) + warm-up:        {time.perf_counter() - start:.1f} s")

    photo = skdata.chelsea()
    for _ in range(5):
        classifier.predict(photo)
    timings = []
    for _ in range(50):
        start = time.perf_counter()
        classifier.predict(photo)
        timings.append(time.perf_counter() - start)
    p50, p95 = np.percentile(timings, [50, 95]) * 1000
    print(f"single image, crop + resize + predict_on_batch: p50 {p50:.1f} ms, p95 {p95:.1f} ms over 50 "
          f"(target p50 < 100 ms: {'PASS' if p50 < 100 else 'FAIL'})")
    for name, image in (("chelsea", photo), ("coffee", skdata.coffee())):
        label, p = classifier.predict(image).top[0]
        print(f"  {name}: {label} ({p:.0%})")

    files = drawings()
    start = time.perf_counter()
    report = uploads.import_image_files(files, title="5 shapes", image_size=224)
    config = RunConfig(dataset=report.dataset_key, architecture="efficientnet_transfer", epochs=20,
                       learning_rate=1e-3, batch_size=16, validation_split=0.2).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), "benchmark")
    store.claim_slot(run_id, 10)
    train(config, run_id, store)
    seconds = time.perf_counter() - start
    metrics = store.metrics(run_id, "epoch")
    val = metrics[metrics.name == "val_accuracy"]
    reached = val[val.value >= 0.9]
    print(f"custom classifier, 5 classes x 20 images (import + features with 2 augmented copies + 20 epochs): "
          f"{seconds:.1f} s, final validation accuracy {val.value.iloc[-1]:.0%}, "
          f"test accuracy {store.get_run(run_id).results['test_accuracy']:.0%}")
    if len(reached):
        print(f"  >= 90 % validation accuracy first at epoch {int(reached.epoch.iloc[0])} "
              f"(target: whole run < 30 s: {'PASS' if seconds < 30 else 'FAIL'})")
    else:
        print("  never reached 90 % validation accuracy: FAIL")


if __name__ == "__main__":
    main()
