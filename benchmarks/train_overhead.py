"""What does the studio's runner cost? Same model, same data: bare `model.fit` vs the runner.

    python benchmarks/train_overhead.py [--epochs 3] [--repeats 2]

Prints throughput (training examples per second) for both, alternating them `repeats` times
(a 2-core machine is noisy: each round's pair runs back to back), then the ratio runner / bare as
the median of the per-round ratios and as best vs best (target: at least 0.95). The runner side is
`core.training.runner.train`, exactly what the runner process executes (store writes, stop-file
checks, per-epoch checkpoint, TensorBoard logs), called in this process so both sides share one
warmed-up TensorFlow. Then, for information, the wall time of a whole run through a real runner
process (start-up and TensorFlow import included), and the time from `streamlit run app.py` to
the home page answering (target: under 3 s).
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["MODEL_STUDIO_DATA"] = tempfile.mkdtemp(prefix="studio-bench-")


def bare_fit(config) -> float:
    """Examples per second of plain model.fit on exactly the runner's data and model."""
    import keras

    from core.data import load_dataset
    from core.models import build_model
    from core.optim import build_optimizer
    from core.training.prepare import prepare

    keras.utils.set_random_seed(config.seed)
    data = prepare(load_dataset(config.dataset, config.dataset_params), config)
    model = build_model(config.architecture, data.spec, config.arch_params)
    steps = -(-len(data.x_train) // config.batch_size)
    model.compile(optimizer=build_optimizer(config.optimizer, config.learning_rate, config.optimizer_params,
                                            config.schedule, steps, config.epochs),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    start = time.perf_counter()
    model.fit(data.x_train, data.y_train, batch_size=config.batch_size, epochs=config.epochs,
              validation_data=(data.x_val, data.y_val), verbose=0, shuffle=True)
    return len(data.x_train) * config.epochs / (time.perf_counter() - start)


def runner_fit(config) -> float:
    from core.runs import RunStore
    from core.training.runner import train
    store = RunStore()
    run_id = store.create_run(config.to_dict(), "benchmark")
    assert store.claim_slot(run_id, max_running=100)
    assert train(config, run_id, store) == "completed"
    results = store.get_run(run_id).results
    return results["train_examples"] * config.epochs / results["fit_seconds"]


def runner_process_seconds(config) -> float:
    from core.runs import RunStore
    from core.training import launch
    start = time.perf_counter()
    run_id = launch(config)
    store = RunStore()
    while store.get_run(run_id).is_active:
        time.sleep(0.1)
    assert store.get_run(run_id).status == "completed", store.get_run(run_id).error
    return time.perf_counter() - start


def streamlit_start_seconds() -> tuple[float, float | None]:
    """(seconds until /_stcore/health says ok, seconds until a browser shows the home title)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                               "--server.port", str(port), "--browser.gatherUsageStats", "false"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.05)
        health = time.perf_counter() - start
        chromium = shutil.which("chromium")
        if not chromium:
            return health, None
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"])
            browser_ready = time.perf_counter()  # don't count the browser's own start-up
            page = browser.new_page()
            page.goto(url)
            page.get_by_text("See what deep-learning models do").wait_for(timeout=30_000)
            shown = health + time.perf_counter() - browser_ready
            browser.close()
        return health, shown
    finally:
        server.terminate()
        server.wait(10)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--architecture", default="cnn")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=8)
    args = parser.parse_args()

    from core.training.config import RunConfig
    config = RunConfig(dataset=args.dataset, architecture=args.architecture, epochs=args.epochs,
                       batch_size=64, validation_split=0.2).validated()
    print(f"model: {config.architecture} on {config.dataset}, {config.epochs} epochs, batch 64, "
          f"{os.cpu_count()} CPU cores")
    bare, runner = [], []
    for i in range(args.repeats):
        # Alternate which goes first: this VM's speed drifts by +-15 % between rounds, and a fixed
        # order would charge that drift to one side.
        if i % 2:
            runner.append(runner_fit(config))
            bare.append(bare_fit(config))
        else:
            bare.append(bare_fit(config))
            runner.append(runner_fit(config))
        print(f"  round {i + 1}: bare {bare[-1]:,.0f} ex/s · runner {runner[-1]:,.0f} ex/s")
    import statistics
    ratio = statistics.median(r / b for r, b in zip(runner, bare))
    print(f"bare model.fit:   {max(bare):,.0f} examples/s best, {statistics.median(bare):,.0f} median")
    print(f"studio runner:    {max(runner):,.0f} examples/s best, {statistics.median(runner):,.0f} median")
    print(f"throughput ratio runner/bare: {ratio:.3f} median of {args.repeats} paired rounds, "
          f"{max(runner) / max(bare):.3f} best vs best  (target >= 0.95: {'PASS' if ratio >= 0.95 else 'FAIL'})")
    print(f"whole run through a runner process (start-up + TF import + training + saving): "
          f"{runner_process_seconds(config):.1f} s")
    health, shown = streamlit_start_seconds()
    print(f"streamlit run -> health endpoint ok: {health:.2f} s")
    if shown is not None:
        print(f"streamlit run -> home page visible in Chromium: {shown:.2f} s  "
              f"(target < 3 s: {'PASS' if shown < 3 else 'FAIL'})")


if __name__ == "__main__":
    main()
