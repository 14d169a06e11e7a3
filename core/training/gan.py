"""GAN runs: a DCGAN trained through the same runner, store and Stop as every other run; its
training strategy (`GanTraining`, registered in core/training/strategies.py) is below.

Every epoch the generator draws the same 16 fixed noise vectors, so the saved grids show one set
of images getting better (run folder: samples/epoch_NNN.npy). The generator is the run's model.
"""
from __future__ import annotations

import json
import math
import time

import numpy as np

from core import paths
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


class GanTraining:
    """A DCGAN (core/models/gan.py): two networks trained against each other on unlabelled images.

    Each step the discriminator D learns to tell real images x from drawn ones G(z), z ~ N(0, I),
    and the generator G learns to make D call its drawings real: min over G, max over D of
    E[log D(x)] + E[log(1 − D(G(z)))]. Both use Adam with β₁ = 0.5 (Radford et al., 2015).
    There is no test set to score; the generator is the run's model.
    """
    resume_refusal = "A GAN run keeps no checkpoint of its two networks, so it cannot be resumed; launch it again."

    def __init__(self, config: RunConfig):
        self.config = config

    def distribution(self):
        from core.training.distributed import this_device
        return this_device()  # its own train_step, on one device (the config refuses the others)

    def check(self, distribution) -> None:
        """Every device can train it."""

    def prepare(self, run) -> np.ndarray:
        """The images alone, pixels scaled to [-1, 1] (the generator's tanh range)."""
        import keras

        from core.data import load_dataset
        (run.dir / "samples").mkdir(parents=True, exist_ok=True)
        keras.utils.set_random_seed(self.config.seed)
        images = load_dataset(self.config.dataset, self.config.dataset_params).x.astype("float32")
        return images / (images.max() / 2 or 1) - 1  # whatever their range (digits: 0-16)

    def build(self, run, images):
        import keras

        from core.data import IMAGE
        from core.models import InputSpec, build_model
        gan = build_model("dcgan", InputSpec(IMAGE, images.shape[1:], 0), self.config.arch_params)
        gan.compile(d_optimizer=keras.optimizers.Adam(self.config.learning_rate, beta_1=0.5),
                    g_optimizer=keras.optimizers.Adam(self.config.learning_rate, beta_1=0.5))
        return gan

    def fit(self, run, gan, images):
        """Alternate D and G steps; after every epoch G draws the same fixed noise into samples/."""
        import keras

        from core.training.callbacks import StudioCallback
        from core.training.state import Fitted
        generator, noise = gan.generator, fixed_noise(gan.latent_dim)

        def save_samples(epoch, logs=None):
            np.save(run.dir / "samples" / f"epoch_{epoch + 1:03d}.npy", to_pixels(generator(noise, training=False)))

        batch_size = min(self.config.batch_size, len(images))
        studio = StudioCallback(run.store, run.id, run.dir / "STOP", self.config.epochs,
                                math.ceil(len(images) / batch_size))
        started = time.perf_counter()
        gan.fit(images, batch_size=batch_size, epochs=self.config.epochs, verbose=0, shuffle=True,
                callbacks=[studio, *([run.memory] if run.memory else []),
                           keras.callbacks.LambdaCallback(on_epoch_end=save_samples)])
        return Fitted(generator, studio.stopped, time.perf_counter() - started, batch_size, len(images), studio)

    def evaluate(self, run, images, fitted) -> dict:
        epochs = run.store.metrics(run.id, "epoch")
        return {"task": "gan", "fit_seconds": fitted.seconds, "parameters": int(fitted.model.count_params()),
                "latent_dim": _latent_dim(fitted.model),
                "epochs_completed": int(epochs.epoch.max()) if len(epochs) else 0,
                "train_examples": fitted.train_examples}

    def novelty(self, run, images, fitted):
        """A generator has no classes to be none of."""
        return None

    def files(self, images, fitted) -> dict[str, str]:
        """What drawing needs next to the generator: its noise size and its images' shape."""
        return {"gan.json": json.dumps({"latent_dim": _latent_dim(fitted.model), "shape": list(images.shape[1:])})}


def _latent_dim(generator) -> int:
    return int(generator.input_shape[-1])  # the generator reads one noise vector per image
