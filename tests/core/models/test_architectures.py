"""Every architecture builds for every kind of data it claims, and learns a tiny problem."""
import keras
import numpy as np
import pytest

from core.data import IMAGE, TABULAR, TEXT
from core.models import ARCHITECTURES, InputSpec, build_model, layer_table
from core.params import ConfigError


def tiny_problem(kind: str, n: int = 120):
    """Three classes a model can learn in a few epochs, for each kind of input."""
    rng = np.random.default_rng(0)
    y = np.arange(n) % 3
    if kind == IMAGE:  # class = which third of the image holds a bright bar
        x = rng.integers(0, 40, (n, 8, 8, 1)).astype("float32")
        for i, label in enumerate(y):
            x[i, :, label * 3:label * 3 + 2, 0] = 255
        return InputSpec(IMAGE, (8, 8, 1), 3), x, y
    if kind == TABULAR:
        centres = np.array([[0, 0], [3, 3], [0, 3]], "float32")
        return InputSpec(TABULAR, (2,), 3), centres[y] + rng.normal(0, 0.5, (n, 2)).astype("float32"), y
    x = rng.integers(5, 30, (n, 12))  # token ids; the class's own token appears somewhere
    x[np.arange(n), rng.integers(0, 12, n)] = 2 + y
    return InputSpec(TEXT, (12,), 3, vocab_size=30), x, y


CASES = [(key, kind) for key, spec in ARCHITECTURES.items() for kind in sorted(spec.supports)
         if key != "efficientnet_transfer"]


@pytest.mark.parametrize("key, kind", CASES, ids=[f"{k}-{d}" for k, d in CASES])
def test_builds_and_loss_falls(key, kind):
    keras.utils.set_random_seed(0)
    spec, x, y = tiny_problem(kind)
    model = build_model(key, spec, {"units": 32} if "units" in ARCHITECTURES[key].params else {})
    assert model.output_shape == (None, 3)
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < 0.7 * history[0], history


def test_unsupported_data_and_bad_knobs_are_refused_with_a_reason():
    with pytest.raises(ConfigError, match="cannot read tabular data"):
        build_model("cnn", InputSpec(TABULAR, (2,), 2))
    with pytest.raises(ConfigError, match="Units per layer must be at least 1"):
        build_model("mlp", InputSpec(TABULAR, (2,), 2), {"units": 0})
    with pytest.raises(ConfigError, match="Unknown architecture 'resnet'"):
        build_model("resnet", InputSpec(TABULAR, (2,), 2))


def test_layer_table_counts_every_parameter():
    model = build_model("cnn", InputSpec(IMAGE, (28, 28, 1), 10))
    rows = layer_table(model)
    assert sum(r["parameters"] for r in rows) == model.count_params()
    assert rows[0]["output shape"] == "(batch, 28, 28, 1)"
    assert {"Conv2D", "MaxPooling2D", "Dense"} <= {r["type"] for r in rows}


def test_transformer_with_custom_layer_round_trips_through_safe_loading(tmp_path):
    spec, x, _ = tiny_problem(TEXT)
    model = build_model("transformer", spec, {"blocks": 1})
    path = tmp_path / "t.keras"
    model.save(path)
    reloaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(model.predict_on_batch(x[:4]), reloaded.predict_on_batch(x[:4]), atol=1e-6)
