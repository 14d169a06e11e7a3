"""Importing a user's `.keras` model into a lab: safe files pass and predict as before; crafted
malicious files are refused before Keras reads them, and nothing in them ever runs."""
import io
import json
import sys
import zipfile

import keras
import numpy as np
import pytest

from core import model_import
from core.model_import import ModelImportError, delete_imported, import_model, list_imported_models, load_imported


# -- model files made here --------------------------------------------------------------------------

def _saved(model, tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("saved") / "model.keras"
    model.save(path)
    return path.read_bytes()


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    """(model, .keras bytes) of a small image CNN that takes raw 0-255 pixels, like studio runs."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    # Compiled, so config.json holds what Keras writes for a loss function: {"module": "builtins", ...}.
    model.compile("adam", loss=keras.losses.sparse_categorical_crossentropy, metrics=["accuracy"])
    return model, _saved(model, tmp_path_factory)


@pytest.fixture(scope="module")
def text_model(tmp_path_factory):
    """(model, .keras bytes, preprocessing.json bytes) of a bag-of-words text model with logits out."""
    keras.utils.set_random_seed(0)
    vocabulary = ["", "[UNK]", "good", "bad", "phone", "battery"]
    model = keras.Sequential([keras.Input((8,)), keras.layers.Embedding(len(vocabulary), 4),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(2)])
    preprocessing = {"kind": "text", "vocabulary": vocabulary, "split": "whitespace", "sequence_length": 8}
    return model, _saved(model, tmp_path_factory), json.dumps(preprocessing).encode()


def _edit_config(data: bytes, edit) -> bytes:
    """The same .keras file with config.json changed by `edit(config)`: how an attacker crafts one."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "config.json":
                config = json.loads(content)
                edit(config)
                content = json.dumps(config).encode()
            target.writestr(name, content)
    return out.getvalue()


def _layer(config: dict, class_name: str) -> dict:
    return next(layer for layer in config["config"]["layers"] if layer["class_name"] == class_name)


def _refused(data: bytes, filename: str = "model.keras", lab: str = "image", **kwargs) -> str:
    with pytest.raises(ModelImportError) as err:
        import_model(data, filename, lab, **kwargs)
    assert not any(model_import.imported_dir().iterdir()), "a refused import must leave nothing behind"
    return str(err.value)


# -- crafted malicious files -------------------------------------------------------------------------

def test_a_lambda_layer_is_refused_and_its_code_never_runs(tmp_path, tmp_path_factory):
    marker = tmp_path / "lambda-ran"
    # Keras stores a lambda's bytecode (a named function only by name), with the marker's path as a
    # constant in it: what an attacker's code would do instead is anything at all.
    payload = eval(f"lambda x: (__import__('pathlib').Path({str(marker)!r}).touch(), x)[1]")
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Lambda(payload, name="innocent"),
                              keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
    data = _saved(model, tmp_path_factory)
    marker.unlink(missing_ok=True)  # building the model above ran it once, on purpose
    message = _refused(data)
    assert "Lambda layer 'innocent'" in message and "never runs code" in message
    assert not marker.exists()
    path = tmp_path / "unsafe.keras"
    path.write_bytes(data)
    # Second line of defence: the loader itself stays in safe mode even if something in the process
    # switched unsafe deserialization on globally.
    from keras.src.backend.common import global_state
    keras.config.enable_unsafe_deserialization()
    try:
        with pytest.raises(ModelImportError, match="Keras could not load the model safely"):
            model_import._load(path)
    finally:
        global_state.set_global_attribute("safe_mode_saving", None)
    assert not marker.exists()
    # The payload is live: the same file loaded without safe mode would have run it.
    keras.models.load_model(path, safe_mode=False)
    assert marker.exists()


def test_a_lambda_inside_a_wrapper_in_a_nested_model_is_refused(cnn):
    def hide(config):
        inner = {"module": "keras.layers", "class_name": "TimeDistributed", "registered_name": None,
                 "config": {"name": "wrapper", "trainable": True,
                            "layer": {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
                                      "config": {"name": "hidden", "trainable": True,
                                                 "function": {"class_name": "__lambda__",
                                                              "config": {"value": "AAAA"}}}}}}
        _layer(config, "Dense")["config"]["kernel_initializer"] = inner
    assert "Lambda layer 'hidden'" in _refused(_edit_config(cnn[1], hide))


@pytest.mark.parametrize("module, function", [("os", "system"), ("builtins", "eval"), ("subprocess", "call")])
def test_an_activation_naming_a_function_outside_keras_is_refused(cnn, module, function):
    def point_elsewhere(config):
        _layer(config, "Conv2D")["config"]["activation"] = {
            "module": module, "class_name": "function", "config": function, "registered_name": "function"}
    message = _refused(_edit_config(cnn[1], point_elsewhere))
    assert f"'{module}.{function}'" in message and "Conv2D" in message, message


def test_a_module_function_in_a_nested_model_is_refused_and_never_imported(tmp_path, tmp_path_factory, monkeypatch):
    # A real module on sys.path whose function would leave a marker: neither imported nor called.
    marker = tmp_path / "payload-ran"
    (tmp_path / "evil_payload.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef run(*args, **kwargs):\n    open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4, activation="relu")], name="inner")
    inputs = keras.Input((8, 8, 1))
    x = inner(keras.layers.Dense(4)(keras.layers.GlobalAveragePooling2D()(inputs)))
    data = _saved(keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x)), tmp_path_factory)

    def hide_in_inner(config):
        inner_config = _layer(config, "Sequential")
        dense = next(layer for layer in inner_config["config"]["layers"] if layer["class_name"] == "Dense")
        dense["config"]["activation"] = {"module": "evil_payload", "class_name": "function",
                                         "config": "run", "registered_name": "function"}
    message = _refused(_edit_config(data, hide_in_inner))
    assert "'evil_payload.run'" in message and "outside Keras" in message
    # As a layer class, too.
    def layer_class(config):
        _layer(config, "Sequential")["config"]["layers"][-1].update(module="evil_payload", class_name="Run")
    assert "'evil_payload.Run'" in _refused(_edit_config(data, layer_class))
    assert not marker.exists() and "evil_payload" not in sys.modules


