"""Live image inference: the converted ImageNet model and a model trained in the studio."""
import numpy as np
import pytest

from core.inference import list_image_models, load_image_model
from core.runs import RunStore
from core.training import RunConfig
from core.training.runner import train

skimage_data = pytest.importorskip("skimage.data")
CAT_WORDS = ("cat", "tabby", "mau", "lynx")


def test_pretrained_model_recognises_the_cat_and_the_coffee(pretrained_cache):
    classifier = load_image_model("efficientnet_lite0_imagenet")
    cat = classifier.predict(skimage_data.chelsea())
    assert any(word in label.lower() for label, _ in cat.top for word in CAT_WORDS), cat.top
    coffee = classifier.predict(skimage_data.coffee())
    assert any("espresso" in label.lower() or "cup" in label.lower() for label, _ in coffee.top), coffee.top
    assert abs(cat.probabilities.sum() - 1) < 1e-6 and len(cat.top) == 5
    assert classifier.card["number of classes"] == 1000 and "Apache-2.0" in classifier.card["weights licence"]
    # Any photo size and shape goes in; a warm single prediction is fast.
    classifier.predict(np.zeros((3000, 500, 3), np.uint8))
    timings = [classifier.predict(skimage_data.chelsea()).seconds for _ in range(5)]
    assert min(timings) < 0.5


def test_trained_run_is_listed_and_predicts_any_photo():
    config = RunConfig(dataset="digits", architecture="cnn", epochs=2).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), "digits cnn")
    assert store.claim_slot(run_id, 10) and train(config, run_id, store) == "completed"
    keys = [info.key for info in list_image_models(store)]
    assert keys[0] == "efficientnet_lite0_imagenet" and f"run:{run_id}" in keys
    classifier = load_image_model(f"run:{run_id}")
    assert classifier.input_size == (8, 8) and classifier.channels == 1
    prediction = classifier.predict(np.full((120, 90, 3), 200, np.uint8))
    assert len(prediction.top) == 5 and {label for label, _ in prediction.top} <= set("0123456789")
    assert "held-out test images" in classifier.card["accuracy"]


def test_non_image_runs_are_not_offered():
    config = RunConfig(dataset="moons", architecture="mlp", epochs=1).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), "moons")
    store.claim_slot(run_id, 10)
    train(config, run_id, store)
    assert f"run:{run_id}" not in [info.key for info in list_image_models(store)]
