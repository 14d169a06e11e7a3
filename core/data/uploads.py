"""The user's own data: a zip of one folder per class of images, or a CSV of texts and labels.

Uploads are validated, converted once, and stored under `<data dir>/uploads/<generated id>/`
(never under a name the user chose), so a run config can refer to them as `upload:<id>` and the
runner process can load them again. Every problem becomes a `DataError` that says what was wrong
and what to do.
"""
from __future__ import annotations

import io
import json
import os
import posixpath
import secrets
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core import archive as archive_lib
from core import image_file, paths
from core.data.dataset import AUDIO, CHAT, IMAGE, TEXT, DataError, Dataset, holdout_indices, holdout_split

MAX_ZIP_UNCOMPRESSED = archive_lib.MAX_TOTAL
MAX_ZIP_ENTRIES = archive_lib.MAX_ENTRIES
MAX_COMPRESSION_RATIO = archive_lib.MAX_RATIO
MAX_IMAGE_PIXELS = image_file.MAX_PIXELS  # a decompression bomb is refused above this (a 10000x10000 photo passes)
MAX_IMAGE_SIDE = 4096                   # larger photos are scaled down right after decoding
MIN_EXAMPLES_PER_CLASS = 2
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
UPLOAD_PREFIX = "upload:"


@dataclass
class ImportReport:
    """What an import did, to show the user."""
    upload_id: str
    title: str
    kind: str
    class_counts: dict[str, int]
    skipped: dict[str, int] = field(default_factory=dict)   # reason -> count

    @property
    def dataset_key(self) -> str:
        return UPLOAD_PREFIX + self.upload_id


# -- zip of image folders -------------------------------------------------------------------------

def import_image_zip(data: bytes, title: str = "My images", image_size: int = 32) -> ImportReport:
    """Validate a zip of class folders, decode and resize every image, and store the result."""
    return _import_images(_zip_readers(data), title, image_size)


def import_image_files(files: dict[str, list[tuple[str, bytes]]], title: str = "My images",
                       image_size: int = 224) -> ImportReport:
    """Images given class by class in the page: {class name: [(file name, bytes), ...]}."""
    return _import_images(_file_readers(files), title, image_size)


def _import_images(by_class: dict[str, list], title: str, image_size: int) -> ImportReport:
    """Each image is decoded, resized and appended to a file at once: the whole set is never in
    memory. Then the file is rewritten as `images.npy` in split order (training pool, then test
    set), so `load_upload` can return both parts as read-only memmaps."""
    upload_id = _new_upload_id()
    folder = paths.uploads_dir() / upload_id
    folder.mkdir(parents=True)
    shape = (image_size, image_size, 3)
    try:
        with open(folder / "decoded.tmp", "wb") as decoded:
            def keep(image):
                if image.shape != shape:
                    raise ValueError(f"decoded image of shape {image.shape}, expected {shape}")
                decoded.write(image.tobytes())
            y, class_names, class_counts, skipped = _decode_per_class(
                by_class, IMAGE_SUFFIXES, "not an image file", "images",
                lambda data, filename: decode_image(data, image_size), keep,
                skip_reason=lambda err: str(err).split(":")[0])
        train_idx, test_idx = holdout_indices(y)
        order = np.concatenate([train_idx, test_idx])
        _write_rows_in_order(folder / "decoded.tmp", folder / "images.npy", shape, order)
        (folder / "decoded.tmp").unlink()
        np.save(folder / "labels.npy", y[order])
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # nothing half-imported stays behind
        raise
    report = ImportReport(upload_id, title, IMAGE, class_counts, skipped)
    _write_meta(folder, report, class_names, image_size=image_size, test_examples=len(test_idx))
    return report


