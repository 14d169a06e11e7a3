"""Project bundles: how long do export and import take, and how large is the zip?

    python benchmarks/bundle.py [--runs 20] [--epochs 30] [--hidden 512]

Fills a fresh studio with `runs` finished runs shaped like real ones (a saved Keras MLP of
784 -> hidden -> hidden -> 10, labels, preprocessing, config, per-epoch layer statistics, and
`epochs` epochs of metrics with about 10 throttled batch rows each), then times `export_bundle`
and `import_bundle` into a second fresh studio, from the file and from bytes (as an upload gives
them). Prints sizes, seconds and MB/s, and checks the import gave back every run.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def make_studio(n_runs: int, epochs: int, hidden: int) -> Path:
    """Runs written the way the runner writes them, without spending minutes training them."""
    import keras
    import numpy as np

    from core import paths
    from core.runs import RunStore

    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(hidden, activation="relu"),
                              keras.layers.Dense(hidden, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    model_file = Path(tempfile.mkdtemp()) / "model.keras"
    model.save(model_file)
    store, rng = RunStore(), np.random.default_rng(0)
    for i in range(n_runs):
        config = {"dataset": "mnist", "architecture": "mlp", "optimizer": "adam", "learning_rate": 1e-3,
                  "epochs": epochs, "batch_size": 64, "seed": i}
        run_id = store.create_run(config, f"benchmark run {i}")
        store.claim_slot(run_id, max_running=n_runs + 1)
        folder = paths.run_dir(run_id)
        shutil.copy(model_file, folder / "model.keras")
        (folder / "labels.json").write_text(json.dumps([str(d) for d in range(10)]), encoding="utf-8")
        (folder / "preprocessing.json").write_text(json.dumps({"kind": "image"}), encoding="utf-8")
        (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
        with open(folder / "layer_stats.jsonl", "w") as stats:
            for epoch in range(epochs):
                stats.write(json.dumps({"epoch": epoch + 1, "layers": [
                    {"name": f"dense_{k}", "grad_norm": float(rng.random()),
                     "hist": rng.integers(0, 500, 30).tolist()} for k in range(3)]}) + "\n")
        step = 0
        for epoch in range(epochs):
            for _ in range(10):
                step += 94
                store.log_metrics(run_id, "batch", epoch, step, step * 0.01,
                                  {"loss": float(rng.random()), "accuracy": float(rng.random())})
            store.log_metrics(run_id, "epoch", epoch + 1, step, step * 0.01,
                              {name: float(rng.random()) for name in
                               ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate")})
        store.set_results(run_id, {"test_accuracy": 0.97, "parameters": model.count_params()})
        store.finish(run_id, "completed")
    return model_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=512)
    args = parser.parse_args()

    from core.bundle import export_bundle, import_bundle
    from core.runs import RunStore

    os.environ["MODEL_STUDIO_DATA"] = tempfile.mkdtemp(prefix="studio-bench-source-")
    started = time.perf_counter()
    model_file = make_studio(args.runs, args.epochs, args.hidden)
    print(f"{args.runs} runs of a {model_file.stat().st_size / 2**20:.2f} MB model, {args.epochs} epochs of "
          f"metrics each: made in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    export = export_bundle()
    export_s = time.perf_counter() - started
    raw = sum(p.stat().st_size for p in Path(os.environ["MODEL_STUDIO_DATA"], "runs").rglob("*") if p.is_file())
    print(f"export: {export_s:.2f} s, bundle {export.size / 2**20:.1f} MB "
          f"(run folders {raw / 2**20:.1f} MB), {raw / 2**20 / export_s:.0f} MB/s")

    for label, source in (("from the file", export.path), ("from bytes", None)):
        os.environ["MODEL_STUDIO_DATA"] = tempfile.mkdtemp(prefix="studio-bench-target-")
        data = source or export.path.read_bytes()
        started = time.perf_counter()
        report = import_bundle(data)
        import_s = time.perf_counter() - started
        assert len(report.imported) == args.runs and len(RunStore().list_runs()) == args.runs, report
        print(f"import {label}: {import_s:.2f} s, {raw / 2**20 / import_s:.0f} MB/s; {report.summary}")
        started = time.perf_counter()
        again = import_bundle(data)
        assert len(again.skipped) == args.runs
        print(f"  the same bundle again (all skipped): {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
