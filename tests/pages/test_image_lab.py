"""The Image Lab through AppTest: examples, uploads (good and bad), Grad-CAM, teaching classes."""
import io

import numpy as np
import pytest
from PIL import Image

from tests.pages.conftest import open_page, texts, wait_for_run


@pytest.fixture
def at(pretrained_cache):
    return open_page("pages/image_lab.py")


def _jpeg(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG")
    return buffer.getvalue()


def _wav() -> bytes:
    import wave
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(b"\0\1" * 8000)
    return buffer.getvalue()


def _bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_example_photo_is_recognised_with_heatmap(at):
    assert not at.exception
    at.button(key="example-Chelsea the cat").click().run()
    assert not at.exception
    heading = "\n".join(m.value for m in at.markdown)
    assert "It sees:" in heading
    top = at.session_state["prediction"].top
    assert any(word in label.lower() for label, _ in top for word in ("cat", "tabby", "mau"))
    assert len(at.get("imgs")) >= 1 or len(at.get("image")) >= 1  # the photo and the Grad-CAM overlay


def answer(at) -> str:
    """The class named by "It sees: **espresso** (90%)" or "It sees: **Not sure** · best guess “x” (31%)"."""
    line = next(m.value for m in at.markdown if "It sees" in m.value)
    return line.split("“")[1].split("”")[0] if "**Not sure**" in line else line.split("**")[1]


def explained(at) -> tuple[str, str]:
    """(the class chosen for Grad-CAM, the class its caption names)."""
    box = next(b for b in at.selectbox if b.label == "For the class")
    caption = next(img.caption for element in at.get("image") for img in element.proto.imgs
                   if "made the model say" in img.caption)
    return box.value, caption.split("made the model say \u201c")[1].split("\u201d")[0]


def test_the_heatmap_follows_a_new_photo_to_its_own_answer(at):
    """Issue 14 item 2: a Grad-CAM class picked for one photo must not survive into the next."""
    at.button(key="example-Chelsea the cat").click().run()
    first = answer(at)
    assert explained(at) == (first, first)
    box = next(b for b in at.selectbox if b.label == "For the class")
    box.set_value(box.options[1]).run()
    assert explained(at) == (box.options[1], box.options[1])
    at.button(key="example-A cup of coffee").click().run()
    assert not at.exception
    assert answer(at) != first and explained(at) == (answer(at), answer(at))
    assert "not calibrated: no held-out ImageNet photos" in texts(at.caption)


def test_uploaded_photo_is_recognised(at):
    from skimage import data as skdata
    at.file_uploader(key="photo_upload").set_value(("coffee.jpg", _jpeg(skdata.coffee()), "image/jpeg")).run()
    assert not at.exception
    labels = [label.lower() for label, _ in at.session_state["prediction"].top]
    assert any("espresso" in label or "cup" in label for label in labels), labels


@pytest.mark.parametrize("name, data, message", [
    ("empty.jpg", b"", "0 bytes"),
    ("notes.jpg", b"hello, this is text", "not a readable image"),
    ("cut.jpg", _jpeg(np.full((64, 64, 3), 120, np.uint8))[:200], "corrupt or truncated"),
    ("song.jpg", _wav(), "not a readable image"),
    ("bomb.png", _bomb(), "more than 150 megapixels, the limit"),
], ids=["zero-bytes", "text-as-jpg", "truncated", "audio-as-jpg", "decompression-bomb"])
def test_bad_photos_get_a_message_and_page_keeps_working(at, name, data, message):
    at.file_uploader(key="photo_upload").set_value((name, data, "image/jpeg")).run()
    assert not at.exception
    assert message in texts(at.error)
    at.button(key="example-A cup of coffee").click().run()  # still usable afterwards
    assert not at.exception
    assert "It sees:" in "\n".join(m.value for m in at.markdown)


def test_huge_photo_and_animated_gif_work(at):
    huge = io.BytesIO()
    Image.new("RGB", (10000, 10000), (90, 60, 30)).save(huge, format="JPEG", quality=40)
    at.file_uploader(key="photo_upload").set_value(("huge.jpg", huge.getvalue(), "image/jpeg")).run()
    assert not at.exception and not at.error
    assert "It sees:" in "\n".join(m.value for m in at.markdown)
    gif = io.BytesIO()
    frames = [Image.new("RGB", (64, 64), c) for c in ("red", "blue", "green")]
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:])
    at.file_uploader(key="photo_upload").set_value(("moving.gif", gif.getvalue(), "image/gif")).run()
    assert not at.exception and not at.error
    assert at.session_state["photo"][0] == "moving.gif"


