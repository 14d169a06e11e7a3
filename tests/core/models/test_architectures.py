"""Every architecture builds for every kind of data it claims, and learns a tiny problem."""
import keras
import numpy as np
import pytest

from core.data import AUDIO, IMAGE, TABULAR, TEXT
from core.models import ARCHITECTURES, InputSpec, build_model, layer_table, resolve_arch_params
from core.models.layers import PositionEmbedding
from core.models.transfer import FEATURES
from core.params import ConfigError

KINDS = (AUDIO, IMAGE, TABULAR, TEXT)
# Small knobs keep the suite fast; the defaults are exercised by the runner tests.
SMALL = {"mlp": {"units": 32}, "rnn": {"units": 16}, "cnn": {"filters": 8, "dense_units": 32},
         "speech": {"filters": 8, "units": 8, "dense_units": 16},
         "transformer": {"blocks": 1, "heads": 2, "key_dim": 8, "ff_units": 32, "embedding_dim": 32}}


def tiny_problem(kind: str, n: int = 150):
    """Three classes a model can learn in a few epochs, for each kind of input."""
    rng = np.random.default_rng(0)
    y = np.arange(n) % 3
    if kind == IMAGE:  # class = which third of the image holds a bright vertical bar
        x = rng.integers(0, 40, (n, 8, 8, 1)).astype("float32")
        for i, label in enumerate(y):
            x[i, :, label * 3:label * 3 + 2, 0] = 255
        return InputSpec(IMAGE, (8, 8, 1), 3), x, y
    if kind == AUDIO:  # a log-mel spectrogram: class = which third of the pitch range sounds
        x = rng.uniform(0, 0.3, (n, 20, 12, 1)).astype("float32")
        for i, label in enumerate(y):
            x[i, 5:15, label * 4:label * 4 + 4, 0] = 1.0
        return InputSpec(AUDIO, (20, 12, 1), 3), x, y
    if kind == TABULAR:  # three well separated blobs
        centres = np.array([[0, 0], [3, 3], [0, 3]], "float32")
        return InputSpec(TABULAR, (2,), 3), centres[y] + rng.normal(0, 0.5, (n, 2)).astype("float32"), y
    if kind == FEATURES:  # what transfer learning trains on: 1,280 image features per example
        means = rng.normal(0, 1, (3, 1280)).astype("float32")
        return InputSpec(FEATURES, (1280,), 3), means[y] + rng.normal(0, 1, (n, 1280)).astype("float32"), y
    x = rng.integers(5, 30, (n, 12))  # token ids; the class's own token appears somewhere
    x[np.arange(n), rng.integers(0, 12, n)] = 2 + y
    return InputSpec(TEXT, (12,), 3, vocab_size=30), x, y


def _kinds(key):
    # Transfer learning reads images only after the runner turned them into features (see
    # core/models/transfer.py); its image path needs the pretrained weights: test_transfer.py.
    return [FEATURES] if ARCHITECTURES[key].training in ("transfer", "sentence_encoder") else sorted(ARCHITECTURES[key].supports)


CLASSIFIERS = [key for key, spec in ARCHITECTURES.items() if spec.task == "classification"]
CASES = [(key, kind) for key in CLASSIFIERS for kind in _kinds(key)]  # the GAN: core/training/test_gan.py
UNSUPPORTED = [(key, kind) for key, spec in ARCHITECTURES.items() for kind in KINDS if kind not in spec.supports]


def test_every_registered_architecture_is_covered():
    # The GAN: core/training/test_gan.py; LoRA on the language model: core/training/test_finetune_llm.py.
    assert {key for key, _ in CASES} == set(CLASSIFIERS) and set(ARCHITECTURES) - set(CLASSIFIERS) == {"dcgan", "smollm2_lora"}
    assert {"mlp", "cnn", "rnn", "transformer"} <= set(ARCHITECTURES)
    for key, spec in ARCHITECTURES.items():
        values, problems = resolve_arch_params(key, {})
        assert problems == [] and values == {name: p.default for name, p in spec.params.items()}


