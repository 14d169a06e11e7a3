"""Scale lab: bigger networks reach lower loss on the same data, and the power law fits."""
import os

import numpy as np

from core.principles.scale import power_law, scale_configs, scale_table, training_flops
from core.runs import RunStore
from core.training.runner import train


def test_loss_falls_with_size_and_the_costs_are_recorded():
    configs = scale_configs("mnist", widths=(2, 8, 32), epochs=3)
    store = RunStore()
    runs = []
    for config in configs:
        run_id = store.create_run(config.to_dict(), config.name)
        store.set_process(run_id, os.getpid())
        assert store.claim_slot(run_id, max_running=10)
        assert train(config, run_id, store) == "completed"
        runs.append(store.get_run(run_id))
    rows = scale_table(runs, store)
    parameters = [row["parameters"] for row in rows]
    losses = [row["best val loss"] for row in rows]
    assert parameters[-1] / parameters[0] > 10                      # 1,600 → 26,000 parameters
    assert losses[0] > losses[1] > losses[2]                        # bigger is better here
    assert power_law(parameters, losses)[1] < 0
    assert all(row["memory before training (MB)"] > 100 and row["model file (KB)"] > 10 for row in rows)
    assert all(row["training memory (MB)"] >= 0 for row in rows)  # each run's own, measured in its fit


def test_power_law_and_compute_formulas():
    n = np.array([1e3, 1e4, 1e5])
    a, b = power_law(n, 5.0 * n ** -0.3)
    assert np.isclose(a, 5.0) and np.isclose(b, -0.3)
    assert training_flops(1000, 50, 2) == 600_000