def test_teach_classes_then_use_the_new_model(at):
    at.button(key="teach_sample").click().run()
    assert "Ready: **Sample shapes**" in texts(at.success)
    at.number_input(key="teach_epochs").set_value(5)
    at.button(key="teach_launch").click().run()
    run = wait_for_run(at.session_state["teach_run"], timeout=240)
    assert run.status == "completed" and run.results["test_accuracy"] >= 0.9
    at.run()
    at.button(key="use_taught").click().run()
    assert at.selectbox(key="image_model").value == f"run:{run.id}"
    at.button(key="example-Chelsea the cat").click().run()
    assert not at.exception
    assert {label for label, _ in at.session_state["prediction"].top} == {"circle", "square", "triangle"}
    # A cat is none of the three shapes: the page says so instead of "circle (100 %)".
    assert not at.session_state["prediction"].novelty.familiar
    assert "**None of these**" in texts(at.markdown) and "the limit" in texts(at.caption)


def test_class_by_class_needs_two_photos_per_class(at):
    at.text_input(key="teach_class_name").set_value("mugs").run()
    at.button(key="teach_add").click().run()
    assert "Add at least one photo" in texts(at.error)
    at.session_state["teach_classes"] = {"mugs": [("a.jpg", _jpeg(np.zeros((8, 8, 3), np.uint8)))],
                                         "cups": [("b.jpg", _jpeg(np.ones((8, 8, 3), np.uint8)))] * 2}
    at.run()
    at.button(key="teach_use").click().run()
    assert not at.exception
    assert "'mugs' (1)" in texts(at.error)


def _keras_file(tmp_path, lambda_layer: bool = False) -> bytes:
    import keras
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    if lambda_layer:
        x = keras.layers.Lambda(lambda t: t * 2)(x)
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3, activation="relu")(x))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    path = tmp_path / ("lambda.keras" if lambda_layer else "shapes.keras")
    model.save(path)
    return path.read_bytes()


def test_import_your_own_keras_model_and_use_it(at, tmp_path):
    at.button(key="example-Chelsea the cat").click().run()
    at.file_uploader(key="import-model-image").set_value(("shapes.keras", _keras_file(tmp_path), "application/octet-stream"))
    at.file_uploader(key="import-labels-image").set_value(("labels.txt", b"circle\nsquare\ntriangle\n", "text/plain"))
    at.button[[b.label for b in at.button].index("Import and use it")].click().run()
    assert not at.exception
    assert "Imported **shapes**: 3 classes" in texts(at.success)
    assert at.selectbox(key="image_model").value.startswith("imported:")
    assert {label for label, _ in at.session_state["prediction"].top} == {"circle", "square", "triangle"}


@pytest.mark.parametrize("name, message", [
    ("lambda.keras", "has a Lambda layer"),
    ("model.h5", "legacy HDF5 model"),
    ("broken.keras", "not a usable Keras model file"),
])
def test_a_dangerous_or_broken_model_is_refused_and_the_lab_keeps_working(at, tmp_path, name, message):
    data = {"lambda.keras": lambda: _keras_file(tmp_path, lambda_layer=True), "model.h5": lambda: b"\x89HDF\r\n\x1a\n" + bytes(100),
            "broken.keras": lambda: b"PK\x03\x04 cut short"}[name]()
    at.file_uploader(key="import-model-image").set_value((name, data, "application/octet-stream"))
    at.button[[b.label for b in at.button].index("Import and use it")].click().run()
    assert not at.exception
    assert message in texts(at.error)
    at.button(key="example-Chelsea the cat").click().run()
    assert not at.exception and at.session_state["prediction"].top