@pytest.mark.parametrize("key, kind", CASES, ids=[f"{k}-{d}" for k, d in CASES])
def test_builds_counts_its_parameters_and_loss_falls(key, kind):
    keras.utils.set_random_seed(0)
    spec, x, y = tiny_problem(kind)
    model = build_model(key, spec, SMALL.get(key, {}))
    assert model.output_shape == (None, 3)
    rows = layer_table(model)
    assert sum(r["parameters"] for r in rows) == model.count_params() > 0
    assert len({r["layer"] for r in rows}) == len(rows)
    probabilities = model.predict_on_batch(x[:5])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)  # a softmax over classes
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < 0.7 * history[0], history


@pytest.mark.parametrize("key, kind", UNSUPPORTED, ids=[f"{k}-{d}" for k, d in UNSUPPORTED])
def test_unsupported_data_is_refused_with_what_would_work(key, kind):
    spec = tiny_problem(kind, n=6)[0]
    with pytest.raises(ConfigError) as err:
        build_model(key, spec)
    message = str(err.value)
    assert f"cannot read {kind} data" in message
    assert all(supported in message for supported in ARCHITECTURES[key].supports), message


def test_bad_knobs_are_refused_with_a_reason():
    spec = InputSpec(TABULAR, (2,), 2)
    with pytest.raises(ConfigError, match="Units per layer must be at least 1 \\(got 0\\)"):
        build_model("mlp", spec, {"units": 0})
    with pytest.raises(ConfigError, match="Activation: 'swish' is not one of relu, tanh, sigmoid"):
        build_model("mlp", spec, {"activation": "swish"})
    with pytest.raises(ConfigError, match="unknown setting 'filters'"):
        build_model("mlp", spec, {"filters": 8})
    with pytest.raises(ConfigError) as err:
        build_model("rnn", InputSpec(TEXT, (12,), 2, vocab_size=30), {"cell": "transistor", "layers": 9})
    assert len(err.value.problems) == 2
    with pytest.raises(ConfigError, match="Unknown architecture 'resnet'. Choose one of: mlp"):
        build_model("resnet", spec)


def test_knobs_change_the_model():
    spec = InputSpec(IMAGE, (8, 8, 1), 10)
    deeper = build_model("mlp", spec, {"hidden_layers": 3, "units": 10})
    assert [r["type"] for r in layer_table(deeper)].count("Dense") == 4
    # Dense(64->10) + 2 x Dense(10->10) + Dense(10->10 classes)
    assert deeper.count_params() == (64 * 10 + 10) + 2 * (10 * 10 + 10) + (10 * 10 + 10)
    assert build_model("rnn", InputSpec(TEXT, (12,), 2, vocab_size=30), {"cell": "gru", "bidirectional": True}).name == "bigru"


def test_layer_table_describes_each_layer():
    model = build_model("cnn", InputSpec(IMAGE, (28, 28, 1), 10))
    rows = layer_table(model)
    assert sum(r["parameters"] for r in rows) == model.count_params()
    assert rows[0] == {"layer": "inputs", "type": "InputLayer", "output shape": "(batch, 28, 28, 1)",
                       "parameters": 0}
    conv = next(r for r in rows if r["layer"] == "conv_1")
    assert conv["type"] == "Conv2D" and conv["parameters"] == 3 * 3 * 1 * 16 + 16
    assert conv["output shape"] == "(batch, 28, 28, 16)"
    assert rows[-1]["output shape"] == "(batch, 10)"


@pytest.mark.parametrize("kind", [TEXT, IMAGE])
def test_transformer_with_position_embedding_round_trips_through_safe_loading(kind, tmp_path):
    keras.utils.set_random_seed(0)
    spec, x, _ = tiny_problem(kind, n=32)
    model = build_model("transformer", spec, SMALL["transformer"])
    assert any(isinstance(layer, PositionEmbedding) for layer in model.layers)
    path = tmp_path / "t.keras"
    model.save(path)
    reloaded = keras.models.load_model(path, safe_mode=True)
    assert any(isinstance(layer, PositionEmbedding) for layer in reloaded.layers)
    # Same predictions: the learned position vectors were saved and restored, not re-initialised.
    np.testing.assert_allclose(model.predict_on_batch(x[:8]), reloaded.predict_on_batch(x[:8]), atol=1e-6)
    positions = next(layer for layer in reloaded.layers if isinstance(layer, PositionEmbedding)).positions
    original = next(layer for layer in model.layers if isinstance(layer, PositionEmbedding)).positions
    np.testing.assert_array_equal(np.asarray(positions), np.asarray(original))
