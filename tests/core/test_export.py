"""Export of trained runs: TFLite and SavedModel match Keras, .keras reloads safely, the package holds
labels in output order, a model card and a README, every snippet runs, bad requests say what is wrong."""
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

from core import export as E
from core.data import load_dataset, uploads
from core.export import ExportError, export_package, export_run, labels_txt, model_card
from core.runs import FAILED, STOPPED, RunStore
from core.training import RunConfig
from core.training.runner import train

ROOT = E.paths.PROJECT_ROOT
TINY_TRANSFORMER = dict(blocks=1, heads=2, key_dim=8, ff_units=16, embedding_dim=16)


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """One data directory for the whole module, so each tiny run is trained once and shared."""
    path = tmp_path_factory.mktemp("export-studio")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODEL_STUDIO_DATA", str(path))
        yield path


@pytest.fixture(autouse=True)
def in_studio(studio, data_dir, monkeypatch):
    monkeypatch.setenv("MODEL_STUDIO_DATA", str(studio))  # instead of conftest's fresh directory


def trained(name, **config):
    config = RunConfig(name=name, **config).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), name)
    store.set_process(run_id, os.getpid())
    assert store.claim_slot(run_id, max_running=10)
    assert train(config, run_id, store) == "completed"
    return store.get_run(run_id)


@pytest.fixture(scope="module")
def reviews(studio):
    frame = pd.read_csv(ROOT / "assets" / "samples" / "reviews.csv")
    return uploads.import_text_csv(frame, "text", "label", title="reviews").dataset_key


@pytest.fixture(scope="module")
def mlp_run(studio):
    return trained("digits mlp", dataset="digits", architecture="mlp", epochs=2)


@pytest.fixture(scope="module")
def cnn_run(studio):
    return trained("digits cnn", dataset="digits", architecture="cnn", epochs=1, arch_params={"filters": 8})


@pytest.fixture(scope="module")
def lstm_run(reviews):
    return trained("reviews lstm", dataset=reviews, architecture="rnn", epochs=2, batch_size=16,
                   arch_params={"cell": "lstm", "units": 16, "embedding_dim": 16})


@pytest.fixture(scope="module")
def transformer_run(reviews):
    return trained("reviews transformer", dataset=reviews, architecture="transformer", epochs=2,
                   batch_size=16, arch_params=TINY_TRANSFORMER)


@pytest.fixture(scope="module")
def gan_run(studio):
    return trained("digits gan", dataset="digits", architecture="dcgan", task="gan", epochs=1,
                   learning_rate=2e-4, arch_params={"latent_dim": 8, "filters": 16})


def keras_model(run):
    from core.inference import load_run_model
    return load_run_model(run.id)[0]


def inputs_for(run, n=12):
    """The run's test examples as its model reads them (computed here, not by core.export)."""
    from core.data.text import Encoder
    preprocessing = json.loads((run.dir / "preprocessing.json").read_text(encoding="utf-8"))
    data = load_dataset(run.config["dataset"], run.config["dataset_params"])
    if preprocessing["kind"] == "text":
        encoder = Encoder(preprocessing["vocabulary"], preprocessing["split"], preprocessing["sequence_length"])
        return np.stack([encoder.encode(text)[0] for text in data.x_test[:n]]).astype(np.float32)
    return data.x_test[:n].astype(np.float32)


def run_tflite(path, x):
    from ai_edge_litert.interpreter import Interpreter
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    given, taken = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    assert list(given["shape"]) == [1, *x.shape[1:]]  # batch fixed to one (Keras 3 LSTMs need it)
    out = []
    for row in x:
        interpreter.set_tensor(given["index"], row[None])
        interpreter.invoke()
        out.append(interpreter.get_tensor(taken["index"])[0])
    return np.stack(out)


@pytest.mark.parametrize("fixture", ["mlp_run", "cnn_run", "lstm_run", "transformer_run"])
def test_tflite_matches_keras(request, fixture):
    run = request.getfixturevalue(fixture)
    exported = export_run(run.id, "tflite")
    assert exported.path == run.dir / "export" / "model.tflite" and exported.bytes == exported.path.stat().st_size
    check = exported.check
    assert check["passed"] and check["samples"] == 16 and check["source"] == "the run's test set"
    assert check["max_abs_diff"] <= check["tolerance"] == 1e-4
    # Independently of the export's own check: LiteRT on the file vs Keras on the run's test examples.
    x = inputs_for(run)
    expected = keras_model(run).predict_on_batch(x)
    np.testing.assert_allclose(run_tflite(exported.path, x), expected, atol=1e-5)
    assert exported.seconds > 0 and not exported.cached


