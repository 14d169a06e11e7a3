"""Bad input, everywhere (#8 part 5): every upload widget of every page gets the same corpus of bad
files through AppTest, and must answer with a specific message, never an exception, and stay usable.

One table (WIDGETS) says how to reach each widget and how to see that its page still works; one
corpus (CASES) makes the bad files, in the widget's own format where that matters (a truncated
PNG for a photo widget, a truncated zip for a zip widget); one table of expectations (EXPECTED)
says, per kind of widget and kind of bad file, what the page must say:

    error    st.error with the phrase: the file was refused, nothing was imported;
    warning  st.warning with the phrase: the bad file was left out of an import that went ahead
             (a bad photo among good ones, added class by class or inside a zip);
    note     no error, the phrase in the page: the file is fine and the page says how it was read
             (a CSV or .txt in Windows-1252 or Shift-JIS: "any common encoding" is promised).

"Oversized" files are over the widget's stated limit, made small by patching the limits table
(pages.common.UPLOAD_LIMITS_MB) down to 1 MB instead of allocating hundreds of MB.
"""
from __future__ import annotations

import functools
import io
import json
import wave
import zipfile
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from PIL import Image

from tests.pages.conftest import open_page, texts

# -- good files: the raw material --------------------------------------------------------------------


def png(color=(200, 40, 40), size=48) -> bytes:
    buffer = io.BytesIO()
    image = np.zeros((size, size, 3), np.uint8) + np.array(color, np.uint8)
    image[size // 4: size // 2, size // 4: size // 2] = 255 - image[0, 0]
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def wav(seconds=0.6, freq=500.0) -> bytes:
    t = np.arange(int(seconds * 16000)) / 16000
    samples = (0.4 * np.sin(2 * np.pi * freq * t) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(samples.tobytes())
    return buffer.getvalue()


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def photo_folders() -> dict[str, bytes]:
    return {f"{label}/{i}.png": png(color, 32 + 4 * i) for label, color in (("red", (200, 40, 40)),
                                                                          ("blue", (40, 40, 200))) for i in range(3)}


def sound_folders() -> dict[str, bytes]:
    return {f"{label}/{i}.wav": wav(0.5 + 0.1 * i, freq) for label, freq in (("low", 300.0), ("high", 2500.0))
            for i in range(3)}


CSV = ("text,label\n"
       '"I love this phone, the camera is superb",positive\n'
       '"Terrible battery, it died in a day",negative\n'
       '"Great value, would buy again",positive\n'
       '"Awful service and a broken box",negative\n').encode()
CP1252_CSV = 'text,label\nCafé très agréable,positive\n"Naïve façade, déçu",negative\nSoirée réussie,positive\nAccueil glacé,negative\n'
PAIRS_CSV = ("prompt,response\n" + "".join(f'"Which team handles ticket {i}, a double charge?",billing\n'
                                           for i in range(6))).encode()
CP1252_PAIRS = "prompt,response\n" + "Un café très agréable: quelle équipe?,facturation\n" * 6
SJIS_PAIRS = "prompt,response\n" + "この電話はとても良いです: どの部署?,請求\n" * 6
SJIS_CSV = "text,label\nこの電話はとても良いです,positive\n電池がすぐに切れました,negative\n最高の買い物でした,positive\n二度と買いません,negative\n"


def keras_like(config: dict | None = None, **extra: bytes) -> bytes:
    """A file shaped like what model.save('model.keras') writes, with the config given."""
    config = config or {"module": "keras", "class_name": "Sequential", "registered_name": None,
                        "config": {"name": "sequential", "trainable": True, "layers": [
                            {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                             "config": {"batch_shape": [None, 16, 16, 3], "name": "input"}},
                            {"module": "keras.layers", "class_name": "Flatten", "registered_name": None,
                             "config": {"name": "flatten", "trainable": True}},
                            {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
                             "config": {"name": "dense", "trainable": True, "units": 3, "activation": "softmax"}}]}}
    return zipped({"config.json": json.dumps(config).encode(),
                   "metadata.json": b'{"keras_version": "3.15.1", "date_saved": "2026-01-01@00:00:00"}',
                   "model.weights.h5": b"\x89HDF\r\n\x1a\n" + bytes(200), **extra})


def lambda_config() -> dict:
    """A Lambda layer: Keras stores its function as Python bytecode (base64 of marshal data)."""
    return {"module": "keras", "class_name": "Sequential", "registered_name": None,
            "config": {"name": "innocent", "trainable": True, "layers": [
                {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                 "config": {"batch_shape": [None, 16, 16, 3], "name": "input"}},
                {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
                 "config": {"name": "payload", "trainable": True,
                            "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA"}}}}]}}


