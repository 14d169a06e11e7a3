"""Uploads: a zip of class folders and a CSV of texts; every bad input gets a specific message."""
import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from core.data import DataError, load_dataset, uploads


def image_bytes(color="red", size=(20, 20), fmt="PNG", mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def make_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


GOOD = {f"{c}/{i}.png": image_bytes(c) for c in ("red", "green", "blue") for i in range(3)}


def test_good_zip_imports_and_loads():
    report = uploads.import_image_zip(make_zip(GOOD), title="colours", image_size=16)
    assert report.class_counts == {"blue": 3, "green": 3, "red": 3} and report.skipped == {}
    data = load_dataset(report.dataset_key)
    assert data.kind == "image" and data.input_shape == (16, 16, 3)
    assert len(data.x) + len(data.x_test) == 9 and data.class_names == ["blue", "green", "red"]
    red = data.x[data.y == 2][0]
    assert red[..., 0].mean() > 200 and red[..., 2].mean() < 50


def test_zip_wrapped_in_a_root_folder_and_junk_entries():
    files = {f"my data/{k}": v for k, v in GOOD.items()}
    files["my data/red/readme.txt"] = b"notes"
    files["my data/green/broken.png"] = b"\x89PNG not really"
    files["__MACOSX/my data/._red"] = b"junk"
    report = uploads.import_image_zip(make_zip(files))
    assert set(report.class_counts) == {"red", "green", "blue"}
    assert report.skipped == {"not an image file": 1, "not a readable image": 1}


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty"),
    (b"plain text", "This is not a zip file"),
    (make_zip(GOOD)[:-40], "corrupt or truncated"),
    (make_zip({"../evil.png": image_bytes(), **GOOD}), "points outside its folder"),
    (make_zip({"/etc/evil.png": image_bytes(), **GOOD}), "points outside its folder"),
    (make_zip({"red/1.png": image_bytes(), "red/2.png": image_bytes()}), "Only one class ('red')"),
    (make_zip({"red/1.png": image_bytes(), "blue/1.png": image_bytes(), "blue/2.png": image_bytes()}),
     "these have fewer: 'red' (1)"),
    (make_zip({"a.png": image_bytes()}), "No class folders found"),
], ids=["empty", "not-zip", "truncated", "dotdot", "absolute", "single-class", "one-image-class", "no-folders"])
def test_bad_zips(data, message):
    with pytest.raises(DataError, match=None) as err:
        uploads.import_image_zip(data)
    assert message in str(err.value)
    assert uploads.list_uploads() == []


def test_zip_bombs_are_refused(monkeypatch):
    bomb = make_zip({"a/zeros.png": b"\0" * (50 << 20), **GOOD})
    assert len(bomb) < 1 << 20
    with pytest.raises(DataError, match="looks like a zip bomb"):
        uploads.import_image_zip(bomb)
    monkeypatch.setattr(uploads, "MAX_ZIP_UNCOMPRESSED", 200)
    with pytest.raises(DataError, match="expands to more than"):
        uploads.import_image_zip(make_zip(GOOD))


def test_decode_image_handles_modes_rotation_and_gifs():
    assert uploads.decode_image(image_bytes((10, 20, 30, 0), mode="RGBA")).tolist()[0][0] == [255, 255, 255]
    assert uploads.decode_image(image_bytes((0, 0, 0, 0), mode="CMYK", fmt="JPEG")).shape == (20, 20, 3)
    assert uploads.decode_image(image_bytes(128, mode="L")).shape == (20, 20, 3)
    sixteen = io.BytesIO()
    Image.fromarray(np.arange(400, dtype=np.uint16).reshape(20, 20) * 100).save(sixteen, format="PNG")
    decoded = uploads.decode_image(sixteen.getvalue())
    assert decoded.shape == (20, 20, 3) and decoded.max() == 255
    rotated = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    Image.new("RGB", (40, 20), "red").save(rotated, format="JPEG", exif=exif)
    assert uploads.decode_image(rotated.getvalue()).shape == (40, 20, 3)
    gif = io.BytesIO()
    frames = [Image.new("RGB", (10, 10), c) for c in ("red", "blue")]
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:])
    assert uploads.decode_image(gif.getvalue())[0, 0, 0] > 200  # the first (red) frame
    assert uploads.decode_image(image_bytes(size=(300, 100)), size=32).shape == (32, 32, 3)


def test_decode_image_refuses_bad_data_and_bombs():
    for data, message in [(b"", "0 bytes"), (b"%PDF-1.4 not an image", "not a readable image"),
                          (image_bytes(fmt="JPEG", size=(64, 64))[:300], "corrupt or truncated")]:
        with pytest.raises(DataError, match=message):
            uploads.decode_image(data)
    with pytest.raises(DataError, match="1 megapixels"):
        uploads.decode_image(image_bytes(size=(2000, 1000)), max_pixels=1_000_000)


def csv_bytes(rows, header="text,label") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_good_csv_imports():
    frame = uploads.read_csv_upload(csv_bytes([f"great thing {i},pos" for i in range(3)]
                                              + [f"awful thing {i},neg" for i in range(3)] + [",pos"]))
    assert uploads.guess_columns(frame) == ("text", "label")
    report = uploads.import_text_csv(frame, "text", "label", title="reviews")
    assert report.class_counts == {"neg": 3, "pos": 3} and report.skipped == {"empty text or label": 1}
    data = load_dataset(report.dataset_key)
    assert data.kind == "text" and len(data.x) + len(data.x_test) == 6


@pytest.mark.parametrize("data, message", [
    (b"", "The CSV file is empty"),
    ("text,label\ncafé,x\n".encode("latin-1"), "not UTF-8"),
    (b"text\nhello\n", "at least two columns"),
    (b"text,label\x00\x01\x02,\x00", "binary data"),
], ids=["empty", "latin-1", "one-column", "binary"])
def test_bad_csvs(data, message):
    with pytest.raises(DataError, match=message):
        uploads.read_csv_upload(data)


def test_csv_label_problems():
    frame = pd.DataFrame({"text": ["a", "b", "c"], "label": ["x", "x", "y"]})
    with pytest.raises(DataError, match="'y' \\(1\\)"):
        uploads.import_text_csv(frame, "text", "label")
    with pytest.raises(DataError, match="Only one class"):
        uploads.import_text_csv(frame.assign(label="x"), "text", "label")
    with pytest.raises(DataError, match="no column named 'body'. Its columns are: text, label"):
        uploads.import_text_csv(frame, "body", "label")


def test_huge_photo_is_scaled_down_and_a_bomb_is_refused_with_the_limit():
    import time
    buffer = io.BytesIO()
    Image.new("RGB", (10000, 10000), "navy").save(buffer, format="JPEG", quality=50)
    start = time.perf_counter()
    decoded = uploads.decode_image(buffer.getvalue())
    assert max(decoded.shape[:2]) <= uploads.MAX_IMAGE_SIDE and decoded[0, 0, 2] > 100
    assert time.perf_counter() - start < 10
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, format="PNG")  # 400 megapixels in a few kB
    assert len(bomb.getvalue()) < 200_000
    with pytest.raises(DataError, match="more than 150 megapixels, the limit"):
        uploads.decode_image(bomb.getvalue())
