"""Training streamed from disk (#8): image uploads stay memory-mapped, prepare keeps them lazy, the
runner feeds model.fit a tf.data pipeline that reads a batch at a time."""
import io
import os
import signal
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.data import IMAGE, load_dataset, uploads
from core.data.dataset import Rows
from core.params import ConfigError
from core.runs import RunStore
from core.training import RunConfig, launch
from core.training import config as config_module
from core.training.prepare import prepare
from core.training.runner import train
from core.training.stream import batches


def shapes_zip(per_class: int, size: int, seed: int = 0, noise: bool = False) -> bytes:
    """Circles (reddish), squares (greenish) and triangles (bluish) of random size and place, one
    folder per shape."""
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for channel, kind in enumerate(("circle", "square", "triangle")):
            for i in range(per_class):
                background = rng.integers(150, 256, (size, size, 3), dtype=np.uint8) if noise else \
                    np.full((size, size, 3), rng.integers(150, 256, 3), np.uint8)
                image = Image.fromarray(background)
                draw = ImageDraw.Draw(image)
                r = int(rng.integers(size // 5, size // 3))
                cx, cy = (int(v) for v in rng.integers(r + 1, size - r - 1, 2))
                colour = rng.integers(0, 90, 3)
                colour[channel] = 255
                colour = tuple(int(v) for v in colour)
                if kind == "circle":
                    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
                elif kind == "square":
                    draw.rectangle([cx - r, cy - r, cx + r, cy + r], fill=colour)
                else:
                    draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=colour)
                png = io.BytesIO()
                image.save(png, format="PNG")
                archive.writestr(f"{kind}/{i}.png", png.getvalue())
    return buffer.getvalue()


def old_format_copy(key: str) -> str:
    """The same upload stored the way the importer did before images.npy (an in-memory npz)."""
    data = load_dataset(key)
    x, y = np.concatenate([data.x, data.x_test]), np.concatenate([data.y, data.y_test])
    meta = uploads.upload_meta(key.split(":", 1)[1])
    return uploads._store_arrays(IMAGE, "images.npz", x, y, "old format", meta["class_names"],
                                 meta["class_counts"], {}, image_size=meta["image_size"]).dataset_key


def run_in_process(**config) -> tuple[str, RunStore]:
    config = RunConfig(**config).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), config.name)
    store.set_process(run_id, os.getpid())
    assert store.claim_slot(run_id, max_running=10) and train(config, run_id, store) == "completed"
    return run_id, store


def epoch_values(store, run_id, name):
    metrics = store.metrics(run_id, "epoch")
    return metrics[metrics.name == name].value.tolist()


def test_prepare_keeps_uploaded_images_on_disk_and_lazy():
    key = uploads.import_image_zip(shapes_zip(40, 32), image_size=32).dataset_key
    data = load_dataset(key)
    tracemalloc.start()
    try:
        prepared = prepare(data, RunConfig(dataset=key, validation_split=0.25))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < data.x.nbytes / 4  # nothing cast or copied for the whole set
    for part in (prepared.x_train, prepared.x_val, prepared.x_test):
        assert isinstance(part, Rows) and part.dtype == np.float32 and part.shape[1:] == (32, 32, 3)
    assert len(prepared.x_train) == 72 and len(prepared.x_val) == 24 and len(prepared.x_test) == 24
    seen = np.concatenate([prepared.x_train.index, prepared.x_val.index])
    assert sorted(seen) == list(range(96))  # the pool split in two, each read in file order
    assert list(prepared.x_train.index) == sorted(prepared.x_train.index)
    np.testing.assert_array_equal(prepared.x_train[:3], data.x[prepared.x_train.index[:3]].astype(np.float32))
    np.testing.assert_array_equal(prepared.y_train, data.y[prepared.x_train.index])