def os_system_config() -> dict:
    """An activation that names os.system: a loader that imported it would run a shell command."""
    config = json.loads(zipfile.ZipFile(io.BytesIO(keras_like())).read("config.json"))
    config["config"]["layers"][2]["config"]["activation"] = {
        "module": "os", "class_name": "function", "config": "system", "registered_name": "system"}
    return config


def bundle_like() -> bytes:
    return zipped({"manifest.json": json.dumps({"format": "model-studio-bundle", "version": 1, "runs": {}}).encode(),
                   "runs/20260101-000000-abcdef/run.json": b"{}"})


@functools.cache
def bomb_png() -> bytes:
    """20000x20000 pixels (400 megapixels) in a few kB: a decompression bomb."""
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG")
    return buffer.getvalue()


@functools.cache
def zeros_entry() -> bytes:
    return bytes(50 << 20)  # 50 MB of zeros: deflates about 1000x


def padded(head: bytes, size: int = 3 << 19) -> bytes:
    """A file of `size` bytes (1.5 MB: over a limit patched to 1 MB) that starts like a real one."""
    return head + bytes(size - len(head))


def truncated(data: bytes) -> bytes:
    return data[:len(data) // 2]


# -- the corpus: (file name, bytes) per kind of bad file, in the widget's format -----------------------

FORMATS = {"photo": ".png", "clip": ".wav", "images zip": ".zip", "sounds zip": ".zip", "text": ".txt",
           "csv": ".csv", "keras": ".keras", "labels": ".txt", "prep": ".json", "bundle": ".zip", "pairs": ".csv"}


def good(fmt: str) -> bytes:
    return {"photo": png, "clip": wav, "images zip": lambda: zipped(photo_folders()),
            "sounds zip": lambda: zipped(sound_folders()), "text": lambda: b"A short note about a phone.",
            "csv": lambda: CSV, "keras": keras_like, "labels": lambda: b"circle\nsquare\ntriangle\n",
            "prep": lambda: b'{"pixels": "0-255"}', "bundle": bundle_like, "pairs": lambda: PAIRS_CSV}[fmt]()


CASES: dict[str, Callable[[str], tuple[str, bytes]]] = {
    "zero-bytes": lambda fmt: ("empty" + FORMATS[fmt], b""),
    "truncated": lambda fmt: ("cut" + FORMATS[fmt], truncated(good(fmt)) if fmt != "csv"
                              else CSV[:CSV.index(b"superb") + 3]),  # a CSV cut inside a quoted text
    "wrong-type": lambda fmt: ("wrong" + FORMATS[fmt], {
        "photo": wav, "clip": png, "images zip": png, "sounds zip": png, "text": png, "labels": png, "prep": png,
        "csv": lambda: zipped({"a.csv": CSV}), "keras": lambda: b"this is a note, not a model\n" * 20,
        "pairs": lambda: zipped({"a.csv": PAIRS_CSV}),
        "bundle": lambda: zipped(photo_folders())}[fmt]()),
    "oversized": lambda fmt: ("big" + FORMATS[fmt], padded(good(fmt)[:64])),
    "decompression-bomb": lambda fmt: ("bomb" + FORMATS[fmt], bomb_png() if fmt == "photo" else
                                       zipped({"red/bomb.png": bomb_png(), "blue/bomb.png": bomb_png()})),
    "bomb-among-good": lambda fmt: ("mixed.zip", zipped({**photo_folders(), "red/bomb.png": bomb_png()})),
    "bad-clip-among-good": lambda fmt: ("mixed.zip", zipped({**sound_folders(), "low/photo.wav": png()})),
    "zip-slip": lambda fmt: ("slip" + FORMATS[fmt], keras_like(**{"../../evil.py": b"import os"}) if fmt == "keras"
                             else zipped({**(photo_folders() if fmt != "bundle" else {}), "../../evil.png": png()})),
    "zip-bomb": lambda fmt: ("zipbomb" + FORMATS[fmt], keras_like(**{"assets/zeros.bin": zeros_entry()})
                             if fmt == "keras" else zipped({**photo_folders(), "red/zeros.png": zeros_entry()})),
    "cp1252": lambda fmt: ("windows" + FORMATS[fmt], (CP1252_CSV if fmt == "csv" else CP1252_PAIRS if fmt == "pairs"
                                                      else "Un café très agréable, déçu par la façade.").encode("cp1252")),
    "shift-jis": lambda fmt: ("japanese" + FORMATS[fmt], (SJIS_CSV if fmt == "csv" else SJIS_PAIRS if fmt == "pairs"
                                                          else "この電話はとても良いです。電池も長持ちします。").encode("shift_jis")),
    "random-bytes": lambda fmt: ("noise" + FORMATS[fmt], np.random.default_rng(0).bytes(4096)),
    "lambda-layer": lambda fmt: ("innocent.keras", keras_like(lambda_config())),
    "os-system": lambda fmt: ("activation.keras", keras_like(os_system_config())),
    "wrong-columns": lambda fmt: ("texts.csv", CSV),   # a CSV of texts and labels, not of prompts and answers
}

# (kind of widget, kind of bad file) -> (how the page answers, a phrase its message must hold)
EXPECTED: dict[str, dict[str, tuple[str, str]]] = {
    "photo": {
        "zero-bytes": ("error", "0 bytes"),
        "truncated": ("error", "corrupt or truncated image"),
        "wrong-type": ("error", "not a readable image"),
        "oversized": ("error", "the limit here is 1 MB"),
        "decompression-bomb": ("error", "decompression bomb"),
    },
    "clip": {
        "zero-bytes": ("error", "empty (0 bytes)"),
        "truncated": ("note", "cut short"),
        "wrong-type": ("error", "is a PNG image, not audio"),
        "oversized": ("error", "the limit here is 1 MB"),
    },
    "images zip": {
        "zero-bytes": ("error", "empty (0 bytes)"),
        "truncated": ("error", "corrupt or truncated"),
        "wrong-type": ("error", "not a zip file"),
        "oversized": ("error", "the limit here is 1 MB"),
        "decompression-bomb": ("error", "too large"),
        "bomb-among-good": ("warning", "1 too large"),
        "zip-slip": ("error", "points outside its folder"),
        "zip-bomb": ("error", "looks like a zip bomb"),
    },
    "sounds zip": {
        "zero-bytes": ("error", "empty (0 bytes)"),
        "truncated": ("error", "corrupt or truncated"),
        "wrong-type": ("error", "not a zip file"),
        "oversized": ("error", "the limit here is 1 MB"),
        "bad-clip-among-good": ("warning", "1 unreadable or unusable clip"),
        "zip-slip": ("error", "points outside its folder"),
        "zip-bomb": ("error", "looks like a zip bomb"),
    },
    "text": {
        "zero-bytes": ("error", "empty (0 bytes)"),
        "wrong-type": ("error", "binary data"),
        "oversized": ("error", "the limit here is 1 MB"),
        "cp1252": ("note", "read as cp1252"),
        "shift-jis": ("note", "read as cp932"),
        "random-bytes": ("error", "binary data"),
    },
    "csv": {
        "zero-bytes": ("error", "The CSV file is empty"),
        "truncated": ("error", "EOF inside string"),
        "wrong-type": ("error", "binary data"),
        "oversized": ("error", "the limit here is 1 MB"),
        "cp1252": ("note", "read as cp1252"),
        "shift-jis": ("note", "read as cp932"),
        "random-bytes": ("error", "binary data"),
    },
    "pairs": {  # prompt/response pairs that teach the language model (core/llm/tasks.py: read_pairs)
        "zero-bytes": ("error", "is empty. It needs one prompt and its response per row"),
        "truncated": ("error", "at least 5 are needed"),
        "wrong-type": ("error", "binary data"),
        "oversized": ("error", "the limit here is 1 MB"),
        "wrong-columns": ("error", "has no 'prompt' and no 'response' column (it has: text, label)"),
        "cp1252": ("note", "read as cp1252"),
        "shift-jis": ("note", "read as cp932"),
        "random-bytes": ("error", "binary data"),
    },
    "keras": {
        "zero-bytes": ("error", "empty (0 bytes)"),
        "truncated": ("error", "corrupt or truncated"),
        "wrong-type": ("error", "this is not a zip file"),
        "oversized": ("error", "the limit here is 1 MB"),
        "zip-slip": ("error", "points outside its folder"),
        "zip-bomb": ("error", "looks like a zip bomb"),
        "lambda-layer": ("error", "has a Lambda layer 'payload'"),
        "os-system": ("error", "'os.system', which is outside Keras"),
    },
    "labels": {
        "zero-bytes": ("error", "names 0 classes"),
        "wrong-type": ("error", "not UTF-8 text"),
        "oversized": ("error", "the limit here is 1 MB"),
        "cp1252": ("error", "not UTF-8 text"),
    },
    "prep": {
        "zero-bytes": ("error", "preprocessing.json is not valid JSON"),
        "wrong-type": ("error", "preprocessing.json is not valid JSON"),
        "oversized": ("error", "the limit here is 1 MB"),
    },
    "bundle": {
        "zero-bytes": ("error", "empty (0 bytes)"),
        "truncated": ("error", "corrupt or truncated"),
        "wrong-type": ("error", "not a file Model Studio writes"),
        "oversized": ("error", "the limit here is 1 MB"),
        "zip-slip": ("error", "points outside its folder"),
        "zip-bomb": ("error", "looks like a zip bomb"),
    },
}


# -- how each widget is reached, fed and checked ---------------------------------------------------------

def submit_button(at, label: str):
    return at.button[[b.label for b in at.button].index(label)]


@dataclass
class Widget:
    name: str                 # readable id
    page: str
    fmt: str                  # a key of FORMATS / EXPECTED
    limit: str                # its key in pages.common.UPLOAD_LIMITS_MB
    feed: Callable            # feed(at, (file name, bytes, mime)): put the file in and run
    recover: Callable         # recover(at): use the page normally and assert a normal result
    before: Callable = lambda at: None   # reach the widget (a tab's source, a chosen example ...)
    skip: tuple = ()          # cases of its format that do not apply to it
    expect: dict = None       # where it answers otherwise than EXPECTED[fmt] says
    reuse: bool = True        # its cases share one page session (see page_for)

    @property
    def cases(self):
        return [case for case in EXPECTED[self.fmt] if case not in self.skip]

    def expected(self, case: str) -> tuple[str, str]:
        return (self.expect or {}).get(case) or EXPECTED[self.fmt][case]


def upload(key: str, widget: str = "file_uploader"):
    def feed(at, file):
        getattr(at, widget)(key=key).set_value(file).run()
    return feed


def capture(key: str, widget: str, suffix: str):
    """A camera or microphone widget: the browser names what it captured (image.jpg, audio.wav)."""
    def feed(at, file):
        name, data, mime = file
        mime = "image/jpeg" if suffix == ".jpg" else "audio/wav"
        getattr(at, widget)(key=key).set_value((name.rsplit(".", 1)[0] + suffix, data, mime)).run()
    return feed


def form_upload(key: str, button: str):
    def feed(at, file):
        at.file_uploader(key=key).set_value(file)
        submit_button(at, button).click().run()
    return feed


def with_model(key: str, lab: str, model: Callable):
    """Feed a side file (labels.txt) of the model import form, next to a real, good model."""
    def feed(at, file):
        at.file_uploader(key=f"import-model-{lab}").set_value(("shapes.keras", model(), "application/octet-stream"))
        at.file_uploader(key=key).set_value(file)
        submit_button(at, "Import and use it").click().run()
    return feed


def photo_class_by_class(snapshot: bool = False):
    """One class of good photos already added; the next class gets the bad photo (uploaded, or as a
    camera snapshot) among two good ones."""
    def feed(at, file):
        at.session_state["teach_classes"] = {"blue": [("b1.png", png((40, 40, 200))), ("b2.png", png((40, 40, 190)))]}
        at.run()
        at.text_input(key="teach_class_name").set_value("red")
        good = [("r1.png", png(), "image/png"), ("r2.png", png((190, 40, 40)), "image/png")]
        if snapshot:
            at.file_uploader(key="class_files_1").set_value(good)
            at.camera_input(key="class_snap_1").set_value(("image.jpg", file[1], "image/jpeg"))
        else:
            at.file_uploader(key="class_files_1").set_value([file, *good])
        at.button(key="teach_add").click().run()
        if at.session_state["teach_classes"].get("red"):
            at.button(key="teach_use").click().run()
    return feed


def sound_class_by_class(at, file):
    """Two classes of good recordings already added; a third recording, the bad one, goes to 'high'."""
    at.session_state["sound_classes"] = {"low": [("c0.wav", wav(0.6, 300)), ("c1.wav", wav(0.7, 300))],
                                         "high": [("c0.wav", wav(0.6, 2500)), ("c1.wav", wav(0.7, 2500))]}
    at.run()
    at.text_input(key="sound_class_name").set_value("high")
    at.audio_input(key="sound_rec_4").set_value(file).run()
    at.button(key="sound_add").click().run()
    if len(at.session_state["sound_classes"]["high"]) == 3:
        at.button(key="sound_use").click().run()


def image_lab_works(at):
    for camera in at.camera_input:  # a refused snapshot stays in its camera until it is retaken
        if camera.key.startswith("class_snap_"):
            camera.set_value(None)
    at.text_input(key="teach_class_name").set_value("ok")
    key = next(w.key for w in at.file_uploader if w.key.startswith("class_files_"))
    at.file_uploader(key=key).set_value(("fine.png", png(), "image/png"))
    at.button(key="teach_add").click().run()
    assert "**ok**: 1 photos" in texts(at.markdown)


def audio_lab_works(at):
    at.button(key="example-yes.wav").click().run()
    assert at.session_state["clip"][0] == "yes.wav"
    assert "It hears" in texts(at.markdown)


def text_lab_works(at):
    at.button(key="example-0").click().run()
    assert "Sentiment" in texts(at.subheader) and "😀 positive" in [m.value for m in at.metric]


def document_lab_works(at):
    at.button(key="example-receipt-clean").click().run()
    assert "R-58213" in at.code[0].value


def meaning_lab_works(at):
    at.radio(key="meaning_source").set_value("answers").run()
    assert "Delivery delayed" in "\n".join(t.value.to_csv() for t in at.table)


def meaning_images_work(at):
    at.button(key="meaning_imgmap_example").click().run()
    assert "**clothes/bag/bag_16.png** is in **bag**" in texts(at.markdown)   # an odd one out of the example


def meaning_map_images(at):
    at.radio(key="meaning_map_what").set_value("images").run()


def llm_lab_works(at):
    assert "Your prompt" in [t.label for t in at.text_area] and not at.exception


def meaning_source(choice: str):
    def before(at):
        at.radio(key="meaning_source").set_value(choice).run()
    return before


def train_works(at):
    at.button(key="sample_csv").click().run()
    assert any(b.label.startswith("Import 150 rows") for b in at.button)


def runs_works(at):
    at.run()
    assert "No runs yet" in texts(at.info) and at.file_uploader(key="bundle_file")


def choose_source(at):
    at.segmented_control(key="data_source").set_value("Your own data").run()


def choose_clip(at):
    at.button(key="example-yes.wav").click().run()


def choose_text(at):
    at.button(key="example-0").click().run()


@functools.cache
def small_image_model() -> bytes:
    """A real .keras image model (16x16x3 in, 3 classes out), for the side-file cases."""
    import tempfile
    from pathlib import Path

    import keras
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(1 / 255)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    with tempfile.TemporaryDirectory() as folder:
        model.save(Path(folder) / "shapes.keras")
        return (Path(folder) / "shapes.keras").read_bytes()


IMAGE, AUDIO, TEXT = "pages/image_lab.py", "pages/audio_lab.py", "pages/text_lab.py"
TRAIN, RUNS = "pages/train.py", "pages/runs.py"
DOCUMENT = "pages/document_lab.py"
MEANING = "pages/meaning_lab.py"
LLM = "pages/llm_lab.py"
WIDGETS = [
    Widget("image-photo", IMAGE, "photo", "photo", upload("photo_upload"), image_lab_works, reuse=False),
    Widget("image-camera", IMAGE, "photo", "photo", capture("camera", "camera_input", ".jpg"), image_lab_works, reuse=False,
           skip=("decompression-bomb",)),
    # Photos added class by class are checked when the classes are used: a bad one is left out.
    Widget("image-class-photos", IMAGE, "photo", "photo", photo_class_by_class(), image_lab_works, reuse=False, expect={
        "zero-bytes": ("warning", "Left out 1: 1 empty file"),
        "truncated": ("warning", "Left out 1: 1 corrupt or truncated image"),
        "wrong-type": ("warning", "Left out 1: 1 not a readable image"),
        "decompression-bomb": ("warning", "Left out 1: 1 too large")}),
    Widget("image-class-snapshot", IMAGE, "photo", "photo", photo_class_by_class(snapshot=True), image_lab_works, reuse=False,
           skip=("truncated", "decompression-bomb"), expect={
               "zero-bytes": ("warning", "Left out 1: 1 empty file"),
               "wrong-type": ("warning", "Left out 1: 1 not a readable image")}),
    Widget("image-teach-zip", IMAGE, "images zip", "images zip", upload("teach_zip"), image_lab_works, reuse=False),
    Widget("image-own-model", IMAGE, "keras", "model", form_upload("import-model-image", "Import and use it"),
           image_lab_works, reuse=False),
    Widget("image-own-model-labels", IMAGE, "labels", "model side file",
           with_model("import-labels-image", "image", small_image_model), image_lab_works, reuse=False),
    Widget("image-own-model-prep", IMAGE, "prep", "model side file",
           with_model("import-prep-image", "image", small_image_model), image_lab_works, reuse=False),
    Widget("audio-clip", AUDIO, "clip", "clip", upload("clip_upload"), audio_lab_works),
    Widget("audio-recorder", AUDIO, "clip", "clip", capture("recorder", "audio_input", ".wav"), audio_lab_works,
           skip=("truncated",)),
    # Recordings added class by class are checked when the classes are used: a bad one is left out
    # (a truncated WAV is not bad there: the part that is there is used).
    Widget("audio-class-recordings", AUDIO, "clip", "clip", sound_class_by_class, audio_lab_works, skip=("truncated",),
           expect={case: ("warning", "Left out 1: 1 unreadable or unusable clip") for case in ("zero-bytes", "wrong-type")}),
    Widget("audio-teach-zip", AUDIO, "sounds zip", "sounds zip", upload("teach_zip"), audio_lab_works),
    Widget("audio-own-model", AUDIO, "keras", "model", form_upload("import-model-audio", "Import and use it"),
           audio_lab_works, before=choose_clip, skip=("truncated", "zip-slip", "zip-bomb")),
    Widget("text-txt", TEXT, "text", "text file", upload("txt_upload"), text_lab_works),
    Widget("text-score-csv", TEXT, "csv", "csv to score", upload("batch_csv"), text_lab_works),
    Widget("text-teach-csv", TEXT, "csv", "csv to learn from", upload("teach_csv"), text_lab_works),
    Widget("text-own-model", TEXT, "keras", "model", form_upload("import-model-text", "Import and use it"),
           text_lab_works, before=choose_text, skip=("truncated", "zip-slip", "zip-bomb")),
    Widget("train-zip", TRAIN, "images zip", "images zip", upload("zip_upload"), train_works, before=choose_source),
    Widget("train-csv", TRAIN, "csv", "csv to learn from", upload("csv_upload"), train_works, before=choose_source),
    Widget("runs-bundle", RUNS, "bundle", "bundle", form_upload("bundle_file", "Import the runs"), runs_works),
    Widget("document-upload", DOCUMENT, "photo", "photo", upload("document_upload"), document_lab_works),
    Widget("document-camera", DOCUMENT, "photo", "photo", capture("document_camera", "camera_input", ".jpg"),
           document_lab_works, skip=("decompression-bomb",)),
    Widget("meaning-txt", MEANING, "text", "text file", upload("meaning_txt"), meaning_lab_works,
           before=meaning_source("txt")),
    Widget("meaning-csv", MEANING, "csv", "csv to learn from", upload("meaning_csv"), meaning_lab_works,
           before=meaning_source("csv")),
    Widget("meaning-image-zip", MEANING, "images zip", "images zip", upload("meaning_image_zip"), meaning_images_work,
           before=meaning_map_images),
    Widget("llm-txt", LLM, "text", "text file", upload("llm_file"), llm_lab_works),
    Widget("llm-teach-pairs", LLM, "pairs", "csv to learn from", upload("teach-pairs-file"), llm_lab_works),
    Widget("train-pairs", TRAIN, "pairs", "csv to learn from", upload("pairs_upload"), train_works, before=choose_source),
]
TABLE = [pytest.param(widget, case, id=f"{widget.name}:{case}") for widget in WIDGETS for case in widget.cases]
MIME = {".png": "image/png", ".wav": "audio/wav", ".zip": "application/zip", ".txt": "text/plain",
        ".csv": "text/csv", ".keras": "application/octet-stream", ".json": "application/json"}


_SESSION: dict = {}  # widget name -> its page, kept open for that widget's next case


def page_for(widget):
    """A fresh page, or for a `reuse` widget one page session shared by its cases in turn, as a
    person who tries one bad file after another would: the language model's and the sentence
    encoder's pages spend most of a case on their first run. Each case still feeds its own file,
    finds its own message and recovers. The Image Lab's recovery teaches a class a photo, which
    the next recovery would count: its widgets start fresh (reuse=False)."""
    if not widget.reuse:
        return open_page(widget.page)
    if widget.name not in _SESSION:
        _SESSION.clear()
        _SESSION[widget.name] = open_page(widget.page)
    return _SESSION[widget.name]


@pytest.mark.parametrize("widget, case", TABLE)
def test_bad_file_gets_a_specific_message_and_the_page_keeps_working(widget, case, monkeypatch, pretrained_cache):
    from pages import common
    at = page_for(widget)
    widget.before(at)
    if case == "oversized":
        _SESSION.clear()  # its widget is redrawn with the 1 MB limit: a later case needs a fresh page
        monkeypatch.setitem(common.UPLOAD_LIMITS_MB, widget.limit, 1)
        at.run()  # the widget is drawn again with its new limit (a new widget for Streamlit)
    name, data = CASES[case](widget.fmt)
    widget.feed(at, (name, data, MIME[name[name.rindex("."):]]))

    assert not at.exception, at.exception
    level, phrase = widget.expected(case)
    errors, warnings = texts(at.error), texts(at.warning)
    if level == "error":
        assert phrase in errors, f"expected an error with {phrase!r}; errors: {errors!r}; warnings: {warnings!r}"
    elif level == "warning":
        assert phrase in warnings and not errors, f"expected a warning with {phrase!r}; errors: {errors!r}; warnings: {warnings!r}"
    else:
        shown = "\n".join(texts(at.get(kind)) for kind in ("caption", "info", "markdown"))
        assert phrase in shown and not errors, f"expected {phrase!r} on the page; errors: {errors!r}"
    assert "Traceback" not in errors + warnings

    widget.recover(at)  # the page still works, the bad file notwithstanding
    assert not at.exception, at.exception


def test_every_upload_widget_of_every_page_is_in_the_table():
    """A new upload widget must join the table (and so get the whole corpus), and state a limit."""
    import re
    from pathlib import Path
    pages = Path(__file__).resolve().parents[2] / "pages"
    for page in pages.glob("*.py"):
        source = page.read_text(encoding="utf-8")
        if page.name != "common.py":
            assert "st.file_uploader(" not in source, f"{page.name}: upload through limited_uploader (it states a limit)"
        calls = len(re.findall(r"\b(?:limited_uploader|camera_input|audio_input)\(", source))
        if page.name == "common.py":  # the model import form: the model, its labels, its preprocessing.json
            calls -= 1  # limited_uploader's own definition
            assert calls == 3
            assert {w.name for w in WIDGETS} >= {"image-own-model", "image-own-model-labels", "image-own-model-prep"}
            continue
        if page.name == "teach.py":  # the shared teach flow's zip of class folders, on each lab teaching by class
            assert calls == 1
            assert {w.name for w in WIDGETS} >= {"image-teach-zip", "audio-teach-zip"}
            continue
        if page.name == "llm_teaching.py":  # the Teach tab's prompt/response pairs, drawn by the Language Model Lab
            assert calls == 1 and "llm-teach-pairs" in {w.name for w in WIDGETS}
            continue
        in_table = [w for w in WIDGETS if w.page == f"pages/{page.name}" and "-own-model" not in w.name]
        assert len(in_table) >= calls, f"{page.name}: {calls} upload widgets, {len(in_table)} in the table"
