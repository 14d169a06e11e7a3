"""Uploads: a zip of class folders and a CSV of texts; every bad input gets a specific message."""
import functools
import io
import json
import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from core import paths
from core.data import DataError, dataset_title, load_dataset, resolve_dataset_params, uploads


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


def nothing_stored():
    return uploads.list_uploads() == [] and not any(paths.uploads_dir().iterdir())


GOOD = {f"{c}/{i}.png": image_bytes(c) for c in ("red", "green", "blue") for i in range(3)}


def test_good_zip_imports_and_loads():
    report = uploads.import_image_zip(make_zip(GOOD), title="colours", image_size=16)
    assert report.class_counts == {"blue": 3, "green": 3, "red": 3} and report.skipped == {}
    assert report.kind == "image" and report.dataset_key == f"upload:{report.upload_id}"
    data = load_dataset(report.dataset_key)
    assert data.kind == "image" and data.input_shape == (16, 16, 3) and data.x.dtype == np.uint8
    assert len(data.x) + len(data.x_test) == 9 and data.class_names == ["blue", "green", "red"]
    assert set(data.y_test) == {0, 1, 2}  # every class in the test set
    for label, channel in ((0, 2), (1, 1), (2, 0)):  # each image kept its own class's colour
        images = np.concatenate([data.x[data.y == label], data.x_test[data.y_test == label]])
        assert len(images) == 3 and (images[..., channel] > 100).all(), label
        assert (np.delete(images, channel, axis=-1) < 50).all(), label
    # Stored under a generated id, listed, with its metadata.
    folder = paths.uploads_dir() / report.upload_id
    assert (folder / "images.npy").exists() and (folder / "meta.json").exists()
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["class_names"] == ["blue", "green", "red"] and meta["image_size"] == 16
    assert [m["id"] for m in uploads.list_uploads()] == [report.upload_id]
    assert dataset_title(report.dataset_key) == "Upload: colours"


def test_jpeg_and_mixed_formats_and_nested_folders():
    files = {"cats/a.jpg": image_bytes("orange", (64, 48), "JPEG"),
             "cats/more/b.JPEG": image_bytes("orange", (30, 30), "JPEG"),
             "dogs/c.webp": image_bytes("brown", fmt="WEBP"), "dogs/d.bmp": image_bytes("brown", fmt="BMP"),
             "dogs/.DS_Store": b"junk", "notes.txt": b"top-level files belong to no class"}
    report = uploads.import_image_zip(make_zip(files), image_size=8)
    assert report.class_counts == {"cats": 2, "dogs": 2} and report.skipped == {}
    assert load_dataset(report.dataset_key).input_shape == (8, 8, 3)


def test_zip_wrapped_in_a_root_folder_and_junk_entries():
    files = {f"my data/{k}": v for k, v in GOOD.items()}
    files["my data/red/readme.txt"] = b"notes"
    files["my data/red/data.csv"] = b"a,b"
    files["my data/green/broken.png"] = b"\x89PNG not really"
    files["my data/blue/cut.jpg"] = image_bytes("blue", (64, 64), "JPEG")[:300]
    files["__MACOSX/my data/._red"] = b"junk"
    report = uploads.import_image_zip(make_zip(files))
    # The classes are the folders under the shared root, not the root itself.
    assert report.class_counts == {"blue": 3, "green": 3, "red": 3}
    assert report.skipped == {"not an image file": 2, "not a readable image": 1,
                              "corrupt or truncated image": 1}
    assert json.loads((paths.uploads_dir() / report.upload_id / "meta.json").read_text(encoding="utf-8"))["skipped"] \
        == report.skipped


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty (0 bytes)"),
    (b"plain text, certainly not a zip", "This is not a zip file"),
    (make_zip(GOOD)[:-40], "corrupt or truncated"),
    (make_zip(GOOD)[:len(make_zip(GOOD)) // 2], "corrupt or truncated"),
    (make_zip({"../evil.png": image_bytes(), **GOOD}), "'../evil.png' points outside its folder"),
    (make_zip({"red/../../evil.png": image_bytes(), **GOOD}), "points outside its folder"),
    (make_zip({"/etc/evil.png": image_bytes(), **GOOD}), "'/etc/evil.png' points outside its folder"),
    (make_zip({"C:/evil.png": image_bytes(), **GOOD}), "points outside its folder"),
    (make_zip({"red/1.png": image_bytes(), "red/2.png": image_bytes()}), "Only one class ('red')"),
    (make_zip({"red/1.png": image_bytes(), "blue/1.png": image_bytes(), "blue/2.png": image_bytes()}),
     "these have fewer: 'red' (1)"),
    (make_zip({"red/1.txt": b"a", "blue/1.txt": b"b"}), "No usable images found. Skipped: 2 not an image file"),
    (make_zip({"a.png": image_bytes()}), "No class folders found"),
    (make_zip({}), "The zip is empty"),
], ids=["empty", "not-zip", "truncated-end", "truncated-half", "dotdot", "inner-dotdot", "absolute",
        "drive-letter", "single-class", "one-image-class", "no-images", "no-folders", "empty-zip"])