def test_unregistered_custom_objects_and_code_objects_are_refused(cnn):
    def custom(config):
        _layer(config, "Dense")["registered_name"] = "my_package>Evil"
    assert "'my_package>Evil'" in _refused(_edit_config(cnn[1], custom))

    def python_function(config):
        _layer(config, "Dense")["config"]["activation"] = {"class_name": "__python_function__", "config": {}}
    assert "'__python_function__'" in _refused(_edit_config(cnn[1], python_function))


def test_parts_of_keras_that_are_not_model_parts_are_refused(cnn):
    def settings(config):
        _layer(config, "Dense")["config"]["kernel_initializer"] = {
            "module": "keras.config", "class_name": "enable_unsafe_deserialization", "config": {},
            "registered_name": None}
    assert "'keras.config.enable_unsafe_deserialization'" in _refused(_edit_config(cnn[1], settings))

    def file_utility(config):
        _layer(config, "Dense")["config"]["activation"] = {
            "module": "keras.utils", "class_name": "function", "config": "get_file", "registered_name": "function"}
    assert "'keras.utils.get_file', which is not a Keras activation" in _refused(_edit_config(cnn[1], file_utility))


def test_every_bundled_studio_model_passes_the_config_check():
    from core import paths
    bundled = sorted((paths.ASSETS_DIR / "models").glob("*.keras"))
    assert bundled
    for path in bundled:
        with zipfile.ZipFile(path) as archive:
            model_import.check_config(archive.read("config.json"))


def test_zip_entries_escaping_their_folder_are_refused(cnn):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target, zipfile.ZipFile(io.BytesIO(cnn[1])) as source:
        for name in source.namelist():
            target.writestr(name, source.read(name))
        target.writestr("../evil.txt", b"x")
    assert "'../evil.txt' points outside its folder" in _refused(out.getvalue())
    # Two config.json entries: which one a reader takes is up to the reader, so none is taken.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target, zipfile.ZipFile(io.BytesIO(cnn[1])) as source:
        for name in source.namelist():
            target.writestr(name, source.read(name))
        with pytest.warns(UserWarning, match="Duplicate name"):
            target.writestr("config.json", b"{}")
    assert "two entries with the same name" in _refused(out.getvalue())


# -- files that are not what they claim ---------------------------------------------------------------

