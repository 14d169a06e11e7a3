"""Export a finished run's model as `.keras`, SavedModel or TFLite, checked against Keras.

    export = export_run(run_id, "tflite")        # runs/<id>/export/model.tflite
    export.path, export.bytes, export.check      # check: max |TFLite - Keras| on 16 test examples
    print(export.snippet)                        # Python that loads the file and classifies an input
    zip_path = export_package(run_id, ["keras", "tflite"])   # + labels.txt, model_card.json, README.md

Every export is checked before it is offered: the exported file is run (a reloaded `.keras`, the
SavedModel's `serve` signature, the TFLite file through LiteRT) on examples from the run's own test
set and its outputs are compared with the Keras model's. Exports are kept in the run's `export/`
folder next to the files the snippets read (labels, model card, preprocessing, one example input),
so a second export of an unchanged model returns at once.

Adding a format is adding one `ExportFormat` to `EXPORT_FORMATS`.
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

import numpy as np

from core import paths
from core.modalities.base import fill as _fill

EXPORT_DIR = "export"
SAMPLES = 16        # examples each check runs through the exported file
TOLERANCE = 1e-4    # absolute, on probabilities (GAN: on pixels in [-1, 1]); float32 runtimes differ by ~1e-7
LAYERS_MODULE = "model_studio_layers.py"  # the studio's custom layers, for loading .keras files elsewhere


class ExportError(Exception):
    """A run cannot be exported (as asked); the message says what was wrong and what to do."""


@dataclass(frozen=True)
class ExportFormat:
    title: str
    file_name: str                                   # the one downloadable file
    build: Callable[[object, Path], None]            # (Keras model, file) -> writes the file
    run: Callable[[Path, np.ndarray], np.ndarray]    # (file, batch) -> outputs: how the check runs it
    snippet: str                                     # loads the file and sets `output` from a batch `x` of one
    needs: str                                       # what the snippet needs installed


@dataclass
class Export:
    run_id: str
    format: str
    path: Path          # the one file to download
    bytes: int
    check: dict         # samples, source, max_abs_diff, tolerance, passed
    seconds: float      # how long the export took when it was made
    snippet: str        # Python that loads `path` (run inside its folder) and runs it on an input
    cached: bool = False


def export_run(run_id: str, fmt: str) -> Export:
    """Export run `run_id` as `fmt` (a key of EXPORT_FORMATS), checked; cached while the model is unchanged."""
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"Unknown export format '{fmt}'. Choose one of: {', '.join(EXPORT_FORMATS)}.")
    run = _exportable_run(run_id)
    with _run_lock(run_id):  # two browser sessions exporting one run: the second gets the first's files
        return _export(run, fmt)


def _export(run, fmt: str) -> Export:
    run_id, folder, spec = run.id, export_dir(run.id), EXPORT_FORMATS[fmt]
    model_mtime = run.model_path.stat().st_mtime_ns
    manifest = _read_manifest(folder, model_mtime)
    if fmt in manifest["formats"] and (folder / spec.file_name).exists():
        return _export_from(run_id, fmt, manifest["formats"][fmt], cached=True)

    start = time.perf_counter()
    model, samples, reference = _subject(run_id, model_mtime)
    _write_support_files(run, model, samples, folder)
    path = folder / spec.file_name
    try:
        spec.build(model, path)
        outputs = np.asarray(spec.run(path, samples.x), dtype=np.float64)
    except Exception as err:  # noqa: BLE001 - any converter failure becomes a message the page can show
        _tmp(path).unlink(missing_ok=True)
        raise ExportError(f"{spec.title} export of run {run_id} failed: {_first_line(err)} "
                          "The other formats may still work.") from err
    diff = float(np.abs(outputs - reference).max())
    check = {"samples": len(samples.x), "source": samples.source, "max_abs_diff": diff,
             "tolerance": TOLERANCE, "passed": diff <= TOLERANCE}
    if not check["passed"]:
        path.unlink(missing_ok=True)
        raise ExportError(f"{spec.title} export of run {run_id} does not match the Keras model: outputs differ "
                          f"by up to {diff:.2g} on {len(samples.x)} inputs ({samples.source}; allowed "
                          f"{TOLERANCE:g}). The file was not kept; use the .keras export instead.")
    entry = {"check": check, "seconds": time.perf_counter() - start,
             "snippet": _snippet(run, fmt, custom_layers=_custom_layers(model))}
    manifest = _read_manifest(folder, model_mtime)  # re-read: another export may have finished meanwhile
    manifest["formats"][fmt] = entry
    _write_json(folder / "export.json", manifest)
    return _export_from(run_id, fmt, entry, cached=False)


def export_package(run_id: str, formats) -> Path:
    """One zip with the chosen model files, labels.txt, model_card.json, preprocessing.json and a README."""
    formats = list(dict.fromkeys(formats))
    if not formats:
        raise ExportError("Choose at least one format to put in the package: " + ", ".join(EXPORT_FORMATS) + ".")
    with _run_lock(run_id):
        exports = [export_run(run_id, fmt) for fmt in formats]
        return _package(_exportable_run(run_id), exports)


def _package(run, exports: list[Export]) -> Path:
    run_id, folder, formats = run.id, export_dir(run.id), [export.format for export in exports]
    top = f"model-studio-{run_id}"
    members = [name for name in ("labels.txt", "model_card.json", "preprocessing.json", LAYERS_MODULE)
               if (folder / name).exists()] + [p.name for p in folder.glob("example.*")]
    for export in exports:  # the SavedModel goes in as its folder: no zip inside the zip
        members.append("saved_model" if export.format == "savedmodel" else export.path.name)
    target = folder / f"{top}-{'-'.join(formats)}.zip"
    sources = [folder / "export.json"] + [folder / m for m in members]
    if target.exists() and target.stat().st_mtime_ns >= max(p.stat().st_mtime_ns for p in sources):
        return target
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:  # streamed to disk, file by file
        for member in members:
            source = folder / member
            for path in sorted(source.rglob("*")) if source.is_dir() else [source]:
                if path.is_file():
                    archive.write(path, f"{top}/{path.relative_to(folder)}")
        archive.writestr(f"{top}/README.md", _readme(run, exports))
    os.replace(tmp, target)
    return target


def labels_txt(run) -> str:
    """The class names, one per line, in the order of the model's outputs."""
    run = _as_run(run)
    try:
        labels = json.loads((run.dir / "labels.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ExportError(f"Run {run.id} has no class names (labels.json): "
                          + ("a GAN draws images and has no classes." if _task(run) == "gan"
                             else "it did not finish training. Train it again.")) from err
    return "".join(" ".join(str(name).split()) + "\n" for name in labels)


def model_card(run, model=None) -> dict:
    """What the model is, what it was trained on, what it takes and gives, how well it did."""
    from core.data import dataset_title
    from core.models import ARCHITECTURES
    run = _as_run(run)
    config, results, task = run.config, run.results, _task(run)
    architecture = config.get("architecture", "")
    input_shape, input_meaning = _input_description(run)
    classes = labels_txt(run).splitlines() if task != "gan" else []
    card = {
        "name": run.name,
        "run_id": run.id,
        "task": task,
        "dataset": {"key": config.get("dataset"), "title": dataset_title(config.get("dataset", ""))},
        "architecture": {"key": architecture, "params": config.get("arch_params", {}),
                         "title": ARCHITECTURES[architecture].title if architecture in ARCHITECTURES else architecture},
        "optimizer": {"key": config.get("optimizer"), "learning_rate": config.get("learning_rate"),
                      "schedule": config.get("schedule"), "params": config.get("optimizer_params", {})},
        "training": {key: config.get(key) for key in ("loss", "epochs", "batch_size", "validation_split", "seed")}
                    | {"epochs_completed": results.get("epochs_completed"), "status": run.status},
        "classes": classes,
        "input": {"shape": [None, *input_shape], "dtype": "float32", "meaning": input_meaning},
        "output": {"shape": [None, len(classes)] if task != "gan" else [None, *_gan_info(run).get("shape", [])],
                   "meaning": "class probabilities (softmax), in the order of labels.txt" if task != "gan"
                   else "an image in [-1, 1]: pixel = (value + 1) * 127.5"},
        "test_accuracy": results.get("test_accuracy"),
        "test_examples": results.get("test_examples"),
        "parameters": results.get("parameters"),  # the trained ones (transfer learning: the new head)
        "created": datetime.fromtimestamp(run.created_at, timezone.utc).isoformat(timespec="seconds"),
        "versions": {name: _version(name) for name in ("keras", "tensorflow")}
                    | {"python": ".".join(map(str, sys.version_info[:3]))},
        "licence": "Yours: trained here on your data with Model Studio.",
    }
    if task == "gan":
        card["exported"] = "the generator (noise -> image); the discriminator only served training"
    if model is not None:  # the loaded model knows its own shapes best
        card["input"].update(shape=list(model.inputs[0].shape), dtype=str(model.inputs[0].dtype))
        card["output"]["shape"] = list(model.outputs[0].shape)
        card["parameters_total"] = int(model.count_params())
    return card


def _snippet(run, fmt: str, custom_layers: tuple[str, ...] = ()) -> str:
    """Python that loads `fmt`'s file and runs it on the example input, run inside the export folder."""
    run, spec = _as_run(run), EXPORT_FORMATS[fmt]
    prepare = _prepare_code(run)
    load = spec.snippet
    if custom_layers and fmt == "keras":
        load = (f"import {Path(LAYERS_MODULE).stem}  # noqa: F401 - registers {', '.join(custom_layers)}, "
                "used by this model\n") + load
    output = GAN_OUTPUT if _task(run) == "gan" else CLASSIFIER_OUTPUT
    needs = spec.needs + (" pillow" if "from PIL" in prepare + output else "")
    return _assemble(f"# {spec.title}: run inside the exported folder. Needs: pip install {needs}",
                     prepare, load, output)


def export_dir(run_id: str) -> Path:
    folder = paths.run_dir(run_id) / EXPORT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _readme(run, exports: list[Export]) -> str:
    run = _as_run(run)
    card = json.loads((export_dir(run.id) / "model_card.json").read_text(encoding="utf-8"))
    accuracy = f", {card['test_accuracy']:.1%} on {card['test_examples']:,} held-out test examples" \
        if card.get("test_accuracy") is not None else ""
    lines = [f"# {run.name}", "",
             f"Exported from Model Studio run `{run.id}`: {card['architecture']['title']} trained on "
             f"{card['dataset']['title']}{accuracy}.", "",
             "## Files", ""]
    described = {"labels.txt": "the classes, one per line, in the order of the model's outputs",
                 "model_card.json": "what the model is, its data, settings, input, output and scores",
                 "preprocessing.json": "how the studio turned raw data into the model's input",
                 LAYERS_MODULE: "the studio's custom layers: import it before loading model.keras"}
    for export in exports:
        name = "saved_model/" if export.format == "savedmodel" else export.path.name
        lines.append(f"- `{name}`: {EXPORT_FORMATS[export.format].title}")
    folder = export_dir(run.id)
    lines += [f"- `{name}`: {text}" for name, text in described.items() if (folder / name).exists()]
    lines += [f"- `{p.name}`: one example input, read by the code below" for p in folder.glob("example.*")]
    lines += ["", "## Input", "", f"{card['input']['meaning']} Shape {card['input']['shape']} "
              f"({card['input']['dtype']}); output: {card['output']['meaning']}.", ""]
    for export in exports:
        check = export.check
        lines += [f"## {EXPORT_FORMATS[export.format].title}", "",
                  f"Checked on {check['samples']} inputs ({check['source']}): its outputs differ from the "
                  f"Keras model's by at most {check['max_abs_diff']:.2g} (allowed {check['tolerance']:g}).", "",
                  "```python", export.snippet.rstrip(), "```", ""]
    return "\n".join(lines)


# -- the formats -------------------------------------------------------------------------------------

def to_tflite(model) -> bytes:
    """The Keras model as a TFLite flatbuffer with a batch of one.

    Keras 3's LSTM becomes a while-loop over a TensorList whose element shape must be static for
    TFLite, so the input's batch dimension is fixed to 1 (a sliding window is a loop of calls).
    """
    import tensorflow as tf
    config = model.get_config()
    for layer in config["layers"]:
        if layer["class_name"] == "InputLayer":
            layer["config"]["batch_shape"] = [1, *layer["config"]["batch_shape"][1:]]
    single = type(model).from_config(config)  # Functional or Sequential (a GAN's generator)
    single.set_weights(model.get_weights())
    # What TFLiteConverter.from_keras_model does for Keras 3, without printing every variable. The
    # signature is given: export's default one would make the batch dimension free again.
    signature = [tf.TensorSpec(tensor.shape, tensor.dtype, tensor.name) for tensor in single.inputs]
    with tempfile.TemporaryDirectory() as tmp:
        single.export(tmp, format="tf_saved_model", verbose=False, input_signature=signature)
        return tf.lite.TFLiteConverter.from_saved_model(tmp).convert()


def _build_keras(model, path: Path) -> None:
    model.save(_tmp(path))
    os.replace(_tmp(path), path)


def _run_keras(path: Path, x: np.ndarray) -> np.ndarray:
    import keras

    import core.models.layers  # noqa: F401 - registers the studio's custom layers for loading
    return keras.saving.load_model(path, safe_mode=True).predict_on_batch(x)


def _build_savedmodel(model, path: Path) -> None:
    folder = path.with_suffix("")
    building = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(building, ignore_errors=True)
    model.export(building, format="tf_saved_model", verbose=False)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(building, folder)
    with zipfile.ZipFile(_tmp(path), "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            archive.write(file, file.relative_to(path.parent))
    os.replace(_tmp(path), path)


def _run_savedmodel(path: Path, x: np.ndarray) -> np.ndarray:
    import tensorflow as tf
    loaded = tf.saved_model.load(str(path.with_suffix("")))  # keep a reference: serve uses its variables
    return loaded.serve(x).numpy()


def _build_tflite(model, path: Path) -> None:
    _tmp(path).write_bytes(to_tflite(model))
    os.replace(_tmp(path), path)


def _run_tflite(path: Path, x: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    given, taken = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    outputs = []
    for row in x:  # the batch is fixed to one (see to_tflite)
        interpreter.set_tensor(given["index"], row[None].astype(given["dtype"]))
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(taken["index"])[0])
    return np.stack(outputs)


KERAS_SNIPPET = """\
import keras
model = keras.saving.load_model("model.keras", safe_mode=True)  # safe_mode: no code in the file is run
output = model.predict_on_batch(x)[0]
"""

SAVEDMODEL_SNIPPET = """\
import os
import zipfile
import tensorflow as tf
if not os.path.isdir("saved_model"):  # unzip once
    zipfile.ZipFile("saved_model.zip").extractall(".")
model = tf.saved_model.load("saved_model")
output = model.serve(x).numpy()[0]
"""

TFLITE_SNIPPET = """\
from ai_edge_litert.interpreter import Interpreter
interpreter = Interpreter(model_path="model.tflite")  # LiteRT: runs without TensorFlow
interpreter.allocate_tensors()
interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)  # exactly one example per call
interpreter.invoke()
output = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0]
"""

EXPORT_FORMATS: dict[str, ExportFormat] = {
    "keras": ExportFormat("Keras 3 model (.keras)", "model.keras", _build_keras, _run_keras,
                          KERAS_SNIPPET, "keras tensorflow numpy"),
    "savedmodel": ExportFormat("TensorFlow SavedModel", "saved_model.zip", _build_savedmodel,
                               _run_savedmodel, SAVEDMODEL_SNIPPET, "tensorflow numpy"),
    "tflite": ExportFormat("TFLite / LiteRT (.tflite)", "model.tflite", _build_tflite, _run_tflite,
                           TFLITE_SNIPPET, "ai-edge-litert numpy"),
}


# -- snippet parts: how to make an input, what to do with the output ----------------------------------

NOISE_PREPARE = """\
import numpy as np
x = np.random.default_rng().standard_normal((1, {{latent}})).astype(np.float32)  # the noise the generator draws from
"""

CLASSIFIER_OUTPUT = """\
labels = open("labels.txt", encoding="utf-8").read().splitlines()
print(labels[int(output.argmax())], f"{float(output.max()):.1%}")
"""

GAN_OUTPUT = """\
import numpy as np
from PIL import Image
pixels = ((output + 1) * 127.5).clip(0, 255).astype(np.uint8)  # the generator draws in [-1, 1]
Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save("generated.png")
print("generated.png", pixels.shape)
"""


def _prepare_code(run) -> str:
    if _task(run) == "gan":
        return _fill(NOISE_PREPARE, latent=_gan_info(run).get("latent_dim"))
    shape, _ = _input_description(run)
    return _modality(run).prepare_code(shape, _preprocessing(run), _example_name(run), export_dir(run.id))


def _assemble(header: str, *parts: str) -> str:
    """The parts as one script, their imports gathered at the top (standard library first)."""
    imports, body = [], []
    for part in parts:
        for line in part.splitlines():
            if line.startswith(("import ", "from ")):
                if line not in imports:
                    imports.append(line)
            else:
                body.append(line)

    def group(line):  # the standard library, then installed packages, then the studio's layers file
        module = line.split()[1].split(".")[0]
        return (module not in sys.stdlib_module_names) + (module == Path(LAYERS_MODULE).stem)
    imports.sort(key=group)
    return "\n".join([header, *imports, "", *body]).strip() + "\n"


# -- the run, its model and the inputs the check uses -------------------------------------------------

@dataclass
class _Samples:
    x: np.ndarray
    source: str                                   # where they come from: "the run's test set" or "random"
    example: object = None                        # one raw input for the snippets (image, text, features)


@functools.lru_cache(maxsize=2)
def _subject(run_id: str, model_mtime: int):
    """(model, sample inputs, the model's outputs on them), cached while the model file is unchanged."""
    run = _exportable_run(run_id)
    if _task(run) == "gan":  # the run's model is the generator; it has no labels to load
        import keras
        model = keras.saving.load_model(run.model_path, safe_mode=True)
    else:
        from core.inference import load_run_model
        model = load_run_model(run_id)[0]
    samples = _samples(run, model)
    return model, samples, np.asarray(model.predict_on_batch(samples.x), dtype=np.float64)


def _samples(run, model) -> _Samples:
    """The run's first test examples, encoded the way inference encodes them; random inputs if the
    data is gone (a deleted upload) or does not fit the model."""
    from core.data import DataError, load_dataset
    shape = tuple(model.inputs[0].shape[1:])
    dtype = np.dtype(str(model.inputs[0].dtype))
    preprocessing, modality = _preprocessing(run), _modality(run)
    if _task(run) != "gan":
        try:
            data = load_dataset(run.config["dataset"], run.config.get("dataset_params") or {})
            raw = data.x_test[:SAMPLES]
            x = modality.encode(raw, preprocessing, model)
        except (DataError, OSError, KeyError, ValueError):
            x = None
        if x is not None and x.shape[1:] == shape and len(x):
            return _Samples(x.astype(dtype), "the run's test set", raw[0])
        x = modality.random_inputs(np.random.default_rng(0), (SAMPLES, *shape), preprocessing).astype(dtype)
        return _Samples(x, "random", modality.example_from_random(x[0], preprocessing))
    x = np.random.default_rng(0).standard_normal((SAMPLES, *shape)).astype(dtype)  # the generator's noise
    return _Samples(x, "random", x[0])


def _write_support_files(run, model, samples: _Samples, folder: Path) -> None:
    """What the snippets and the package read: labels, card, preprocessing, the studio's layers, one example."""
    if _task(run) != "gan":
        _write_text(folder / "labels.txt", labels_txt(run))
    if (run.dir / "preprocessing.json").exists():
        shutil.copyfile(run.dir / "preprocessing.json", folder / "preprocessing.json")
    if _custom_layers(model):
        shutil.copyfile(Path(__file__).parent / "models" / "layers.py", folder / LAYERS_MODULE)
    _write_json(folder / "model_card.json", model_card(run, model))
    if _task(run) != "gan":
        _modality(run).write_example(folder / _example_name(run), samples.example)


def _example_name(run) -> str:
    return "" if _task(run) == "gan" else _modality(run).example_file


def _custom_layers(model) -> tuple[str, ...]:
    """Names of the studio's own layer classes the model uses (loading it elsewhere needs their code)."""
    return tuple(sorted({type(layer).__name__ for layer in model._flatten_layers()
                         if type(layer).__module__ == "core.models.layers"}))


def _input_description(run) -> tuple[list, str]:
    """(one example's shape, what the numbers are) from the run's files, without loading the model."""
    if _task(run) == "gan":
        latent = _gan_info(run).get("latent_dim")
        return [latent], f"{latent} numbers of noise drawn from a standard normal distribution."
    preprocessing = _preprocessing(run)
    shape = list(preprocessing.get("input_shape", []))
    return shape, _modality(run).describe_input(shape, preprocessing)


def _exportable_run(run_id: str):
    from core.runs import RunStore
    run = RunStore().get_run(run_id)
    if run is None:
        raise ExportError(f"There is no run '{run_id}': it was deleted or the id is mistyped. "
                          "Pick a run from the Runs page.")
    if run.is_active:
        raise ExportError(f"Run {run_id} is still {run.status}: export it when it has finished.")
    if not run.model_path.exists():
        why = f"it {run.status} before training ended" + (f" ({run.error})" if run.error else "")
        raise ExportError(f"Run {run_id} has no saved model to export: {why}. Train it again (Train page), "
                          "then export the new run.")
    return run


_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()


def _run_lock(run_id: str) -> threading.RLock:
    with _locks_guard:
        return _locks.setdefault(run_id, threading.RLock())


def _as_run(run):
    return _exportable_run(run) if isinstance(run, str) else run


def _task(run) -> str:
    return run.config.get("task", "classification")


def _preprocessing(run) -> dict:
    from core.inference import run_preprocessing
    return run_preprocessing(run) or {}


def _modality(run):
    from core.modalities import modality_of
    if _preprocessing(run).get("encoder"):  # a head on frozen sentence vectors (core/meaning/fewshot.py)
        from core.meaning.sentence_head import sentence_modality
        return sentence_modality()
    return modality_of(_preprocessing(run).get("kind"))


def _gan_info(run) -> dict:
    try:
        return json.loads((run.dir / "gan.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _read_manifest(folder: Path, model_mtime: int) -> dict:
    """What is already exported, valid only for the model file it was made from (same mtime)."""
    try:
        manifest = json.loads((folder / "export.json").read_text(encoding="utf-8"))
        if manifest.get("model_mtime_ns") == model_mtime:
            return manifest
    except (OSError, ValueError):
        pass
    return {"model_mtime_ns": model_mtime, "formats": {}}


def _export_from(run_id: str, fmt: str, entry: dict, cached: bool) -> Export:
    path = export_dir(run_id) / EXPORT_FORMATS[fmt].file_name
    return Export(run_id, fmt, path, path.stat().st_size, entry["check"], entry["seconds"], entry["snippet"], cached)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _first_line(err: Exception) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:400] + ' ...' if len(text) > 400 else text}"


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix}")


def _write_text(path: Path, text: str) -> None:
    _tmp(path).write_text(text, encoding="utf-8")
    os.replace(_tmp(path), path)


def _write_json(path: Path, data) -> None:
    _write_text(path, json.dumps(data, indent=2, ensure_ascii=False))