def test_bad_zips(data, message):
    with pytest.raises(DataError) as err:
        uploads.import_image_zip(data)
    assert message in str(err.value)
    assert nothing_stored()


def test_a_path_traversal_entry_is_refused_even_when_nothing_would_read_it():
    # Windows-style separators are normalised before the check.
    with pytest.raises(DataError, match="points outside its folder"):
        uploads.import_image_zip(make_zip({"red\\..\\..\\evil.png": image_bytes(), **GOOD}))


def test_zip_bombs_are_refused(monkeypatch):
    bomb = make_zip({"a/zeros.png": b"\0" * (50 << 20), **GOOD})
    assert len(bomb) < 1 << 20  # 50 MB of zeros compress about 1000x
    with pytest.raises(DataError, match="'a/zeros.png' expands \\d+x when unzipped, which looks like a zip bomb"):
        uploads.import_image_zip(bomb)
    assert nothing_stored()
    expanded = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(make_zip(GOOD))).infolist())
    monkeypatch.setattr(uploads, "MAX_ZIP_UNCOMPRESSED", expanded - 1)
    with pytest.raises(DataError, match="expands to more than"):
        uploads.import_image_zip(make_zip(GOOD))
    monkeypatch.setattr(uploads, "MAX_ZIP_ENTRIES", 5)
    with pytest.raises(DataError, match="holds 9 entries; the limit is 5"):
        uploads.import_image_zip(make_zip(GOOD))
    assert nothing_stored()


def test_class_by_class_image_import():
    files = {" cats ": [("a.png", image_bytes("orange")), ("b.png", image_bytes("orange"))],
             "dogs": [("c.jpg", image_bytes("brown", fmt="JPEG")), ("d.png", image_bytes("brown")),
                      ("e.png", b"")],
             "  ": [("ignored.png", image_bytes())]}
    report = uploads.import_image_files(files, title="pets", image_size=24)
    assert report.class_counts == {"cats": 2, "dogs": 2} and report.skipped == {"empty file": 1}
    assert load_dataset(report.dataset_key).input_shape == (24, 24, 3)


def test_decode_image_handles_modes_rotation_and_gifs():
    assert uploads.decode_image(image_bytes((10, 20, 30, 0), mode="RGBA")).tolist()[0][0] == [255, 255, 255]
    half = uploads.decode_image(image_bytes((0, 0, 255, 128), mode="RGBA"))[0, 0]  # blended on white
    assert 120 < half[0] < 135 and half[2] == 255
    cmyk = uploads.decode_image(image_bytes((0, 255, 255, 0), mode="CMYK", fmt="JPEG"))  # CMYK red
    assert cmyk.shape == (20, 20, 3) and cmyk[0, 0, 0] > 200 and cmyk[0, 0, 1:].max() < 60
    grey = uploads.decode_image(image_bytes(128, mode="L"))
    assert grey.shape == (20, 20, 3) and (grey == 128).all()
    sixteen = io.BytesIO()
    Image.fromarray(np.arange(400, dtype=np.uint16).reshape(20, 20) * 100).save(sixteen, format="PNG")
    decoded = uploads.decode_image(sixteen.getvalue())
    assert decoded.shape == (20, 20, 3) and decoded.max() == 255 and decoded.min() == 0
    assert decoded[0, 0, 0] < decoded[10, 10, 0] < decoded[19, 19, 0]  # the gradient survives

    # EXIF orientation 6 ("rotate 90° clockwise to display"): 40 wide x 20 high becomes 20 x 40,
    # and the red left half ends up on top.
    picture = Image.new("RGB", (40, 20), "blue")
    picture.paste((255, 0, 0), (0, 0, 20, 20))
    rotated = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    picture.save(rotated, format="JPEG", exif=exif, quality=95)
    upright = uploads.decode_image(rotated.getvalue())
    assert upright.shape == (40, 20, 3)
    assert upright[5, 10, 0] > 200 and upright[35, 10, 2] > 200

    gif = io.BytesIO()
    frames = [Image.new("RGB", (10, 10), c) for c in ("red", "blue")]
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(gif.getvalue())).n_frames == 2
    first = uploads.decode_image(gif.getvalue())
    assert first[0, 0, 0] > 200 and first[0, 0, 2] < 50  # the first (red) frame
    assert uploads.decode_image(image_bytes(size=(300, 100)), size=32).shape == (32, 32, 3)


