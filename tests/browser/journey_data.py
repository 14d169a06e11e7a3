"""A data directory that holds runs of every kind the studio makes, built fast and for real.

    runs = build_journey_data(data_dir, models_cache)   # about a minute on 2 cores

Each trainable kind is trained here, in this process, through the studio's own `train()` (one
TensorFlow import for all of them; `python -m core.train` would pay it per run), on tiny data:
digits 8x8 for MLP/CNN/race/scale/GAN, the bundled reviews CSV for text, a dozen clips of the
bundled sounds for audio, a dozen drawn shapes for transfer learning, 8 ticket → category pairs for
a LoRA fine-tune of the real SmolLM2 (2 steps). The runs a process leaves
behind when it dies or fails are written into the store the way core/runs.py records them, as
tests/core/training/test_faults.py and tests/core/test_bundle.py do. Nothing is cached outside
the given folders.
"""
from __future__ import annotations

import io
import os
import signal
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

from core import paths

SAMPLES = paths.ASSETS_DIR / "samples"
PRETRAINED_KEY = "efficientnet_lite0_imagenet"


@contextmanager
def studio_at(data_dir: Path):
    """Point core.paths (and the dataset cache) at `data_dir` while building, then restore both."""
    from core.data import _load_cached
    before = os.environ.get(paths.DATA_DIR_ENV)
    os.environ[paths.DATA_DIR_ENV] = str(data_dir)
    _load_cached.cache_clear()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(paths.DATA_DIR_ENV, None)
        else:
            os.environ[paths.DATA_DIR_ENV] = before
        _load_cached.cache_clear()


def _trained(store, stop_at_once: bool = False, **settings) -> str:
    """Record a run as launch() does and train it here, as its runner process would."""
    from core.training.config import RunConfig
    from core.training.runner import train
    config = RunConfig(**settings).validated()
    run_id = store.create_run(config.to_dict(), config.name)
    (paths.run_dir(run_id) / "config.json").write_text(config.to_json(), encoding="utf-8")
    store.set_process(run_id, os.getpid())
    if stop_at_once:
        store.request_stop(run_id)  # Stop pressed before it started: it halts after its first batch
    assert store.claim_slot(run_id, max_running=100)
    status = train(config, run_id, store)
    assert status in ("completed", "stopped"), (settings, status)
    return run_id


def _interrupted(store) -> str:
    """A digits MLP whose runner got SIGTERM right after its checkpoint of epoch 1 (resumable)."""
    from core.training.callbacks import Checkpoint
    from core.training.config import RunConfig
    from core.training.runner import CHECKPOINT_SECONDS_ENV, execute
    config = RunConfig(dataset="digits", architecture="mlp", epochs=3, batch_size=128,
                       name="Interrupted digits MLP").validated()
    run_id = store.create_run(config.to_dict(), config.name)
    save, handler, every = Checkpoint._save, signal.getsignal(signal.SIGTERM), os.environ.get(CHECKPOINT_SECONDS_ENV)

    def save_then_signal(self):
        save(self)
        if self.epochs_done == 1:
            raise KeyboardInterrupt  # what the runner's SIGTERM handler raises
    os.environ[CHECKPOINT_SECONDS_ENV] = "0"  # a checkpoint after every epoch
    Checkpoint._save = save_then_signal
    try:
        assert execute(run_id) == "interrupted"
    finally:
        Checkpoint._save = save
        signal.signal(signal.SIGTERM, handler)  # execute() installs the runner's handler
        if every is None:
            os.environ.pop(CHECKPOINT_SECONDS_ENV, None)
        else:
            os.environ[CHECKPOINT_SECONDS_ENV] = every
    return run_id


def _failed(store) -> str:
    """A run that failed after a few batches: what the runner's _record_failure leaves."""
    from core.training.config import RunConfig
    config = RunConfig(dataset="digits", architecture="cnn", epochs=5, learning_rate=5.0,
                       name="Failed digits CNN").validated()
    run_id = store.create_run(config.to_dict(), config.name)
    store.set_progress(run_id, {"state": "training", "epoch": 1, "epochs": 5, "batch": 3, "steps_per_epoch": 23,
                                "step": 3, "total_steps": 115, "elapsed": 0.8, "eta": 30.0})
    store.log_metrics(run_id, "batch", 0, 2, 0.5, {"loss": 2.3, "accuracy": 0.1})
    store.log_metrics(run_id, "batch", 0, 3, 0.8, {"loss": float("inf"), "accuracy": float("nan")})
    (paths.run_dir(run_id) / "error.txt").write_text("Traceback (most recent call last):\n  ...\n"
                                                     "ValueError: the loss became infinite\n", encoding="utf-8")
    store.finish(run_id, "failed", error="ValueError: the loss became infinite")
    return run_id


def _few_per_class(source: Path, per_class: int) -> bytes:
    """A zip of the first `per_class` files of each class folder of a bundled sample zip."""
    out, taken = io.BytesIO(), {}
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w") as dst:
        for name in sorted(src.namelist()):
            if name.endswith("/"):
                continue
            folder = name.rsplit("/", 1)[0]
            if taken.get(folder, 0) < per_class:
                taken[folder] = taken.get(folder, 0) + 1
                dst.writestr(name, src.read(name))
    return out.getvalue()


def _ticket_pairs(n_train: int, n_held: int) -> bytes:
    """A few of the bundled ticket → category pairs (assets/samples/llm_tasks.jsonl), as a user's JSONL."""
    import json

    from core.llm.tasks import bundled
    tickets = [p for p in bundled() if p.task == "ticket"]
    chosen = [p for p in tickets if p.split == "train"][:n_train] + [p for p in tickets if p.split == "held-out"][:n_held]
    return "".join(json.dumps(p.__dict__) + "\n" for p in chosen).encode()


