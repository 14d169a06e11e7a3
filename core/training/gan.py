"""GAN runs: a DCGAN trained through the same runner, store and Stop as every other run.

Every epoch the generator draws the same 16 fixed noise vectors, so the saved grids show one set
of images getting better (run folder: samples/epoch_NNN.npy). The generator is the run's model.
"""
from __future__ import annotations

import json
import math
import time

import numpy as np

from core import paths
from core.runs import COMPLETED, STOPPED, RunStore
from core.training.config import RunConfig

SAMPLES = 16
SAMPLE_SEED = 1234


def fixed_noise(latent_dim: int) -> np.ndarray:
    return np.random.default_rng(SAMPLE_SEED).normal(size=(SAMPLES, latent_dim)).astype("float32")


def to_pixels(images) -> np.ndarray:
    """Generator output in [-1, 1] -> uint8 images."""
    return np.clip((np.asarray(images) + 1) * 127.5, 0, 255).astype(np.uint8)


def sample_paths(run_id: str) -> list:
    return sorted((paths.run_dir(run_id) / "samples").glob("epoch_*.npy"))


def train_gan(config: RunConfig, run_id: str, store: RunStore) -> str:
    import keras

    from core.data import IMAGE, load_dataset
    from core.models import InputSpec, build_model
    from core.training.callbacks import StudioCallback

    run_dir = paths.run_dir(run_id)
    (run_dir / "samples").mkdir(parents=True, exist_ok=True)
    store.set_progress(run_id, {"state": "loading data"})
    keras.utils.set_random_seed(config.seed)
    data = load_dataset(config.dataset, config.dataset_params)
    images = data.x.astype("float32")
    images = images / (images.max() / 2 or 1) - 1  # pixels to [-1, 1], whatever their range (digits: 0-16)
    gan = build_model("dcgan", InputSpec(IMAGE, images.shape[1:], 0), config.arch_params)
    generator, latent_dim = gan.generator, gan.latent_dim
    gan.compile(d_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=0.5))
    noise = fixed_noise(latent_dim)

    def save_samples(epoch, logs=None):
        np.save(run_dir / "samples" / f"epoch_{epoch + 1:03d}.npy", to_pixels(generator(noise, training=False)))

    batch_size = min(config.batch_size, len(images))
    steps = math.ceil(len(images) / batch_size)
    studio = StudioCallback(store, run_id, run_dir / "STOP", config.epochs, steps)
    started = time.perf_counter()
    gan.fit(images, batch_size=batch_size, epochs=config.epochs, verbose=0, shuffle=True,
            callbacks=[studio, keras.callbacks.LambdaCallback(on_epoch_end=save_samples)])
    generator.save(run_dir / "model.keras")
    (run_dir / "gan.json").write_text(json.dumps({"latent_dim": latent_dim, "shape": list(images.shape[1:])}))
    epochs = store.metrics(run_id, "epoch")
    store.set_results(run_id, {"task": "gan", "fit_seconds": time.perf_counter() - started,
                               "parameters": int(generator.count_params()), "latent_dim": latent_dim,
                               "epochs_completed": int(epochs.epoch.max()) if len(epochs) else 0,
                               "train_examples": len(images)})
    status = STOPPED if studio.stopped else COMPLETED
    store.set_progress(run_id, {**(store.get_run(run_id).progress or {}), "state": status})
    store.finish(run_id, status)
    return status