def test_decode_image_refuses_bad_data_and_bombs():
    for data, message in [(b"", "empty file: the image has 0 bytes"),
                          (b"%PDF-1.4 not an image", "not a readable image"),
                          (image_bytes(fmt="JPEG", size=(64, 64))[:300], "corrupt or truncated")]:
        with pytest.raises(DataError, match=message):
            uploads.decode_image(data)
    with pytest.raises(DataError, match="more than 1 megapixels, the limit"):
        uploads.decode_image(image_bytes(size=(2000, 1000)), max_pixels=1_000_000)
    assert uploads.decode_image(image_bytes(size=(1000, 1000)), max_pixels=1_000_000).shape == (1000, 1000, 3)


def test_decode_image_leaves_pillows_global_limit_alone():
    before = Image.MAX_IMAGE_PIXELS
    uploads.decode_image(image_bytes(size=(50, 50)), max_pixels=10_000)
    with pytest.raises(DataError):
        uploads.decode_image(image_bytes(size=(500, 500)), max_pixels=10_000)
    assert Image.MAX_IMAGE_PIXELS == before  # other code opening photos is not limited to 100x100
    Image.open(io.BytesIO(image_bytes(size=(500, 500)))).load()


def test_huge_photo_is_scaled_down_and_a_bomb_is_refused_with_the_limit(monkeypatch):
    buffer = io.BytesIO()
    Image.new("RGB", (10000, 10000), "navy").save(buffer, format="JPEG", quality=50)
    drafts = []  # JPEG's draft mode decodes at 1/2..1/8 scale: 100 megapixels never reach memory
    from PIL.JpegImagePlugin import JpegImageFile
    draft = JpegImageFile.draft
    monkeypatch.setattr(JpegImageFile, "draft", lambda image, *args: drafts.append(draft(image, *args)) or drafts[-1])
    decoded = uploads.decode_image(buffer.getvalue())
    assert max(decoded.shape[:2]) <= uploads.MAX_IMAGE_SIDE and decoded[0, 0, 2] > 100
    assert drafts and drafts[0] is not None and max(drafts[0][1][2:]) <= 10000 // 2, drafts
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, format="PNG")  # 400 megapixels in a few kB
    assert len(bomb.getvalue()) < 200_000
    with pytest.raises(DataError, match="more than 150 megapixels, the limit"):
        uploads.decode_image(bomb.getvalue())


def test_a_bomb_inside_a_zip_is_skipped_and_counted(monkeypatch):
    # The real decoder, with a limit of 100x100 pixels instead of 150 megapixels.
    monkeypatch.setattr(uploads, "decode_image", functools.partial(uploads.decode_image, max_pixels=10_000))
    files = {**GOOD, "red/huge.png": image_bytes("red", (200, 200))}
    report = uploads.import_image_zip(make_zip(files))
    assert report.class_counts == {"blue": 3, "green": 3, "red": 3}
    assert report.skipped == {"too large": 1}


def csv_bytes(rows, header="text,label") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_good_csv_imports():
    frame = uploads.read_csv_upload(csv_bytes([f"great thing {i},pos" for i in range(3)]
                                              + [f"awful thing {i},neg" for i in range(3)]
                                              + [",pos", "no label,  ", '"quoted, with a comma",neg']))
    assert uploads.guess_columns(frame) == ("text", "label")
    report = uploads.import_text_csv(frame, "text", "label", title="reviews")
    assert report.class_counts == {"neg": 4, "pos": 3} and report.skipped == {"empty text or label": 2}
    assert report.kind == "text"
    data = load_dataset(report.dataset_key)
    assert data.kind == "text" and data.class_names == ["neg", "pos"]
    texts = dict(zip(np.concatenate([data.x, data.x_test]), np.concatenate([data.y, data.y_test])))
    assert len(texts) == 7 and texts["quoted, with a comma"] == 0 and texts["great thing 1"] == 1