def _imported_model(run_id: str) -> str:
    """The digits MLP's model file brought into the Image Lab as a user's own .keras model."""
    from core.model_import import import_model
    run_dir = paths.run_dir(run_id)
    imported = import_model((run_dir / "model.keras").read_bytes(), "my digits model.keras", "image",
                            labels=(run_dir / "labels.json").read_bytes(), labels_filename="labels.json")
    return imported.key


def _imported_bundle(data_dir: Path) -> list[str]:
    """A run trained in another studio (another data directory), exported there as a project
    bundle and imported here, as the Runs page does."""
    from core.bundle import export_bundle, import_bundle
    from core.runs import RunStore
    other = data_dir.parent / (data_dir.name + "-other-studio")
    with studio_at(other):
        other_store = RunStore()
        _trained(other_store, dataset="digits", architecture="mlp", epochs=2, batch_size=128,
                 arch_params={"units": 16}, name="From a colleague: digits MLP")
        bundle = export_bundle().path
    with studio_at(data_dir):
        return import_bundle(bundle).imported


def build_journey_data(data_dir: Path, models_cache: Path | None = None) -> dict:
    """Fill `data_dir` with one run (or sweep) of every kind; returns {kind: run id(s)}.

    `models_cache`: a folder (in tmp) for the converted EfficientNet, linked as <data dir>/models
    so that several test modules convert it once.
    """
    from core.data import uploads
    from core.principles.race import race_configs
    from core.principles.scale import scale_configs
    from core.runs import RunStore

    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    if models_cache is not None and not (data_dir / "models").exists():
        Path(models_cache).mkdir(parents=True, exist_ok=True)
        (data_dir / "models").symlink_to(Path(models_cache), target_is_directory=True)
    runs: dict = {}
    with studio_at(data_dir):
        store = RunStore()
        tiny = {"dataset": "digits", "batch_size": 128}
        runs["mlp"] = _trained(store, **tiny, architecture="mlp", epochs=2, name="Digits MLP")
        runs["one_epoch"] = _trained(store, **tiny, architecture="mlp", epochs=1, arch_params={"units": 32},
                                     name="One-epoch digits MLP")
        runs["cnn"] = _trained(store, **tiny, architecture="cnn", epochs=2, arch_params={"filters": 8},
                               name="Digits CNN")
        runs["stopped_early"] = _trained(store, stop_at_once=True, **tiny, architecture="mlp", epochs=20,
                                         name="Stopped before its first epoch")

        frame = uploads.read_csv_upload((SAMPLES / "reviews.csv").read_bytes())
        texts = uploads.import_text_csv(frame, "text", "label", title="Sample reviews")
        runs["text"] = _trained(store, dataset=texts.dataset_key, dataset_params={"split": "whitespace"},
                                architecture="mlp", epochs=3, batch_size=16, learning_rate=3e-3,
                                name="Texts: Sample reviews (Bag of words (MLP))")
        sounds = uploads.import_audio_zip(_few_per_class(SAMPLES / "sounds.zip", 5), title="Sample sounds")
        runs["audio"] = _trained(store, dataset=sounds.dataset_key, architecture="cnn", epochs=2, batch_size=8,
                                 name="Sounds: Sample sounds")
        shapes = uploads.import_image_zip(_few_per_class(SAMPLES / "shapes.zip", 5), title="Sample shapes",
                                          image_size=224)
        runs["transfer"] = _trained(store, dataset=shapes.dataset_key, architecture="efficientnet_transfer",
                                    arch_params={"augment_copies": 0}, epochs=2, batch_size=8,
                                    validation_split=0.25, name="Image classes: Sample shapes")
        runs["gan"] = _trained(store, dataset="digits", architecture="dcgan", task="gan", epochs=1, batch_size=256,
                               learning_rate=2e-4, arch_params={"latent_dim": 8, "filters": 16},
                               name="GAN: Digits 8x8 (scikit-learn)")
        # A race and a scale sweep, named and configured exactly as pages/race.py and pages/scale.py make them.
        runs["race"] = [_trained(store, **config.to_dict() | {"epochs": 1})
                        for config in race_configs(["sgd", "adam"], "digits", "mlp", epochs=1)]
        runs["scale"] = [_trained(store, **config.to_dict())
                         for config in scale_configs("digits", (4, 16), epochs=1)]
        tickets, _ = uploads.import_pairs(_ticket_pairs(8, 3), "tickets.jsonl", "Help-desk tickets")
        runs["finetune"] = _trained(store, dataset=tickets.dataset_key, architecture="smollm2_lora", task="finetune-llm",
                                    optimizer="adamw", optimizer_params={"weight_decay": 0.0}, learning_rate=1e-3,
                                    epochs=1, batch_size=4, validation_split=0.0,
                                    arch_params={"rank": 4, "max_tokens": 128}, name="Help-desk tickets, rank 4")
        runs["interrupted"] = _interrupted(store)
        runs["failed"] = _failed(store)
        runs["imported_model"] = _imported_model(runs["mlp"])
    runs["bundle"] = _imported_bundle(data_dir)
    return runs


if __name__ == "__main__":  # python -m tests.browser.journey_data /tmp/somewhere: build and time it
    import sys
    started = time.perf_counter()
    target = Path(sys.argv[1])
    print(build_journey_data(target / "studio-data", target / "models"))
    print(f"built in {time.perf_counter() - started:.1f} s")
