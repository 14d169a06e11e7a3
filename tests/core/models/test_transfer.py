"""Teach it your own classes: transfer learning through the runner on a generated 3-class set."""
import io

import numpy as np
import skimage.data
from PIL import Image, ImageDraw

from core.data import uploads
from core.image.explain import grad_cam
from core.catalog import load_model
from core.runs import RunStore
from core.training import RunConfig
from core.training.runner import train


def drawing(kind: str, rng) -> bytes:
    image = Image.new("RGB", (64, 64), tuple(int(v) for v in rng.integers(150, 255, 3)))
    draw = ImageDraw.Draw(image)
    r = int(rng.integers(12, 22))
    cx, cy = (int(v) for v in rng.integers(r + 2, 62 - r, 2))
    color = tuple(int(v) for v in rng.integers(0, 90, 3))
    if kind == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=color)
    elif kind == "square":
        draw.rectangle([cx - r, cy - r, cx + r, cy + r], fill=color)
    else:
        draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=color)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_transfer_learning_reaches_high_accuracy_and_serves(pretrained_cache):
    rng = np.random.default_rng(0)
    kinds = ("circle", "square", "triangle")
    files = {k: [(f"{k}{i}.png", drawing(k, rng)) for i in range(16)] for k in kinds}
    files["circle"].append(("broken.png", b"\x89PNG broken"))
    report = uploads.import_image_files(files, title="shapes")
    assert report.skipped == {"not a readable image": 1}
    config = RunConfig(dataset=report.dataset_key, architecture="efficientnet_transfer", epochs=20,
                       learning_rate=1e-3, batch_size=16, validation_split=0.25).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), "shapes")
    assert store.claim_slot(run_id, 10) and train(config, run_id, store) == "completed"
    run = store.get_run(run_id)
    val_accuracy = store.metrics(run_id, "epoch").query("name == 'val_accuracy'").value.iloc[-1]
    assert val_accuracy >= 0.9 and run.results["test_accuracy"] >= 0.8, (val_accuracy, run.results)
    assert run.results["parameters"] == 1280 * 3 + 3  # only the head is trained
    classifier = load_model(f"run:{run_id}")
    fresh = np.asarray(Image.open(io.BytesIO(drawing("square", np.random.default_rng(99)))))
    answer = classifier.predict(fresh)
    assert answer.top[0][0] == "square" and answer.novelty.familiar, answer
    # A photo of a clock is none of the three shapes, however sure the softmax is of "circle".
    clock = classifier.predict(np.stack([skimage.data.clock()] * 3, axis=-1))
    assert not clock.novelty.familiar and clock.novelty.times_limit > 1.5, clock.novelty
    heatmap = grad_cam(classifier, fresh, classifier.class_names.index("square"))
    assert heatmap.shape == (64, 64) and heatmap.max() == 1.0


def test_fine_tuning_the_last_block_trains_backbone_weights_too(pretrained_cache):
    rng = np.random.default_rng(1)
    files = {k: [(f"{k}{i}.png", drawing(k, rng)) for i in range(8)] for k in ("circle", "square")}
    report = uploads.import_image_files(files, title="two shapes")
    config = RunConfig(dataset=report.dataset_key, architecture="efficientnet_transfer", epochs=3,
                       arch_params={"augment_copies": 0, "fine_tune_blocks": 1, "fine_tune_epochs": 1},
                       batch_size=8, validation_split=0.25).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), "fine-tuned")
    assert store.claim_slot(run_id, 10) and train(config, run_id, store) == "completed"
    run = store.get_run(run_id)
    assert sorted(store.metrics(run_id, "epoch").epoch.unique()) == [1, 2, 3, 4]  # 3 head + 1 fine-tune
    assert run.results["parameters"] > 100_000  # the last block and head conv were trained as well
    classifier = load_model(f"run:{run_id}")
    assert classifier.predict(np.zeros((64, 64, 3), np.uint8)).top[0][0] in ("circle", "square")