def _write_rows_in_order(source: Path, target: Path, shape: tuple, order: np.ndarray) -> None:
    """Copy the uint8 rows of `shape` in raw file `source` to the .npy file `target` in `order`,
    one row at a time (plain reads and writes: no memory map grows this process's memory)."""
    size = int(np.prod(shape))
    with open(source, "rb") as src, open(target, "wb") as dst:
        np.lib.format.write_array_header_1_0(
            dst, {"descr": "|u1", "fortran_order": False, "shape": (len(order), *shape)})
        for row in order:
            src.seek(int(row) * size)
            dst.write(src.read(size))


# -- zip of sound folders, or clips given class by class ---------------------------------------

def import_audio_zip(data: bytes, title: str = "My sounds") -> ImportReport:
    """A zip of one folder per class of clips (WAV, MP3, FLAC, OGG ...) -> one-second log-mels."""
    return _import_audio(_zip_readers(data), title)


def import_audio_files(files: dict[str, list[tuple[str, bytes]]], title: str = "My sounds") -> ImportReport:
    """Clips given class by class in the page: {class name: [(file name, bytes), ...]}."""
    return _import_audio(_file_readers(files), title)


def _import_audio(by_class: dict[str, list], title: str) -> ImportReport:
    """Each clip -> the log-mel of its loudest second, the input every studio audio model reads."""
    from core.audio.features import FEATURE_PARAMS, clip_features
    from core.audio.io import AUDIO_SUFFIXES, decode_audio
    examples = []  # one second of log-mels is small: clips stay in memory
    y, class_names, class_counts, skipped = _decode_per_class(
        by_class, AUDIO_SUFFIXES, "not an audio file", "clips",
        lambda data, filename: clip_features(decode_audio(data, filename).samples), examples.append,
        skip_reason=lambda err: "unreadable or unusable clip")
    return _store_arrays(AUDIO, "features.npz", np.stack(examples), y, title, class_names, class_counts,
                         skipped, features=FEATURE_PARAMS)


# -- shared by image and sound imports ------------------------------------------------------------

def _zip_readers(data: bytes) -> dict[str, list]:
    """{class: [(file name, read()), ...]} for a zip of class folders, checked before any read."""
    archive = _open_zip(data)
    by_class = _group_by_class(_safe_entries(archive))
    return {name: [(info.filename, lambda info=info: _read_entry(archive, info)) for info in infos]
            for name, infos in by_class.items()}


def _file_readers(files: dict[str, list[tuple[str, bytes]]]) -> dict[str, list]:
    return {name.strip(): [(fname, lambda data=data: data) for fname, data in items]
            for name, items in files.items() if name.strip()}


def _decode_per_class(by_class: dict[str, list], suffixes: set[str], wrong_type: str, unit: str,
                      decode, keep, skip_reason):
    """Decode every (file name, read()) per class and hand each example to `keep` at once; skip
    and count what is unusable, then check that the classes are still trainable.
    Returns (labels, class names, class counts, skipped)."""
    labels, skipped = [], {}
    class_names = sorted(by_class)
    for label, name in enumerate(class_names):
        for filename, read in by_class[name]:
            if Path(filename).suffix.lower() not in suffixes:
                skipped[wrong_type] = skipped.get(wrong_type, 0) + 1
                continue
            try:
                keep(decode(read(), filename))
                labels.append(label)
            except DataError as err:
                reason = skip_reason(err)
                skipped[reason] = skipped.get(reason, 0) + 1
    counts = np.bincount(np.array(labels, int), minlength=len(class_names)) if labels else \
        np.zeros(len(class_names), int)
    class_counts = dict(zip(class_names, counts.tolist()))
    _check_classes(class_counts, unit, skipped)
    return np.array(labels, np.int64), class_names, class_counts, skipped


