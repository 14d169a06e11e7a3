"""How close the Train page's "time left" is on a real run, on this machine as it is now.

    python benchmarks/eta.py [--epochs 12]

A real run (digits, MLP 2 x 256, batch 8) trains in this process through the runner's `train`;
at each epoch's end the estimate the progress showed is compared with the time the run then
really took to finish. Prints each epoch's estimate, the truth and the error, then the median
error over epochs 3 to 5 (a busy machine makes single epochs slower than any estimate can know).
The estimator itself is tested on an injected clock (tests/core/training/test_callbacks.py,
tests/core/training/test_callbacks_eta.py); this is its accuracy in the world.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    args = parser.parse_args()
    os.environ.setdefault("MODEL_STUDIO_DATA", tempfile.mkdtemp(prefix="eta-bench-"))
    from core.runs import RunStore
    from core.training import RunConfig
    from core.training.runner import train

    config = RunConfig(dataset="digits", architecture="mlp", arch_params={"hidden_layers": 2, "units": 256},
                       epochs=args.epochs, batch_size=8, name="eta").validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), config.name)
    store.set_process(run_id, os.getpid())
    store.claim_slot(run_id, max_running=10)
    seen = []  # (when, the estimate the progress showed then), at each epoch end
    train(config, run_id, store, on_progress=lambda epoch, logs: seen.append(
        (time.perf_counter(), store.get_run(run_id).progress.get("eta"))))
    end = seen[-1][0]
    print(f"load average {os.getloadavg()[0]:.1f}")
    errors = []
    for epoch, (when, eta) in enumerate(seen, start=1):
        truth = end - when
        error = abs(eta - truth) / truth if eta is not None and truth > 0 else None
        if error is not None and 3 <= epoch <= 5:
            errors.append(error)
        shown = "—" if eta is None else f"{eta:.1f} s"
        print(f"after epoch {epoch}: estimate {shown}, really {truth:.1f} s"
              + ("" if error is None else f", error {100 * error:.0f} %"))
    if errors:
        print(f"median error after epochs 3-5: {100 * statistics.median(errors):.0f} %")


if __name__ == "__main__":
    main()
