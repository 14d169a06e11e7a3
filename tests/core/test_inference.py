"""Live image inference: the converted ImageNet model and a model trained in the studio."""
import numpy as np
import pytest
import skimage.data as skimage_data

from core.catalog import list_models, load_model
from core.inference import fitting_batch_size, input_key
from core.runs import RunStore
from core.training import RunConfig
from core.training.runner import train
CAT_WORDS = ("cat", "tabby", "mau", "lynx")


def test_pretrained_model_recognises_the_cat_and_the_coffee(pretrained_cache):
    classifier = load_model("efficientnet_lite0_imagenet")
    cat = classifier.predict(skimage_data.chelsea())
    assert any(word in label.lower() for label, _ in cat.top for word in CAT_WORDS), cat.top
    coffee = classifier.predict(skimage_data.coffee())
    assert any("espresso" in label.lower() or "cup" in label.lower() for label, _ in coffee.top), coffee.top
    assert abs(cat.probabilities.sum() - 1) < 1e-6 and len(cat.top) == 5
    assert classifier.card["number of classes"] == 1000 and "Apache-2.0" in classifier.card["weights licence"]
    # Any photo size and shape goes in; each answer carries the time it took (its speed on a quiet
    # machine is benchmarks/image_inference.py's business, not a test's).
    assert classifier.predict(np.zeros((3000, 500, 3), np.uint8)).top
    assert 0 < classifier.predict(skimage_data.chelsea()).seconds < 60


def test_trained_run_is_listed_and_predicts_any_photo():
    config = RunConfig(dataset="digits", architecture="cnn", epochs=2).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), "digits cnn")
    assert store.claim_slot(run_id, 10) and train(config, run_id, store) == "completed"
    keys = [info.key for info in list_models("image", store)]
    assert keys[0] == "efficientnet_lite0_imagenet" and f"run:{run_id}" in keys
    classifier = load_model(f"run:{run_id}")
    assert classifier.input_size == (8, 8) and classifier.channels == 1
    prediction = classifier.predict(np.full((120, 90, 3), 200, np.uint8))
    assert len(prediction.top) == 5 and {label for label, _ in prediction.top} <= set("0123456789")
    assert "held-out test images" in classifier.card["accuracy"]
    # Its confidence is calibrated on the run's own validation images (20 % of the training pool).
    assert classifier.calibration.fitted and classifier.calibration.examples > 200
    assert classifier.calibration.nll_after <= classifier.calibration.nll_before
    assert load_model(f"run:{run_id}", calibrated=False).calibration.temperature == 1.0
    assert prediction.top[0][1] == pytest.approx(prediction.probabilities.max())


def test_non_image_runs_are_not_offered():
    config = RunConfig(dataset="moons", architecture="mlp", epochs=1).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), "moons")
    store.claim_slot(run_id, 10)
    train(config, run_id, store)
    assert f"run:{run_id}" not in [info.key for info in list_models("image", store)]


def test_input_key_changes_with_the_input_and_the_model():
    photo = np.zeros((4, 4, 3), np.uint8)
    other = photo.copy()
    other[0, 0, 0] = 1
    key = input_key("gradcam_class", "model-a", photo)
    assert key.startswith("gradcam_class-") and key == input_key("gradcam_class", "model-a", photo.copy())
    assert len({key, input_key("gradcam_class", "model-a", other), input_key("gradcam_class", "model-b", photo),
                input_key("gradcam_class", "model-a", photo.reshape(8, 6))}) == 4
    assert input_key("text_explain", "m", "a text") != input_key("text_explain", "m", "another text")


def test_the_teach_batch_size_fits_a_small_upload_and_says_so():
    import pandas as pd

    from core.data import uploads
    frame = pd.DataFrame({"text": [f"text number {i}" for i in range(20)], "label": ["a", "b"] * 10})
    key = uploads.import_text_csv(frame, "text", "label", title="twenty").dataset_key
    size, note = fitting_batch_size(key, {"split": "whitespace"}, 0.2)
    assert size == 13 and "batch size 13 instead of 16" in note   # 16 in the pool, 3 validate
    config = RunConfig(dataset=key, dataset_params={"split": "whitespace"}, architecture="mlp",
                       batch_size=size, epochs=1)
    assert config.validated().batch_size == 13                    # what was refused before: 16
    assert fitting_batch_size(key, None, 0.2, wanted=8) == (8, None)
    assert fitting_batch_size("upload:gone", None, 0.2) == (16, None)