def test_savedmodel_zip_reloads_and_serves_the_keras_outputs(mlp_run, lstm_run, tmp_path):
    import tensorflow as tf
    for run in (mlp_run, lstm_run):
        exported = export_run(run.id, "savedmodel")
        assert exported.path.name == "saved_model.zip" and exported.check["max_abs_diff"] <= 1e-4
        with zipfile.ZipFile(exported.path) as archive:
            archive.extractall(tmp_path / run.id)
        loaded = tf.saved_model.load(str(tmp_path / run.id / "saved_model"))
        x = inputs_for(run)  # a whole batch at once: the SavedModel's batch dimension is free
        np.testing.assert_allclose(loaded.serve(x).numpy(), keras_model(run).predict_on_batch(x), atol=1e-6)


def test_keras_export_reloads_with_safe_mode(mlp_run, transformer_run):
    import keras

    import core.models.layers  # noqa: F401 - PositionEmbedding, as the package's model_studio_layers.py does
    for run in (mlp_run, transformer_run):
        exported = export_run(run.id, "keras")
        reloaded = keras.saving.load_model(exported.path, safe_mode=True)
        x = inputs_for(run)
        np.testing.assert_array_equal(reloaded.predict_on_batch(x), keras_model(run).predict_on_batch(x))
    # The transformer's custom layer travels with it, and its snippet imports it.
    folder = transformer_run.dir / "export"
    assert (folder / "model_studio_layers.py").read_text(encoding="utf-8") == (ROOT / "core" / "models" / "layers.py").read_text(encoding="utf-8")
    assert "import model_studio_layers" in export_run(transformer_run.id, "keras").snippet
    assert "model_studio_layers" not in export_run(mlp_run.id, "keras").snippet


def test_package_holds_models_labels_in_output_order_card_and_readme(lstm_run):
    path = export_package(lstm_run.id, ["keras", "savedmodel", "tflite"])
    top = f"model-studio-{lstm_run.id}/"
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        for name in ("model.keras", "model.tflite", "saved_model/saved_model.pb", "labels.txt",
                     "model_card.json", "preprocessing.json", "README.md", "example.txt"):
            assert top + name in names, name
        assert not any(name.endswith("saved_model.zip") for name in names)  # the folder, not a zip in a zip
        labels = archive.read(top + "labels.txt").decode().splitlines()
        card = json.loads(archive.read(top + "model_card.json"))
        readme = archive.read(top + "README.md").decode()
    assert labels == json.loads((lstm_run.dir / "labels.json").read_text(encoding="utf-8")) == ["negative", "positive"]
    assert labels_txt(lstm_run) == "negative\npositive\n"
    assert card["run_id"] == lstm_run.id and card["classes"] == labels and card["task"] == "classification"
    assert card["architecture"]["key"] == "rnn" and card["architecture"]["params"]["cell"] == "lstm"
    assert card["optimizer"]["key"] == "adam" and card["dataset"]["title"] == "Upload: reviews"
    assert card["input"] == {"shape": [None, 64], "dtype": "float32", "meaning": card["input"]["meaning"]}
    assert "vocabulary" in card["input"]["meaning"] and card["output"]["shape"] == [None, 2]
    assert card["test_accuracy"] == lstm_run.results["test_accuracy"] and card["parameters"] > 0
    assert card["versions"]["keras"].startswith("3.") and "your data" in card["licence"]
    assert model_card(lstm_run)["classes"] == labels
    for fmt in E.EXPORT_FORMATS:
        assert export_run(lstm_run.id, fmt).snippet.strip() in readme
    assert readme.count("Checked on 16 inputs (the run's test set)") == 3
    # Asked again with nothing changed: the same file, not rebuilt.
    mtime = path.stat().st_mtime_ns
    assert export_package(lstm_run.id, ["keras", "savedmodel", "tflite"]) == path and path.stat().st_mtime_ns == mtime


