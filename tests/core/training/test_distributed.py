"""tf.distribute: strategy choice, and real multi-worker training of two processes on 127.0.0.1."""
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from core.params import ConfigError
from core.runs import RunStore
from core.training import RunConfig
from core.training.distributed import (Cluster, DistributionError, cluster_from_env, float32_output,
                                       global_batches, resolve_kind, start_distribution)

ROOT = Path(__file__).resolve().parents[3]
CONFIG = {"dataset": "digits", "architecture": "mlp", "optimizer": "sgd", "learning_rate": 0.1,
          "epochs": 3, "batch_size": 64, "seed": 3}


def tf_config(ports, index):
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                       "task": {"type": "worker", "index": index}})


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def start_workers(tmp_path, config, workers=2, distribution="auto"):
    """`python -m core.train --config` on each worker, each with its own data directory (its own
    machine, as far as the studio can tell)."""
    (tmp_path / "run.json").write_text(json.dumps({**config, "distribution": distribution}), encoding="utf-8")
    ports = free_ports(workers)
    processes = []
    for index in range(workers):
        env = {**os.environ, "TF_CONFIG": tf_config(ports, index), "TF_CPP_MIN_LOG_LEVEL": "2",
               "MODEL_STUDIO_DATA": str(tmp_path / f"worker{index}"), "CUDA_VISIBLE_DEVICES": ""}
        processes.append(subprocess.Popen([sys.executable, "-m", "core.train", "--config", str(tmp_path / "run.json")],
                                          cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    return processes


def finish(processes, timeout=240):
    outputs = []
    for process in processes:
        out, _ = process.communicate(timeout=timeout)
        outputs.append((process.returncode, out))
    return outputs


def fingerprint_line(output):
    return [line for line in output.splitlines() if "weights" in line][-1]


def chief_run(tmp_path):
    store = RunStore(tmp_path / "worker0" / "runs.sqlite")
    (run,) = store.list_runs()
    return store, run


def run_folder(tmp_path, run):
    return tmp_path / "worker0" / "runs" / run.id


def test_two_workers_train_in_lockstep_to_the_same_weights_and_only_the_chief_writes(tmp_path):
    started = time.perf_counter()
    outputs = finish(start_workers(tmp_path, CONFIG))
    seconds = time.perf_counter() - started
    for code, out in outputs:
        assert code == 0, out[-3000:]
    store, run = chief_run(tmp_path)
    assert run.status == "completed"
    assert run.results["distribution"]["kind"] == "multi_worker"
    assert run.results["distribution"]["workers"] == 2
    # Both workers end with bit-identical weights, and the chief's saved model is those weights.
    fingerprint = run.results["weights_fingerprint"]
    assert fingerprint in fingerprint_line(outputs[1][1])
    assert fingerprint in fingerprint_line(outputs[0][1])
    # The chief wrote the run: every epoch's metrics, a checkpoint, the model; the loss fell.
    epochs = store.metrics(run.id, "epoch").pivot_table(index="epoch", columns="name", values="value")
    assert list(epochs.index) == [1, 2, 3]
    assert epochs["loss"].iloc[-1] < epochs["loss"].iloc[0] * 0.7
    assert epochs["val_loss"].iloc[-1] < epochs["val_loss"].iloc[0]
    assert run.results["test_accuracy"] > 0.5
    folder = run_folder(tmp_path, run)
    assert (folder / "model.keras").exists() and (folder / "checkpoint.keras").exists()
    # The other worker wrote nothing: no store, no run folder.
    assert not (tmp_path / "worker1").exists() or not any((tmp_path / "worker1").rglob("*.sqlite"))
    print(f"two workers, 3 epochs of digits: {seconds:.1f} s wall (both processes, TF start included)")

    # One worker with the same global batches computes the same model (up to float summation order):
    # the data split and the gradient averaging are exact, not approximate.
    single = tmp_path / "single"
    single.mkdir()
    ((code, out),) = finish(start_workers(single, CONFIG, workers=1, distribution="multi_worker"))
    assert code == 0, out[-3000:]
    _, reference = chief_run(single)
    two = keras.models.load_model(folder / "model.keras").get_weights()
    one = keras.models.load_model(run_folder(single, reference) / "model.keras").get_weights()
    assert max(float(np.abs(a - b).max()) for a, b in zip(two, one)) < 1e-5


def test_stop_on_the_chief_stops_every_worker(tmp_path):
    processes = start_workers(tmp_path, {**CONFIG, "epochs": 2000})
    deadline = time.time() + 120
    run = None
    while time.time() < deadline:
        if (tmp_path / "worker0" / "runs.sqlite").exists():
            store, run = chief_run(tmp_path)
            if len(store.metrics(run.id, "epoch")):
                break
        time.sleep(0.5)
    try:
        assert run is not None, "the chief never wrote an epoch"
        (run_folder(tmp_path, run) / "STOP").touch()  # what the Stop button does, in the chief's data dir
        outputs = finish(processes, timeout=120)
    finally:
        for process in processes:
            process.kill()
    for code, out in outputs:
        assert code == 0, out[-3000:]
    _, run = chief_run(tmp_path)
    assert run.status == "stopped"
    assert run.results["epochs_completed"] < 2000
    assert run.results["weights_fingerprint"] in fingerprint_line(outputs[1][1])


def test_cluster_and_strategy_choice():
    workers = {"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}
    assert cluster_from_env({"TF_CONFIG": json.dumps(workers)}) == Cluster(workers=2, index=1, task="worker")
    with_chief = {"cluster": {"chief": ["c:1"], "worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}
    assert cluster_from_env({"TF_CONFIG": json.dumps(with_chief)}).is_chief
    assert cluster_from_env({}) is None
    with pytest.raises(DistributionError, match="TF_CONFIG is not valid"):
        cluster_from_env({"TF_CONFIG": "{not json"})
    with pytest.raises(DistributionError, match="task worker 5 is not in its cluster"):
        cluster_from_env({"TF_CONFIG": json.dumps({**workers, "task": {"type": "worker", "index": 5}})})
    two = Cluster(2, 0, "worker")
    assert resolve_kind("auto", gpus=0, cluster=None) == "single"
    assert resolve_kind("auto", gpus=1, cluster=None) == "single"
    assert resolve_kind("auto", gpus=4, cluster=None) == "mirrored"
    assert resolve_kind("auto", gpus=4, cluster=two) == "multi_worker"
    assert resolve_kind("auto", gpus=0, cluster=Cluster(1, 0, "worker")) == "single"
    assert resolve_kind("single", gpus=4, cluster=two) == "single"
    with pytest.raises(DistributionError, match="needs TF_CONFIG"):
        resolve_kind("multi_worker", gpus=0, cluster=None)
    with pytest.raises(ConfigError, match="Unknown distribution 'cloud'"):
        RunConfig(distribution="cloud").validated()


def test_every_worker_gets_the_same_full_batches():
    a, b = global_batches(1000, 64, epoch=2, seed=7), global_batches(1000, 64, epoch=2, seed=7)
    assert a.shape == (15, 64) and (a == b).all()
    assert len(np.unique(a)) == a.size  # no example twice in an epoch
    assert not (global_batches(1000, 64, epoch=3, seed=7) == a).all()  # a new shuffle each epoch


def test_mixed_precision_acts_only_with_a_gpu_and_keeps_a_float32_output():
    setup = start_distribution("single", mixed_precision=True)
    assert setup.mixed_precision is False  # this machine has no GPU: float16 on a CPU is only slower
    assert keras.mixed_precision.global_policy().name == "float32"
    try:
        keras.mixed_precision.set_global_policy("mixed_float16")
        inputs = keras.Input((4,))
        model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Dense(8)(inputs)))
        assert model.output.dtype == "float16"
        assert float32_output(model).output.dtype == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_a_mirrored_run_trains_through_fit_and_records_its_strategy(data_dir):
    from core.training.runner import train
    config = RunConfig(**{**CONFIG, "epochs": 2, "distribution": "mirrored"}).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict())
    assert train(config, run_id, store) == "completed"
    results = store.get_run(run_id).results
    assert results["distribution"]["strategy"] == "MirroredStrategy"
    assert results["test_accuracy"] > 0.5
