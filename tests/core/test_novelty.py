"""“None of these”: Mahalanobis distance to the nearest class, its limit fitted on held-out examples."""
import numpy as np
import pytest

from core import novelty


def clouds(rng, n_per_class: int, centres: np.ndarray, spread: np.ndarray):
    """Gaussian clouds around `centres` with one shared, elongated spread."""
    labels = np.repeat(np.arange(len(centres)), n_per_class)
    return centres[labels] + rng.standard_normal((len(labels), centres.shape[1])) * spread, labels


@pytest.fixture
def fitted():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 8)) * 6
    spread = np.array([4.0, 4.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])  # wide in two directions, narrow in six
    x, y = clouds(rng, 200, centres, spread)
    held, _ = clouds(rng, 40, centres, spread)
    return novelty.fit(x, y, held, "120 held-out points"), centres, spread, rng


def test_examples_of_the_taught_classes_are_familiar_and_far_points_are_not(fitted):
    check, centres, spread, rng = fitted
    new, labels = clouds(rng, 300, centres, spread)
    verdicts = [check.judge(point) for point in new]
    assert np.mean([v.familiar for v in verdicts]) >= 0.97  # about KEEP of them, as fitted
    assert np.mean([v.nearest == label for v, label in zip(verdicts, labels)]) >= 0.95
    far = centres[0] + np.array([0, 0, 6, 0, 0, 0, 0, 0.0])  # 12 narrow spreads off: far, though near in metres
    assert not check.judge(far).familiar and check.judge(far).times_limit > 2
    along = centres[0] + np.array([6, 0, 0, 0, 0, 0, 0, 0.0])  # as far, but along a wide direction
    assert check.judge(along).familiar  # Euclidean distance would not tell these two apart


def test_the_distance_is_mahalanobis_under_the_shrunk_shared_covariance():
    from scipy.spatial.distance import mahalanobis
    from sklearn.covariance import LedoitWolf
    rng = np.random.default_rng(0)
    train, labels = clouds(rng, 200, rng.standard_normal((3, 8)) * 6, np.linspace(0.5, 4, 8))
    check = novelty.fit(train, labels, train[:50], "50 points")
    means = np.stack([train[labels == c].mean(0) for c in range(3)])
    precision = np.linalg.inv(LedoitWolf().fit(train - means[labels]).covariance_)
    points = rng.standard_normal((4, 8)) * 5
    expected = [[mahalanobis(point, mean, precision) for mean in means] for point in points]
    np.testing.assert_allclose(check.distances(points), expected, rtol=1e-4)


def test_a_saved_check_loads_and_judges_the_same(fitted, tmp_path):
    check, centres, _, _ = fitted
    check.save(tmp_path / novelty.FILE)
    loaded = novelty.load(tmp_path / novelty.FILE)
    assert loaded.source == "120 held-out points" and loaded.limit == pytest.approx(check.limit)
    point = centres[1] + 3
    assert loaded.judge(point) == check.judge(point)
    assert novelty.load(tmp_path / "missing.npz") is None
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    assert novelty.load(tmp_path / "broken.npz") is None


def test_a_class_missing_from_the_training_sample_is_nobodys_nearest():
    rng = np.random.default_rng(1)
    x, y = clouds(rng, 50, np.array([[0.0, 0], [10, 0], [0, 10]]), np.ones(2))
    keep = y != 1
    check = novelty.fit(x[keep], y[keep], x[keep][::5], "held-out points")
    assert list(check.classes) == [0, 2] and check.judge(np.array([0.0, 10])).nearest == 2


def test_the_reader_gives_the_features_the_last_layer_reads():
    import keras
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(4, activation="relu", name="hidden")(inputs)
    dropped = keras.layers.Dropout(0.5)(hidden)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(dropped))
    x = np.random.default_rng(0).standard_normal((5, 6)).astype("float32")
    features, probabilities = novelty.feature_reader(model).predict_on_batch(x)
    np.testing.assert_allclose(features, model.get_layer("hidden")(x), rtol=1e-5)
    np.testing.assert_allclose(probabilities, model.predict_on_batch(x), rtol=1e-5)

    # A nested head (transfer learning: dropout + softmax) reads what the layer before it gives.
    head_in = keras.Input((4,))
    head = keras.Model(head_in, keras.layers.Dense(3, activation="softmax")(keras.layers.Dropout(0.2)(head_in)))
    outer = keras.Model(inputs, head(keras.layers.Dense(4, name="backbone")(inputs)))
    features, _ = novelty.feature_reader(outer).predict_on_batch(x)
    np.testing.assert_allclose(features, outer.get_layer("backbone")(x), rtol=1e-5)


def test_too_few_held_out_examples_give_no_check():
    import keras
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))
    x = np.zeros((10, 2), "float32")
    assert novelty.measure(model, (x, np.arange(10) % 2), [x[:1], x[:1]], "points") is None
    assert novelty.measure(model, (x, np.arange(10) % 2), [None, x[:0]], "points") is None
    check = novelty.measure(model, (x + np.arange(10)[:, None] % 2, np.arange(10) % 2), [None, x[:2], x[:1]], "points")
    assert check.source == "3 held-out points"  # the validation and the test examples together
    assert np.isfinite(check.limit)  # held-out points on the class means themselves: no log(0)