def test_csv_with_bom_and_non_ascii_text():
    data = "\ufefftext,label\n日本語の文,ja\nanother é text,fr\nmore 日本,ja\nencore,fr\n".encode("utf-8")
    frame = uploads.read_csv_upload(data)
    assert list(frame.columns) == ["text", "label"] and frame.text[0] == "日本語の文"


@pytest.mark.parametrize("data, message", [
    (b"", "The CSV file is empty"),
    (b"  \n \n", "The CSV file is empty"),
    (b"text\nhello\n", "at least two columns"),
    (b"text,label\n", "at least one data row"),
    (b"text,label\x00\x01\x02,\x00", "binary data"),
    (bytes(range(256)) * 8, "binary data"),
    (b'text,label\n"never closed,x\n', "could not be parsed"),
], ids=["empty", "blank", "one-column", "header-only", "binary", "binary-no-nul", "unparseable"])
def test_bad_csvs(data, message):
    with pytest.raises(DataError) as err:
        uploads.read_csv_upload(data)
    assert message in str(err.value)


@pytest.mark.parametrize("encoding, text", [
    ("cp1252", "Très bien, j'adore ce café"),
    ("latin-1", "café au lait"),
    ("gb18030", "我爱北京天安门，今天天气很好"),
    ("shift_jis", "これは日本語の文章です"),
    ("utf-16", "naïve façade"),
])
def test_csvs_in_other_encodings_are_read_and_say_how(encoding, text):
    data = f"text,label\n\"{text}\",x\n\"{text} encore\",y\n".encode(encoding)
    frame = uploads.read_csv_upload(data)
    assert frame.text[0] == text and frame.label.tolist() == ["x", "y"]
    assert frame.attrs["encoding"] != "utf-8"


def test_csv_label_problems():
    frame = pd.DataFrame({"text": ["a", "b", "c"], "label": ["x", "x", "y"]})
    with pytest.raises(DataError, match="Every class needs at least 2 rows; these have fewer: 'y' \\(1\\)"):
        uploads.import_text_csv(frame, "text", "label")
    with pytest.raises(DataError, match="Only one class \\('x'\\)"):
        uploads.import_text_csv(frame.assign(label="x"), "text", "label")
    with pytest.raises(DataError, match="no column named 'body'. Its columns are: text, label"):
        uploads.import_text_csv(frame, "body", "label")
    with pytest.raises(DataError, match="no column named 'body', 'stars'"):
        uploads.import_text_csv(frame, "body", "stars")
    with pytest.raises(DataError, match="Pick different columns"):
        uploads.import_text_csv(frame, "text", "text")
    assert nothing_stored()


def test_guess_columns_without_standard_names():
    frame = pd.DataFrame({"id": [str(i) for i in range(6)],
                          "stars": ["1", "5", "1", "5", "5", "1"],
                          "body": ["a long review of the product " * 3] * 6})
    assert uploads.guess_columns(frame) == ("body", "stars")
    named = pd.DataFrame({"Sentiment": ["pos", "neg"], "Review": ["short", "x"], "other": ["a b c d e f", "y"]})
    assert uploads.guess_columns(named) == ("Review", "Sentiment")  # names win over lengths


def test_missing_or_tampered_upload_ids_are_refused():
    report = uploads.import_image_zip(make_zip(GOOD))
    for bad in ("../../etc", "no-such-upload", ""):
        with pytest.raises(DataError, match="no longer exists. Upload it again"):
            load_dataset("upload:" + bad)
    shutil.rmtree(paths.uploads_dir() / report.upload_id)
    with pytest.raises(DataError, match="no longer exists"):
        load_dataset(report.dataset_key)
    assert dataset_title(report.dataset_key) == report.dataset_key
    values, problems = resolve_dataset_params("upload:x", {"n": 1})
    assert values == {} and "Uploaded datasets take no settings" in problems[0]