def test_batches_shuffle_every_epoch_with_the_seed_and_keep_labels_with_images():
    import tensorflow as tf
    base = np.arange(50, dtype=np.uint8).reshape(50, 1, 1, 1)
    x, y = Rows(base, np.arange(3, 50), np.float32), np.arange(3, 50) * 10
    tf.random.set_seed(0)
    dataset = batches(x, y, 8, seed=1)

    def epoch():
        pairs = [(xb.numpy().ravel(), yb.numpy()) for xb, yb in dataset]
        assert all(xb.dtype == np.float32 for xb, _ in pairs) and max(len(xb) for xb, _ in pairs) == 8
        for xb, yb in pairs:
            np.testing.assert_array_equal(xb * 10, yb)  # each image with its own label
        return np.concatenate([xb for xb, _ in pairs])

    first, second = epoch(), epoch()
    assert sorted(first) == sorted(second) == list(range(3, 50))  # every example once per epoch
    assert list(first) != list(second)  # in a new order each epoch
    tf.random.set_seed(0)
    again = batches(x, y, 8, seed=1)
    np.testing.assert_array_equal(np.concatenate([xb.numpy().ravel() for xb, _ in again]), first)
    plain = np.concatenate([xb.numpy().ravel() for xb in batches(x, None, 16)])
    np.testing.assert_array_equal(plain, np.arange(3, 50))  # unshuffled, x alone: for predict


def test_a_streamed_run_trains_as_well_as_the_in_memory_one():
    key = uploads.import_image_zip(shapes_zip(40, 32, seed=3), image_size=32).dataset_key
    settings = dict(architecture="cnn", epochs=4, batch_size=16, learning_rate=3e-3, seed=0)
    streamed_id, store = run_in_process(dataset=key, **settings)
    in_memory_id, _ = run_in_process(dataset=old_format_copy(key), **settings)
    losses = epoch_values(store, streamed_id, "loss")
    assert losses[-1] < 0.3 * losses[0], losses
    streamed, in_memory = (store.get_run(i).results for i in (streamed_id, in_memory_id))
    # 120 images: 24 test, 19 validation, 77 training = 5 batches of 16 per epoch
    assert streamed["steps_completed"] == in_memory["steps_completed"] == 4 * 5
    assert streamed["test_accuracy"] >= 0.9 and in_memory["test_accuracy"] >= 0.9, (streamed, in_memory)
    assert streamed["test_examples"] == in_memory["test_examples"] == 24
    assert len(epoch_values(store, streamed_id, "val_loss")) == 4  # validation streamed too


def test_full_batch_gradient_descent_on_an_upload_has_a_memory_limit(monkeypatch):
    key = uploads.import_image_zip(shapes_zip(20, 16), image_size=16).dataset_key
    run_id, store = run_in_process(dataset=key, architecture="mlp", optimizer="gd", learning_rate=0.05,
                                   epochs=3, validation_split=0.2)
    results = store.get_run(run_id).results
    assert results["train_examples"] == 38 and results["steps_completed"] == 3  # one step per epoch
    monkeypatch.setattr(config_module, "FULL_BATCH_MAX_BYTES", 38 * 16 * 16 * 3 * 4 - 1)  # float32
    with pytest.raises(ConfigError) as err:
        RunConfig(dataset=key, architecture="mlp", optimizer="gd").validated()
    assert "takes every training image in one step, so all 38 would be in memory at once" in str(err.value)
    assert "Pick a mini-batch optimizer" in str(err.value)
    RunConfig(dataset=key, architecture="mlp", optimizer="sgd", batch_size=16).validated()  # mini-batches: fine


@pytest.mark.slow
def test_the_runner_process_stays_small_on_2000_uploaded_images():
    """2,000 images of 128x128 (98 MB as uint8, 393 MB as float32): the runner's anonymous memory
    (RSS minus the file pages of the memory-mapped images) stays near TensorFlow's own."""
    import psutil
    key = uploads.import_image_zip(shapes_zip(667, 128, seed=5), image_size=128).dataset_key
    store = RunStore()
    run_id = launch(RunConfig(dataset=key, architecture="mlp", epochs=1, batch_size=64))
    try:
        process = psutil.Process(store.get_run(run_id).pid)
        peak_anon = 0
        while store.get_run(run_id).is_active:
            try:
                info = process.memory_info()
            except psutil.NoSuchProcess:
                break
            peak_anon = max(peak_anon, info.rss - info.shared)
            time.sleep(0.2)
    finally:
        if store.get_run(run_id).is_active:
            os.kill(store.get_run(run_id).pid, signal.SIGKILL)
    run = store.get_run(run_id)
    assert run.status == "completed", run.error
    assert peak_anon < 900 * 2**20, f"runner peak anonymous memory {peak_anon / 2**20:.0f} MB"
