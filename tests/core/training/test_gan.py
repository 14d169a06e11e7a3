"""GAN runs through the runner: images of the right shape every epoch, both losses logged and moving."""
import os

import numpy as np
import pytest

from core.params import ConfigError
from core.runs import RunStore
from core.training import RunConfig
from core.training.gan import sample_paths
from core.training.runner import train


def test_a_short_dcgan_run_on_digits():
    config = RunConfig(dataset="digits", architecture="dcgan", task="gan", epochs=3, batch_size=64,
                       learning_rate=2e-4, arch_params={"latent_dim": 16, "filters": 32}).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), "gan test")
    store.set_process(run_id, os.getpid())
    assert store.claim_slot(run_id, max_running=10)
    assert train(config, run_id, store) == "completed"
    samples = sample_paths(run_id)
    assert len(samples) == 3
    grid = np.load(samples[-1])
    assert grid.shape == (16, 8, 8, 1) and grid.dtype == np.uint8 and grid.std() > 0
    assert not np.array_equal(np.load(samples[0]), grid)           # the same noise, drawn better
    epochs = store.metrics(run_id, "epoch")
    d_loss = epochs[epochs.name == "d_loss"].value.to_numpy()
    g_loss = epochs[epochs.name == "g_loss"].value.to_numpy()
    assert len(d_loss) == len(g_loss) == 3 and np.ptp(d_loss) > 1e-3  # the discriminator's loss moves
    assert store.get_run(run_id).results["task"] == "gan"


def test_tasks_and_architectures_must_match():
    with pytest.raises(ConfigError, match="is for the 'gan' task"):
        RunConfig(dataset="digits", architecture="dcgan").validated()
    with pytest.raises(ConfigError, match="is for the 'classification' task"):
        RunConfig(dataset="digits", architecture="mlp", task="gan").validated()
    with pytest.raises(ConfigError, match="cannot read tabular data"):
        RunConfig(dataset="moons", architecture="dcgan", task="gan").validated()


def test_stop_halts_a_gan_run_and_keeps_its_samples():
    import time

    from core.training import launch, stop
    run_id = launch(RunConfig(dataset="digits", architecture="dcgan", task="gan", epochs=500, batch_size=64,
                              learning_rate=2e-4, arch_params={"latent_dim": 8, "filters": 16}))
    store = RunStore()
    deadline = time.time() + 120
    while time.time() < deadline and len(sample_paths(run_id)) < 2:
        time.sleep(0.3)
    assert len(sample_paths(run_id)) >= 2, "the GAN never finished two epochs"
    stop(run_id)
    while time.time() < deadline and store.get_run(run_id).is_active:
        time.sleep(0.3)
    run = store.get_run(run_id)
    assert run.status == "stopped" and 2 <= run.results["epochs_completed"] < 500
    assert run.model_path.exists()
