"""Image uploads stay on disk (#8): decoded straight into images.npy, loaded as read-only memmaps,
read a few rows at a time; uploads stored before (images.npz) still load."""
import io
import tracemalloc
import zipfile

import numpy as np
import pytest
from PIL import Image

from core import paths
from core.data import IMAGE, load_dataset, uploads
from core.data.dataset import Rows, holdout_split


def noise_zip(per_class: int, size: int, classes=("a", "b", "c", "d"), seed=0) -> tuple[bytes, list, list]:
    """A zip of PNG noise images per class folder, and the images and labels in zip order."""
    rng = np.random.default_rng(seed)
    buffer, images, labels = io.BytesIO(), [], []
    with zipfile.ZipFile(buffer, "w") as archive:
        for label, name in enumerate(classes):
            for i in range(per_class):
                image = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
                png = io.BytesIO()
                Image.fromarray(image).save(png, format="PNG")
                archive.writestr(f"{name}/{i}.png", png.getvalue())
                images.append(image)
                labels.append(label)
    return buffer.getvalue(), images, labels


def test_import_writes_images_npy_without_holding_the_decoded_set():
    data, images, labels = noise_zip(per_class=75, size=96)
    decoded_bytes = len(images) * 96 * 96 * 3  # 8.3 MB (the old importer's list + np.stack: twice that)
    tracemalloc.start()
    try:
        report = uploads.import_image_zip(data, image_size=96)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < decoded_bytes / 8, f"the import allocated {peak / 2**20:.1f} MB at its peak"
    folder = paths.uploads_dir() / report.upload_id
    assert sorted(p.name for p in folder.iterdir()) == ["images.npy", "labels.npy", "meta.json"]
    # Stored in split order: the same training pool and test set as holdout_split on the whole set.
    x, y, x_test, y_test = holdout_split(np.stack(images), np.array(labels))
    loaded = load_dataset(report.dataset_key)
    for got, expected in ((loaded.x, x), (loaded.y, y), (loaded.x_test, x_test), (loaded.y_test, y_test)):
        np.testing.assert_array_equal(got, expected)


def test_load_returns_read_only_memmaps():
    data, _, _ = noise_zip(per_class=10, size=16)
    loaded = load_dataset(uploads.import_image_zip(data, image_size=16).dataset_key)
    for part in (loaded.x, loaded.x_test):
        assert isinstance(part, np.memmap) and not part.flags.writeable and part.dtype == np.uint8
    assert loaded.input_shape == (16, 16, 3) and len(loaded.x) + len(loaded.x_test) == 40
    with pytest.raises(ValueError):
        loaded.x[0, 0, 0, 0] = 1


def test_an_upload_stored_before_as_images_npz_still_loads():
    x = np.random.default_rng(0).integers(0, 256, (12, 8, 8, 3), dtype=np.uint8)
    y = np.repeat(np.arange(3), 4)
    # What the importer wrote before images.npy: one compressed images.npz with x and y.
    report = uploads._store_arrays(IMAGE, "images.npz", x, y, "old", ["a", "b", "c"],
                                   {"a": 4, "b": 4, "c": 4}, {}, image_size=8)
    assert (paths.uploads_dir() / report.upload_id / "images.npz").exists()
    loaded = load_dataset(report.dataset_key)
    expected = holdout_split(x, y)
    assert not isinstance(loaded.x, np.memmap) and loaded.class_names == ["a", "b", "c"]
    for got, want in zip((loaded.x, loaded.y, loaded.x_test, loaded.y_test), expected):
        np.testing.assert_array_equal(got, want)


def test_rows_read_only_what_is_indexed_cast_and_transformed():
    base = np.arange(5 * 2 * 2 * 1, dtype=np.uint8).reshape(5, 2, 2, 1)
    rows = Rows(base, [4, 0, 2], np.float32)
    assert len(rows) == 3 and rows.shape == (3, 2, 2, 1) and rows.dtype == np.float32 and rows.ndim == 4
    np.testing.assert_array_equal(rows[0], base[4])
    np.testing.assert_array_equal(rows[1:], base[[0, 2]])
    np.testing.assert_array_equal(rows[np.array([2, 0, 2])], base[[2, 4, 2]])  # any order, repeats
    assert rows[:].dtype == np.float32 and np.asarray(rows).shape == (3, 2, 2, 1)
    picked = rows.take(np.array([2, 1]))  # lazy: nothing read
    assert isinstance(picked, Rows) and list(picked.index) == [2, 0]
    doubled = Rows(base, None, np.float32, transform=lambda batch: np.repeat(batch, 2, axis=1) * 2)
    assert doubled.shape == (5, 4, 2, 1) and doubled.dtype == np.float32
    np.testing.assert_array_equal(doubled[3], np.repeat(base[3], 2, axis=0) * 2)


def test_reading_rows_of_a_memmap_does_not_keep_its_pages_resident(tmp_path):
    import psutil
    path = tmp_path / "images.npy"
    with open(path, "wb") as out:  # 128 MB of images, written without holding them
        np.lib.format.write_array_header_1_0(out, {"descr": "|u1", "fortran_order": False,
                                                   "shape": (2048, 128, 128, 4)})
        for _ in range(64):
            out.write(np.random.default_rng(0).integers(0, 256, 2 << 20, dtype=np.uint8).tobytes())
    rows = Rows(np.load(path, mmap_mode="r"), dtype=np.float32)
    process = psutil.Process()
    before = process.memory_info().rss
    total = sum(float(rows[start:start + 64][:, 0, 0, 0].sum()) for start in range(0, len(rows), 64))
    grown = process.memory_info().rss - before
    assert total > 0 and grown < 32 * 2**20, f"RSS grew by {grown / 2**20:.0f} MB reading 128 MB"