def _store_arrays(kind: str, file_name: str, x, y, title: str, class_names: list[str],
                  class_counts: dict[str, int], skipped: dict[str, int], **meta) -> ImportReport:
    upload_id = _new_upload_id()
    folder = paths.uploads_dir() / upload_id
    folder.mkdir(parents=True)
    np.savez_compressed(folder / file_name, x=x, y=y)
    report = ImportReport(upload_id, title, kind, class_counts, skipped)
    _write_meta(folder, report, class_names, **meta)
    return report


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        return archive_lib.open_zip(data)
    except archive_lib.ArchiveError as err:
        hint = {"This is not a zip file.": " Upload a .zip with one folder per class, "
                                           "for example cats/1.jpg, cats/2.jpg, dogs/1.jpg ...",
                "The file is empty (0 bytes).": " Upload a .zip with one folder per class."}.get(str(err), "")
        raise DataError(f"{err}{hint}") from err


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        return archive_lib.read_entry(archive, info)
    except archive_lib.ArchiveError as err:
        raise DataError(str(err)) from err


def _safe_entries(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """Refuse path traversal and zip bombs before reading a single byte of content."""
    try:
        files = archive_lib.safe_entries(archive, MAX_ZIP_UNCOMPRESSED, MAX_ZIP_ENTRIES, MAX_COMPRESSION_RATIO)
    except archive_lib.ArchiveError as err:
        hint = " Zip the class folders themselves." if "outside its folder" in str(err) else \
            " Upload fewer or smaller files." if "expands to more" in str(err) else ""
        raise DataError(f"{err}{hint}") from err
    if not files:
        raise DataError("The zip is empty. Put one folder per class inside, each with images.")
    return files


def _group_by_class(entries: list[zipfile.ZipInfo]) -> dict[str, list[zipfile.ZipInfo]]:
    """Class = first folder under the common root (a zip of a folder of class folders works too)."""
    def visible(info):
        parts = info.filename.split("/")
        return not any(p.startswith(".") or p == "__MACOSX" for p in parts)

    entries = [e for e in entries if visible(e)]
    dirs = [posixpath.dirname(e.filename).split("/") for e in entries]
    depth = 0  # strip folders shared by every entry, e.g. "my_dataset/cats/1.jpg"
    while dirs and all(len(d) > depth + 1 for d in dirs) and len({d[depth] for d in dirs}) == 1:
        depth += 1
    groups: dict[str, list] = {}
    for entry, d in zip(entries, dirs):
        if len(d) <= depth or d[depth] == "":
            continue  # a file at the top level belongs to no class
        groups.setdefault(d[depth], []).append(entry)
    if not groups:
        raise DataError("No class folders found. The zip must hold one folder per class, "
                        "e.g. cats/1.jpg and dogs/1.jpg.")
    return groups


def decode_image(data: bytes, size: int | None = None, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Decode any common image to RGB uint8 (core/image_file.py), optionally cropped to a square of `size`."""
    from PIL import Image, ImageOps
    try:
        image, _ = image_file.open_rgb(data, MAX_IMAGE_SIDE, max_pixels)
    except image_file.ImageFileError as err:
        raise DataError(str(err)) from err
    if size:
        image = ImageOps.fit(image, (size, size), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.uint8)


# -- CSV of texts ---------------------------------------------------------------------------------

def read_csv_upload(data: bytes) -> pd.DataFrame:
    """Parse an uploaded CSV into a DataFrame of strings, with messages for the usual mistakes."""
    from core.text.io import TextInputError, detect_encoding
    if not data or not data.strip():
        raise DataError("The CSV file is empty. It needs a header row, a text column and a label column.")
    try:
        encoding = detect_encoding(data)  # UTF-8, else a BOM or the statistically likely one
    except TextInputError as err:
        raise DataError(str(err)) from err
    text = data.decode(encoding, errors="replace")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataError(f"The CSV could not be parsed: {err}") from err
    frame.attrs["encoding"] = encoding
    if frame.empty or len(frame.columns) < 2:
        raise DataError("The CSV needs at least two columns (a text column and a label column) "
                        "and at least one data row.")
    return frame


def guess_columns(frame: pd.DataFrame) -> tuple[str, str]:
    """Best guess of (text column, label column): by name, else longest texts vs fewest values."""
    lower = {c.lower(): c for c in frame.columns}
    text = next((lower[n] for n in ("text", "sentence", "review", "message", "content") if n in lower), None)
    label = next((lower[n] for n in ("label", "class", "category", "sentiment", "target") if n in lower), None)
    if text is None:
        text = max(frame.columns, key=lambda c: frame[c].str.len().mean())
    if label is None:
        label = min((c for c in frame.columns if c != text), key=lambda c: frame[c].nunique())
    return text, label


def import_text_csv(frame: pd.DataFrame, text_column: str, label_column: str,
                    title: str = "My texts") -> ImportReport:
    missing = [c for c in (text_column, label_column) if c not in frame.columns]
    if missing:
        raise DataError(f"The CSV has no column named {', '.join(map(repr, missing))}. "
                        f"Its columns are: {', '.join(map(str, frame.columns))}.")
    if text_column == label_column:
        raise DataError("Pick different columns for the text and the label.")
    texts = frame[text_column].astype(str).str.strip()
    labels = frame[label_column].astype(str).str.strip()
    keep = (texts != "") & (labels != "")
    skipped = {"empty text or label": int((~keep).sum())} if (~keep).any() else {}
    texts, labels = texts[keep], labels[keep]
    class_counts = labels.value_counts().sort_index().to_dict()
    _check_classes(class_counts, "rows", skipped)
    upload_id = _new_upload_id()
    folder = paths.uploads_dir() / upload_id
    folder.mkdir(parents=True)
    pd.DataFrame({"text": texts, "label": labels}).to_csv(folder / "texts.csv", index=False)
    report = ImportReport(upload_id, title, TEXT, {str(k): int(v) for k, v in class_counts.items()},
                          skipped)
    _write_meta(folder, report, sorted(report.class_counts))
    return report


# -- prompt/response pairs (teaching the language model) ----------------------------------------------

def import_pairs(data: bytes, filename: str, title: str = "My prompts and answers") -> tuple[ImportReport, list[str]]:
    """A CSV or JSONL of prompt/response pairs (core/llm/tasks.py: read_pairs checks it), stored as
    pairs.jsonl with its train/held-out split. Returns the report and read_pairs' notes."""
    from core.llm.tasks import TaskDataError, read_pairs
    try:
        pairs, notes = read_pairs(data, filename)
    except TaskDataError as err:
        raise DataError(str(err)) from err
    upload_id = _new_upload_id()
    folder = paths.uploads_dir() / upload_id
    folder.mkdir(parents=True)
    (folder / "pairs.jsonl").write_text("".join(json.dumps(pair.__dict__, ensure_ascii=False) + "\n" for pair in pairs),
                                        encoding="utf-8")
    counts: dict[str, int] = {}
    for pair in pairs:
        counts[pair.task] = counts.get(pair.task, 0) + 1
    report = ImportReport(upload_id, title, CHAT, dict(sorted(counts.items())))
    _write_meta(folder, report, sorted(counts))
    return report, notes


def pairs_dataset(title: str, pairs: list, notes: list[str] | None = None) -> Dataset:
    """Pairs as a Dataset: x (N, 2) prompt and response, y the task, the held-out pairs as the test set."""
    tasks = sorted({p.task for p in pairs})

    def arrays(split):
        chosen = [p for p in pairs if p.split == split]
        x = np.empty((len(chosen), 2), dtype=object)
        for row, pair in enumerate(chosen):
            x[row] = (pair.prompt, pair.response)
        return x, np.array([tasks.index(p.task) for p in chosen], np.int64)
    return Dataset(title, CHAT, *arrays("train"), *arrays("held-out"), tasks, notes or [])


def dataset_pairs(data: Dataset) -> tuple[list, list]:
    """(train, held-out) Pairs of a chat Dataset (pairs_dataset's inverse)."""
    from core.llm.tasks import Pair
    return tuple([Pair(str(x[0]), str(x[1]), data.class_names[int(label)], split) for x, label in zip(xs, ys)]
                 for xs, ys, split in ((data.x, data.y, "train"), (data.x_test, data.y_test, "held-out")))


# -- stored uploads -------------------------------------------------------------------------------

def load_upload(upload_id: str) -> Dataset:
    folder = _upload_folder(upload_id)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    class_names = meta["class_names"]
    if (folder / "images.npy").exists():  # images stay on disk: read-only memmaps, read when indexed
        x, y = np.load(folder / "images.npy", mmap_mode="r"), np.load(folder / "labels.npy")
        n_train = len(y) - meta["test_examples"]  # stored in split order: training pool, then test
        return Dataset(meta["title"], IMAGE, x[:n_train], y[:n_train], x[n_train:], y[n_train:], class_names)
    if meta["kind"] == CHAT:
        from core.llm.tasks import Pair
        pairs = [Pair(**json.loads(line)) for line in (folder / "pairs.jsonl").read_text(encoding="utf-8").splitlines()
                 if line]
        return pairs_dataset(meta["title"], pairs)
    if meta["kind"] in (IMAGE, AUDIO):  # audio, and images stored before images.npy (in memory)
        with np.load(folder / ("images.npz" if meta["kind"] == IMAGE else "features.npz")) as f:
            x, y = f["x"], f["y"]
    else:
        frame = pd.read_csv(folder / "texts.csv", dtype=str, keep_default_na=False)
        x = frame["text"].to_numpy(dtype=object)
        y = frame["label"].map({name: i for i, name in enumerate(class_names)}).to_numpy(np.int64)
    return Dataset(meta["title"], meta["kind"], *holdout_split(x, y), class_names)


def upload_meta(upload_id: str) -> dict:
    return json.loads((_upload_folder(upload_id) / "meta.json").read_text(encoding="utf-8"))


def list_uploads() -> list[dict]:
    metas = []
    for meta_file in sorted(paths.uploads_dir().glob("*/meta.json")):
        try:
            metas.append(json.loads(meta_file.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue  # a half-written upload is not listed
    return sorted(metas, key=lambda m: m.get("created_at", 0), reverse=True)


def _upload_folder(upload_id: str) -> Path:
    folder = paths.uploads_dir() / upload_id
    if not upload_id.replace("-", "").isalnum() or not (folder / "meta.json").exists():
        raise DataError(f"The uploaded dataset '{upload_id}' no longer exists. Upload it again.")
    return folder


def _check_classes(class_counts: dict[str, int], unit: str, skipped: dict[str, int]) -> None:
    skipped_note = (" Skipped: " + ", ".join(f"{n} {r}" for r, n in skipped.items()) + ".") if skipped else ""
    usable = {name: n for name, n in class_counts.items() if n > 0}
    if not usable:
        raise DataError(f"No usable {unit} found.{skipped_note}")
    if len(usable) < 2:
        raise DataError(f"Only one class ('{next(iter(usable))}') was found. A classifier needs at "
                        f"least two classes.{skipped_note}")
    small = [f"'{name}' ({n})" for name, n in class_counts.items() if n < MIN_EXAMPLES_PER_CLASS]
    if small:
        raise DataError(f"Every class needs at least {MIN_EXAMPLES_PER_CLASS} {unit}; these have fewer: "
                        f"{', '.join(small)}. Add more examples or remove those classes.{skipped_note}")


def _new_upload_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def _write_meta(folder: Path, report: ImportReport, class_names: list[str], **extra) -> None:
    meta = {"id": report.upload_id, "title": report.title, "kind": report.kind,
            "class_names": class_names, "class_counts": report.class_counts,
            "skipped": report.skipped, "created_at": time.time(), **extra}
    tmp = folder / "meta.json.tmp"
    tmp.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    os.replace(tmp, folder / "meta.json")  # meta.json appears last: its presence means "complete"