def test_h5_other_suffixes_and_broken_files_are_refused(cnn):
    assert "legacy HDF5" in _refused(b"\x89HDF\r\n", "model.h5") and "model.save('model.keras')" in \
        _refused(b"\x89HDF", "weights.HDF5")
    assert "not a .keras file" in _refused(cnn[1], "model.pt")
    assert "empty (0 bytes)" in _refused(b"")
    assert "not a zip file" in _refused(b"hello, I am a model")
    assert "corrupt or truncated" in _refused(cnn[1][:len(cnn[1]) // 2])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        target.writestr("config.json", "{}")
    assert "lacks metadata.json, model.weights.h5" in _refused(out.getvalue())


def test_size_limit_message_names_the_limit(cnn, monkeypatch):
    monkeypatch.setattr(model_import, "MAX_MODEL_BYTES", 1 << 20)
    message = _refused(cnn[1] + b"\0" * (2 << 20))
    assert "the limit is 1 MB" in message and "Import a smaller model" in message


# -- shapes and labels ----------------------------------------------------------------------------------

def test_a_model_of_the_wrong_shape_for_the_lab_is_refused_with_both_shapes(cnn, text_model):
    message = _refused(text_model[1], lab="image")
    assert "(None, 8)" in message and "(None, 2)" in message and "(None, height, width, channels)" in message
    message = _refused(cnn[1], lab="audio")
    assert "(None, 16, 16, 3)" in message and "(None, 98, 40, 1)" in message
    assert "(None, 16, 16, 3)" in _refused(cnn[1], lab="text")


def test_a_text_model_needs_its_vocabulary(text_model):
    assert "Upload the preprocessing.json exported with the model" in _refused(text_model[1], lab="text")
    wrong_length = json.dumps({"vocabulary": ["", "[UNK]", "a"], "sequence_length": 5}).encode()
    assert "(None, 8)" in _refused(text_model[1], lab="text", preprocessing=wrong_length)


def test_label_count_must_match_the_outputs(cnn):
    message = _refused(cnn[1], labels=b"cat\ndog\n")
    assert "names 2 classes" in message and "outputs 3 scores" in message


# -- models that pass ------------------------------------------------------------------------------------

def test_an_imported_cnn_predicts_in_the_image_lab_like_the_original(cnn):
    from core.catalog import list_models, load_model
    model, data = cnn
    imported = import_model(data, "../My CNN [v2].keras", "image", labels=b'["cat", "dog", "bird"]',
                            labels_filename="labels.json")
    assert imported.key.startswith("imported:") and imported.labels == ["cat", "dog", "bird"]
    folder = model_import.imported_dir() / imported.key.split(":")[1]
    assert sorted(p.name for p in folder.iterdir()) == ["card.json", "labels.json", "model.keras",
                                                         "preprocessing.json"]
    card = imported.card
    assert card["title"] == "My CNN v2" and card["source"].startswith("imported from My CNN v2.keras")
    assert card["input shape"] == "(None, 16, 16, 3)" and card["output shape"] == "(None, 3)"
    assert card["parameters"] == f"{model.count_params():,}" and imported.preprocessing["pixels"] == "0-255"
    assert imported.preprocessing["outputs"] == "probabilities"
    assert imported.key in [info.key for info in list_models("image")]
    assert [info.key for info in list_imported_models("text")] == []

    classifier = load_model(imported.key)
    photo = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    expected = model.predict_on_batch(photo[None].astype(np.float32))[0]
    prediction = classifier.predict(photo, k=3)
    np.testing.assert_allclose(prediction.probabilities, expected, atol=1e-5)
    assert prediction.top[0][0] == ["cat", "dog", "bird"][int(np.argmax(expected))]

    delete_imported(imported.key)
    assert not folder.exists() and list_imported_models("image") == []
    with pytest.raises(KeyError):
        load_imported("imported:../runs")


def test_an_imported_text_model_with_logits_works_in_the_text_lab(text_model):
    from core.catalog import list_models, load_model
    model, data, preprocessing = text_model
    imported = import_model(data, "reviews.keras", "text", labels=b"positive\nnegative\n",
                            preprocessing=preprocessing)
    assert imported.preprocessing["outputs"] == "logits" and "softmax" in imported.card["outputs"]
    assert imported.key in [info.key for info in list_models("text")]
    classifier = load_model(imported.key)
    prediction = classifier.predict("Good phone, bad battery")
    logits = model.predict_on_batch(np.array([[2, 4, 3, 5, 0, 0, 0, 0]]))[0]
    np.testing.assert_allclose(prediction.probabilities, np.exp(logits) / np.exp(logits).sum(), atol=1e-5)
    assert {label for label, _ in prediction.top} == {"positive", "negative"}


def test_a_studio_model_with_its_registered_layer_imports(text_model, tmp_path_factory):
    from core.models.architectures import InputSpec, build_transformer
    model = build_transformer(InputSpec("text", (8,), 2, 6))
    imported = import_model(_saved(model, tmp_path_factory), "transformer.keras", "text",
                            preprocessing=text_model[2])
    assert imported.labels == ["class 0", "class 1"]
    loaded, *_ = load_imported(imported.key)
    assert any(type(layer).__name__ == "PositionEmbedding" for layer in loaded.layers)



def test_an_imported_audio_model_works_in_the_audio_lab(tmp_path_factory):
    from core.audio.features import CLIP_FRAMES, CLIP_SAMPLES, N_MELS, clip_features
    from core.catalog import list_models, load_model
    model = keras.Sequential([keras.Input((CLIP_FRAMES, N_MELS, 1)), keras.layers.Conv2D(2, 3),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3, activation="softmax")])
    imported = import_model(_saved(model, tmp_path_factory), "words.keras", "audio", labels=b"yes\nno\nmaybe")
    assert imported.key in [info.key for info in list_models("audio")]
    classifier = load_model(imported.key)
    tone = np.sin(np.arange(CLIP_SAMPLES) / 16000 * 2 * np.pi * 440).astype(np.float32)
    expected = model.predict_on_batch(clip_features(tone)[None])[0]
    np.testing.assert_allclose(classifier.predict(tone).probabilities, expected, atol=1e-5)
