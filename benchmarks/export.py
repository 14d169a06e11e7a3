"""Export speed and size: a digits CNN run as .keras, SavedModel and TFLite, then as one package.

    python benchmarks/export.py

Trains a small CNN on the 8x8 digits (3 epochs, in a temporary data directory), then times
`export_run` for each format (fresh, then again: the cached path the Runs page hits on every rerun),
prints each file's size and the check's largest difference from Keras, times `export_package`, and
compares single-example latency of the exported TFLite file (LiteRT) with Keras `predict_on_batch`.
TensorFlow is imported before the clock starts; the first format also pays for loading the model
and running Keras on the check's inputs.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    os.environ["MODEL_STUDIO_DATA"] = tempfile.mkdtemp(prefix="export-bench-")
    import keras  # noqa: F401 - imported before any timing
    import numpy as np

    from core.export import EXPORT_FORMATS, export_package, export_run
    from core.inference import load_run_model
    from core.runs import RunStore
    from core.training import RunConfig
    from core.training.runner import train

    config = RunConfig(dataset="digits", architecture="cnn", epochs=3).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), "benchmark digits cnn")
    store.set_process(run_id, os.getpid())
    store.claim_slot(run_id, max_running=10)
    train(config, run_id, store)
    run = store.get_run(run_id)
    print(f"digits CNN, {run.results['parameters']:,} parameters, test accuracy {run.results['test_accuracy']:.1%}, "
          f"run model.keras {run.model_path.stat().st_size / 1024:.0f} KiB\n")

    print(f"{'format':<11}{'fresh s':>9}{'cached ms':>11}{'size KiB':>10}{'max |diff|':>12}  check")
    exports = {}
    for fmt in EXPORT_FORMATS:
        exports[fmt] = fresh = export_run(run_id, fmt)
        start = time.perf_counter()
        again = export_run(run_id, fmt)
        cached_ms = (time.perf_counter() - start) * 1000
        assert again.cached
        check = fresh.check
        print(f"{fmt:<11}{fresh.seconds:>9.2f}{cached_ms:>11.1f}{fresh.bytes / 1024:>10.0f}"
              f"{check['max_abs_diff']:>12.1e}  {check['samples']} inputs ({check['source']}), "
              f"tolerance {check['tolerance']:g}, {'passed' if check['passed'] else 'FAILED'}")

    start = time.perf_counter()
    package = export_package(run_id, list(EXPORT_FORMATS))
    print(f"\npackage (all three + labels, card, README): {time.perf_counter() - start:.2f} s, "
          f"{package.stat().st_size / 1024:.0f} KiB")
    keras_size = exports["keras"].bytes
    print("size vs .keras: " + ", ".join(f"{fmt} {e.bytes / keras_size:.2f}x" for fmt, e in exports.items()))

    from ai_edge_litert.interpreter import Interpreter
    model = load_run_model(run_id)[0]
    x = np.zeros((1, 8, 8, 1), np.float32)
    interpreter = Interpreter(model_path=str(exports["tflite"].path))
    interpreter.allocate_tensors()
    index_in, index_out = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]

    def tflite_once():
        interpreter.set_tensor(index_in, x)
        interpreter.invoke()
        return interpreter.get_tensor(index_out)

    def p50_ms(fn, repeats=200):
        fn()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return float(np.median(times)) * 1000

    litert, keras_call = p50_ms(tflite_once), p50_ms(lambda: model.predict_on_batch(x))
    print(f"one example, p50 of 200: LiteRT {litert:.3f} ms, Keras predict_on_batch {keras_call:.3f} ms "
          f"({keras_call / litert:.0f}x)")


if __name__ == "__main__":
    main()