def test_every_snippet_runs_in_its_folder_and_prints_the_keras_class(mlp_run, lstm_run, transformer_run, gan_run):
    """Each snippet as a user would run it: a fresh Python inside the export folder (all at once: the
    TensorFlow ones spend most of their time importing it)."""
    jobs = [(mlp_run, fmt) for fmt in E.EXPORT_FORMATS] + [(lstm_run, "tflite"), (transformer_run, "keras"),
                                                           (gan_run, "tflite")]
    snippets = [(run, fmt, export_run(run.id, fmt).snippet) for run, fmt in jobs]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ""}  # nothing from the studio on the path
    processes = [subprocess.Popen([sys.executable, "-c", code], cwd=run.dir / "export", env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for run, _, code in snippets]
    for (run, fmt, _), process in zip(snippets, processes):
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"{run.name} {fmt}: {err[-2000:]}"
        if run is gan_run:
            assert out.split()[0] == "generated.png"
            continue
        label = out.split()[0]
        x = inputs_for(run, 1)  # example.png / example.txt hold the first test example
        best = int(keras_model(run).predict_on_batch(x)[0].argmax())
        expected = json.loads((run.dir / "labels.json").read_text(encoding="utf-8"))[best]
        assert label == expected, f"{run.name} {fmt}: printed {out!r}"
    from PIL import Image
    assert Image.open(gan_run.dir / "export" / "generated.png").size == (8, 8)


@pytest.mark.parametrize("split", ["whitespace", "character"])
def test_the_text_snippet_tokenizes_exactly_like_the_studio(split, tmp_path, monkeypatch):
    from core.data.text import Encoder, fit_vocabulary
    texts = ["Don't STOP!! the music", "北京欢迎你 and café", "ﬁne   Ａpples, $5 <b>bold</b>", "   ",
             "unknown zebra"]
    vocabulary = fit_vocabulary(texts[:3] + ["the the music music café"], split)
    (tmp_path / "preprocessing.json").write_text(json.dumps({"vocabulary": vocabulary, "sequence_length": 12}), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    from core.modalities import modality_of
    code = modality_of("text").prepare_code([12], {"split": split}, "example.txt", tmp_path)
    encoder = Encoder(vocabulary, split, 12)
    for text in texts:
        (tmp_path / "example.txt").write_text(text, encoding="utf-8")
        namespace = {}
        exec(code, namespace)
        np.testing.assert_array_equal(namespace["x"][0], encoder.encode(text)[0], err_msg=text)


def test_a_gan_exports_its_generator_and_has_no_labels(gan_run):
    exported = export_run(gan_run.id, "tflite")
    assert exported.check["passed"] and exported.check["source"] == "random"  # noise is its input
    card = model_card(gan_run)
    assert card["task"] == "gan" and card["classes"] == [] and "generator" in card["exported"]
    assert card["input"]["shape"] == [None, 8] and card["output"]["shape"] == [None, 8, 8, 1]
    with pytest.raises(ExportError, match="GAN draws images and has no classes"):
        labels_txt(gan_run)
    with zipfile.ZipFile(export_package(gan_run.id, ["tflite"])) as archive:
        names = {name.split("/", 1)[1] for name in archive.namelist()}
    assert {"model.tflite", "model_card.json", "README.md"} <= names and "labels.txt" not in names


def test_re_export_is_cached_until_the_model_changes(cnn_run):
    first = export_run(cnn_run.id, "tflite")
    mtime = first.path.stat().st_mtime_ns
    again = export_run(cnn_run.id, "tflite")
    assert again.cached and again.path.stat().st_mtime_ns == mtime and again.check == first.check
    model_file = cnn_run.model_path
    later = model_file.stat().st_mtime + 5
    os.utime(model_file, (later, later))  # a new model.keras (same weights here)
    rebuilt = export_run(cnn_run.id, "tflite")
    assert not rebuilt.cached and rebuilt.check["passed"] and rebuilt.path.stat().st_mtime_ns > mtime


def test_a_converter_failure_names_the_format_and_the_others_still_work(mlp_run, monkeypatch):
    def unsupported(model):
        raise ValueError("op 'FancyOp' is neither a custom op nor a flex op")
    monkeypatch.setattr(E, "to_tflite", unsupported)
    (mlp_run.dir / "export" / "export.json").unlink(missing_ok=True)  # forget earlier exports: really rebuild
    with pytest.raises(ExportError, match=r"TFLite .* export of run .* failed: ValueError: op 'FancyOp'"):
        export_run(mlp_run.id, "tflite")
    assert export_run(mlp_run.id, "keras").check["passed"]


def test_bad_requests_say_what_is_wrong(mlp_run):
    with pytest.raises(ExportError, match="no run 'nope'.*deleted or the id is mistyped"):
        export_run("nope", "keras")
    with pytest.raises(ExportError, match="Unknown export format 'onnx'. Choose one of: keras, savedmodel, tflite"):
        export_run(mlp_run.id, "onnx")
    with pytest.raises(ExportError, match="at least one format"):
        export_package(mlp_run.id, [])
    store = RunStore()
    failed = store.create_run(RunConfig().to_dict(), "broken")
    store.finish(failed, FAILED, error="DataError: the upload was deleted")
    with pytest.raises(ExportError, match=r"no saved model to export: it failed before training ended "
                                          r"\(DataError: the upload was deleted\)\. Train it again"):
        export_run(failed, "tflite")
    queued = store.create_run(RunConfig().to_dict(), "waiting")
    try:
        with pytest.raises(ExportError, match="still queued: export it when it has finished"):
            export_run(queued, "keras")
    finally:
        store.finish(queued, STOPPED)  # out of the queue: later runs in this data directory may train
