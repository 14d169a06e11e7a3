"""A user's own `.keras` model, imported safely for use in the image, audio or text lab.

    imported = import_model(data, "my_cnn.keras", "image", labels=b"cat\\ndog\\n")
    list_imported_models("image")           # ModelInfo entries with keys "imported:<id>"
    model, labels, preprocessing, card = load_imported(imported.key)
    delete_imported(imported.key)

A model file from outside is untrusted input. Before Keras reads a byte of it, the file must be a
Keras 3 zip archive (`core.archive` refuses paths that escape their folder and zip bombs) whose
config.json names nothing but Keras's own layers and functions and the studio's registered layers:
no Lambda layer (it stores Python bytecode), no module outside Keras (Keras would look names up
there), no function Keras does not ship. Only then is it loaded with `safe_mode=True`, which is a
second, independent line of defence: a check missed here still meets Keras's own refusal.
Legacy `.h5` files are never opened: Keras ignores safe_mode for them.

Every refusal is a `ModelImportError` whose message says what was wrong and what to do. A model
that passes is stored under `<data dir>/imported/<generated id>/` (never under a name the user
chose) with its labels, its input preparation and a card, and the labs load it by key like a run.
"""
from __future__ import annotations

import functools
import inspect
import json
import re
import secrets
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core import archive as archive_lib
from core import paths
from core.catalog import IMPORTED_PREFIX
from core.modalities import LABS, modality_of
from core.modalities.base import InputRefused
from core.modalities.base import shape_text as _shape
from core.modalities.base import shown as _shown

MAX_MODEL_BYTES = 200 << 20        # a file over this is refused before it is opened
MAX_EXPANDED_BYTES = 512 << 20     # the archive's entries unzipped (Keras stores weights uncompressed)
MAX_CONFIG_BYTES = 16 << 20        # config.json of a large real model is well under 1 MB
MAX_CONFIG_DEPTH = 200             # nesting of config.json; real models stay under 30
MAX_SIDE_FILE_BYTES = 32 << 20     # labels and preprocessing.json (a vocabulary can be a few MB)
STUDIO_PACKAGE = "model_studio"    # the package the studio's custom layers are registered under
REQUIRED_ENTRIES = ("config.json", "metadata.json", "model.weights.h5")
# What Keras writes besides objects with a module: tensors and plain values, no code.
PLAIN_SPECIAL_CLASSES = {"__keras_tensor__", "__tensor__", "__numpy__", "__bytes__", "__ellipsis__", "__slice__"}
# Keras layers that carry code or reach outside the file; refused even though Keras ships them.
CODE_LAYERS = {
    "lambda": "stores Python code",
    "tfsmlayer": "loads a TensorFlow SavedModel from another path",
    "torchmodulewrapper": "stores a pickled PyTorch module",
    "jaxlayer": "stores a Python function",
    "flaxlayer": "stores a Python module",
}
# Parts of Keras a model never is: settings (enable_unsafe_deserialization), saving, file
# utilities (get_file). Keras refuses most of them itself since 3.9; refused here first all the same.
KERAS_NON_MODEL_MODULES = ("keras.config", "keras.saving", "keras.utils", "keras.export", "keras.legacy",
                           "keras.src.saving", "keras.src.utils", "keras.src.export", "keras.src.legacy")
_ID = re.compile(r"[0-9a-f]{16}")


class ModelImportError(ValueError):
    """The model file cannot be imported; the message says why and what to do."""


@dataclass
class ImportedModel:
    """An imported model as stored: its key for the labs, its labels, input preparation and card."""
    key: str
    title: str
    lab: str
    labels: list[str]
    preprocessing: dict = field(default_factory=dict)
    card: dict = field(default_factory=dict)


def import_model(data: bytes, filename: str, lab: str, labels: bytes | None = None,
                 labels_filename: str | None = None, preprocessing: bytes | None = None) -> ImportedModel:
    """Check an uploaded `.keras` file for `lab` ("image", "audio" or "text"), load it safely, store it.

    `labels`: optional labels.txt (one class name per line) or a JSON list. `preprocessing`: the
    preprocessing.json a studio run writes; required for text (the vocabulary), optional otherwise.
    """
    if lab not in LABS:
        raise ModelImportError(f"Unknown lab '{lab}'; use one of {', '.join(LABS)}.")
    name = display_name(filename)
    _check_file(data, str(filename or ""), name)
    entries = _read_archive(data, name)
    check_config(entries["config.json"])
    metadata = _json(entries["metadata.json"], "metadata.json", name)
    if not isinstance(metadata, dict):
        raise ModelImportError(f"Refused: metadata.json in '{name}' is not a Keras metadata record. "
                               "Save the model again with model.save('model.keras').")
    folder = imported_dir() / secrets.token_hex(8)
    folder.mkdir(parents=True)
    try:
        # The archive is written again from the checked entries only, so what Keras reads is
        # exactly what was checked.
        _write_archive(folder / "model.keras", entries)
        model = _load(folder / "model.keras")
        input_shape, output_shape = _check_shapes(model, lab)
        prep = _preprocessing(lab, input_shape, preprocessing)
        prep["outputs"] = _probe_outputs(model, lab, prep)
        class_names = _labels(labels, labels_filename, output_shape[-1])
        card = _card(name, lab, model, input_shape, output_shape, prep, class_names, len(data), metadata)
        (folder / "labels.json").write_text(json.dumps(class_names), encoding="utf-8")
        (folder / "preprocessing.json").write_text(json.dumps(prep), encoding="utf-8")
        (folder / "card.json").write_text(json.dumps(card), encoding="utf-8")  # last: a folder with a card is complete
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return ImportedModel(IMPORTED_PREFIX + folder.name, card["title"], lab, class_names, prep, card)


def list_imported_models(lab: str) -> list:
    """Every model imported into `lab`, as `core.catalog.ModelInfo`, newest first."""
    from core.catalog import ModelInfo
    models = []
    for folder in imported_dir().iterdir():
        card = _stored_card(folder) if _ID.fullmatch(folder.name) else None
        if card and card.get("lab") == lab:
            models.append(((folder / "card.json").stat().st_mtime, ModelInfo(IMPORTED_PREFIX + folder.name,
                                                             f"Imported: {card['title']}", "imported", card)))
    return [info for _, info in sorted(models, key=lambda pair: -pair[0])]


class ImportedSource:
    """The catalogue's "imported:" models: users' own .keras files, checked and stored here."""

    def list(self, task: str, store=None) -> list:
        return list_imported_models(task)

    def load(self, key: str, progress=None, calibrated: bool = True, **_):
        from core.inference import wrap
        model, labels, preprocessing, card = load_imported(key)  # outputs probabilities, also for logits
        return wrap(card.get("lab") or preprocessing.get("kind"), model, labels, preprocessing, card,
                    calibrated=calibrated)

    def task_of(self, key: str) -> str | None:
        try:
            return (_stored_card(_folder(key)) or {}).get("lab")
        except KeyError:
            return None


IMPORTED_SOURCE = ImportedSource()


def load_imported(key: str):
    """(Keras model, class names, preprocessing, card) of an imported model.

    The model is loaded with safe_mode again, and its config checked again: the folder is the
    studio's, but checking costs milliseconds. A model that outputs logits comes back with a
    softmax on top, so every lab reads probabilities.
    """
    folder = _folder(key)
    card = _stored_card(folder)
    if card is None:
        raise FileNotFoundError(f"No imported model '{key}' (deleted?). Import it again.")
    with archive_lib.open_zip(folder / "model.keras") as archive:
        check_config(archive_lib.read_entry(archive, "config.json"))
    model = _load(folder / "model.keras")
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    preprocessing = json.loads((folder / "preprocessing.json").read_text(encoding="utf-8"))
    if preprocessing.get("outputs") == "logits":
        import keras
        model = keras.Model(model.inputs, keras.layers.Softmax(name="logits_to_probabilities")(model.outputs[0]))
    return model, labels, preprocessing, card


def delete_imported(key: str) -> None:
    shutil.rmtree(_folder(key), ignore_errors=True)


def image_normalizer(preprocessing: dict):
    """The function from raw 0-255 pixels to what an image model takes (None: as they are)."""
    return modality_of("image").normalizer(preprocessing)


def imported_dir() -> Path:
    path = paths.data_dir() / "imported"
    path.mkdir(parents=True, exist_ok=True)
    return path


def display_name(filename: str) -> str:
    """The uploaded file's name, for display only: no folders, no markup, at most 80 characters."""
    base = re.split(r"[\\/]", str(filename or ""))[-1]
    cleaned = re.sub(r"\s+", " ", re.sub(r"[^\w .()+-]", " ", base))
    cleaned = re.sub(r" (?=\.)", "", cleaned).strip()[:80]
    return cleaned or "model"


# -- the config check ------------------------------------------------------------------------------

def check_config(config_json: bytes | str) -> dict:
    """The parsed config.json, or ModelImportError at the first thing in it that could run code.

    Walks every dict and list: sub-models, wrappers (TimeDistributed, Bidirectional), activations,
    initializers and the compile config alike, so nesting hides nothing.
    """
    import core.models.layers  # noqa: F401 - registers the studio's layers, which are allowed
    if len(config_json) > MAX_CONFIG_BYTES:
        raise ModelImportError(f"Refused: config.json is {len(config_json) >> 20} MB; the limit is "
                               f"{MAX_CONFIG_BYTES >> 20} MB. No real model's architecture is that large.")
    try:
        config = json.loads(config_json, object_pairs_hook=_no_duplicate_keys)
    except (ValueError, RecursionError) as err:
        raise ModelImportError(f"Refused: config.json is not valid JSON ({_short(err)}). "
                               "Save the model again with model.save('model.keras').") from err
    if not isinstance(config, dict) or "class_name" not in config:
        raise ModelImportError("Refused: config.json does not describe a Keras model. "
                               "Save the model again with model.save('model.keras').")
    _walk(config, "the model", 0)
    return config


def _walk(node, where: str, depth: int) -> None:
    if depth > MAX_CONFIG_DEPTH:
        raise ModelImportError(f"Refused: config.json is nested more than {MAX_CONFIG_DEPTH} levels deep; "
                               "no real model is. Save the model again with model.save('model.keras').")
    if isinstance(node, list):
        for item in node:
            _walk(item, where, depth + 1)
    elif isinstance(node, dict):
        if "class_name" in node:
            where = _check_object(node, where)
        for value in node.values():
            _walk(value, where, depth + 1)


def _check_object(node: dict, where: str) -> str:
    """Refuse a serialized object that is not Keras's or the studio's; returns where the walk is now."""
    class_name, module = node.get("class_name"), node.get("module")
    registered = node.get("registered_name")
    config = node.get("config")
    if not isinstance(class_name, str) or not isinstance(module, (str, type(None))) \
            or not isinstance(registered, (str, type(None))):
        raise ModelImportError(f"Refused: {where} holds a malformed object ({_shown(class_name)}). "
                               "Save the model again with model.save('model.keras').")
    if isinstance(config, dict) and isinstance(config.get("name"), str) \
            and ("trainable" in config or "batch_shape" in config):  # layers and models, not initializers
        where = f"layer '{_shown(config['name'])}' ({_shown(class_name)})"
    code_layer = CODE_LAYERS.get(class_name.lower()) or CODE_LAYERS.get(str(registered).lower())
    if code_layer:
        name = f" '{_shown(config['name'])}'" if isinstance(config, dict) and config.get("name") else ""
        raise ModelImportError(
            f"Refused: the model has a {_shown(class_name)} layer{name}, which {code_layer}. The studio "
            "never runs code from an uploaded file. Rebuild the model with built-in Keras layers "
            "instead, save it with model.save('model.keras') and upload it again.")
    if class_name == "__lambda__":
        raise ModelImportError(
            f"Refused: {where} holds a Python lambda (serialized code). The studio never runs code from "
            "an uploaded file. Use a built-in Keras activation or layer, save again and re-upload.")
    if class_name.startswith("__"):
        if class_name not in PLAIN_SPECIAL_CLASSES:
            raise ModelImportError(f"Refused: {where} holds a '{_shown(class_name)}' object, which the studio "
                                   "does not load from uploaded files.")
        return where
    if class_name == "function":
        _check_function(node, where)
        return where
    if module is not None and not _is_keras_module(module) and module not in _studio_modules():
        raise ModelImportError(_outside_keras(where, f"{module}.{class_name}"))
    if module is not None and _is_keras_module(module) and module.startswith(KERAS_NON_MODEL_MODULES):
        raise ModelImportError(_not_a_model_part(where, f"{module}.{class_name}"))
    if registered is not None and registered != class_name and not _is_studio_object(registered):
        raise ModelImportError(
            f"Refused: {where} needs the custom object '{_shown(registered)}', which is neither part of "
            "Keras nor one of the studio's layers. Custom code cannot be loaded from an uploaded file; "
            "rebuild the model with built-in Keras layers, save again and re-upload.")
    if module in _studio_modules() and not _is_studio_object(registered):
        raise ModelImportError(_outside_keras(where, f"{module}.{class_name}"))
    return where


def _check_function(node: dict, where: str) -> None:
    """A function reference: allowed only for Keras's activations, losses and metrics, or the studio's."""
    module, name = node.get("module"), node.get("config")
    if not isinstance(name, str):
        raise ModelImportError(f"Refused: {where} holds a malformed function reference. "
                               "Save the model again with model.save('model.keras').")
    if _is_studio_object(name):
        return
    if module not in (None, "builtins") and not _is_keras_module(module):
        raise ModelImportError(_outside_keras(where, f"{module}.{name}"))
    if module not in (None, "builtins", "keras.activations", "keras.losses", "keras.metrics") \
            or name not in _keras_functions():
        raise ModelImportError(
            f"Refused: {where} uses the function '{_shown(f'{module}.{name}')}', which is not a Keras "
            "activation, loss or metric. A function from elsewhere could run arbitrary code. Use a "
            "built-in Keras activation (e.g. 'relu', 'softmax'), save again and re-upload.")


def _not_a_model_part(where: str, value: str) -> str:
    return (f"Refused: {where} refers to '{_shown(value)}', a part of Keras that is not a layer, model or "
            "function of a model (settings, saving, file utilities). A model file never needs it. Save the "
            "model again with model.save('model.keras') and re-upload.")


def _outside_keras(where: str, value: str) -> str:
    return (f"Refused: {where} refers to '{_shown(value)}', which is outside Keras. An uploaded model may only "
            "use Keras's own layers and functions (and the studio's layers): a name from another module "
            "could run arbitrary code. Rebuild the model with built-in Keras layers and activations, "
            "save it with model.save('model.keras') and upload it again.")


def _is_keras_module(module: str) -> bool:
    return module == "keras" or module.startswith("keras.")


def _is_studio_object(name) -> bool:
    import keras
    return isinstance(name, str) and name.startswith(STUDIO_PACKAGE + ">") \
        and keras.saving.get_registered_object(name) is not None


def _studio_modules() -> frozenset:
    """Python modules of the studio's registered layers (Keras writes them as `module`)."""
    import keras
    return frozenset(getattr(obj, "__module__", None) for key, obj in keras.saving.get_custom_objects().items()
                     if key.startswith(STUDIO_PACKAGE + ">"))


@functools.lru_cache(maxsize=1)
def _keras_functions() -> frozenset:
    """Names Keras resolves for `{"module": "builtins", "class_name": "function"}`: its activations,
    losses and metrics (what `model.save` writes for e.g. loss=keras.losses.mse), minus the helpers."""
    import keras
    names = {name for module in (keras.activations, keras.losses, keras.metrics)
             for name, obj in vars(module).items() if not name.startswith("_") and inspect.isfunction(obj)}
    return frozenset(names - {"get", "serialize", "deserialize"})


def _no_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError(f"a key appears twice ({sorted({k for k in keys if keys.count(k) > 1})[0]})")
    return dict(pairs)


# -- file and archive ------------------------------------------------------------------------------

def _check_file(data: bytes, filename: str, name: str) -> None:
    suffix = Path(filename).suffix.lower()
    if suffix in (".h5", ".hdf5"):
        raise ModelImportError(
            f"Refused: '{name}' is a legacy HDF5 model. That format can carry code that runs when it is "
            "loaded, and Keras cannot load it safely, so the studio never opens it. Re-save it as .keras "
            "with model.save('model.keras') and upload that file.")
    if suffix != ".keras":
        raise ModelImportError(
            f"Refused: '{name}' is not a .keras file. Only Keras 3 model files can be imported: save the "
            "model with model.save('model.keras') and upload that file.")
    if len(data) > MAX_MODEL_BYTES:
        raise ModelImportError(f"Refused: '{name}' is {len(data) / 2**20:.1f} MB; the limit is "
                               f"{MAX_MODEL_BYTES >> 20} MB. Import a smaller model.")
    if not data:
        raise ModelImportError(f"Refused: '{name}' is empty (0 bytes). Upload the .keras file again.")


def _read_archive(data: bytes, name: str) -> dict[str, bytes]:
    """The archive's entries by name, once it is a safe zip that looks like a Keras 3 model file."""
    try:
        archive = archive_lib.open_zip(data)
        infos = archive_lib.safe_entries(archive, max_total=MAX_EXPANDED_BYTES)
    except archive_lib.ArchiveError as err:
        reason = str(err).removeprefix("Refused: ")
        raise ModelImportError(f"Refused: '{name}' is not a usable Keras model file: {reason[0].lower()}{reason[1:]} "
                               "A .keras file is a zip written by model.save('model.keras').") from err
    names = [info.filename for info in infos]
    if len(names) != len(set(names)):
        raise ModelImportError(f"Refused: '{name}' holds two entries with the same name, which a file "
                               "written by Keras never does. Save the model again with model.save('model.keras').")
    missing = [entry for entry in REQUIRED_ENTRIES if entry not in names]
    if missing:
        raise ModelImportError(
            f"Refused: '{name}' does not look like a Keras 3 model file: it lacks {', '.join(missing)}. "
            "Save the model with Keras 3's model.save('model.keras') and upload that file.")
    extra = [entry for entry in names if entry not in REQUIRED_ENTRIES and not entry.startswith("assets/")]
    if extra:
        raise ModelImportError(
            f"Refused: '{name}' holds files a Keras model file never holds ({', '.join(map(_shown, extra[:5]))}). "
            "Save the model with model.save('model.keras') and upload that file.")
    config = next(info for info in infos if info.filename == "config.json")
    if config.file_size > MAX_CONFIG_BYTES:
        raise ModelImportError(f"Refused: config.json is {config.file_size >> 20} MB; the limit is "
                               f"{MAX_CONFIG_BYTES >> 20} MB. No real model's architecture is that large.")
    try:
        return {info.filename: archive_lib.read_entry(archive, info) for info in infos}
    except archive_lib.ArchiveError as err:
        raise ModelImportError(f"Refused: '{name}' is damaged ({err}). Save the model again and re-upload.") from err


def _write_archive(path: Path, entries: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for entry, content in entries.items():
            archive.writestr(entry, content)


def _load(path: Path):
    """keras.models.load_model with safe_mode, also when something enabled unsafe deserialization."""
    import keras
    from keras.src.saving.serialization_lib import SafeModeScope

    import core.models.layers  # noqa: F401 - registers the studio's custom layers for loading
    try:
        with SafeModeScope(True):
            model = keras.models.load_model(path, safe_mode=True, compile=False)  # inference only
    except Exception as err:
        raise ModelImportError(f"Refused: Keras could not load the model safely ({_short(err)}). "
                               "Check that it loads with keras.models.load_model('model.keras') in Keras 3, "
                               "save it again and re-upload.") from err
    if not isinstance(model, keras.Model):
        raise ModelImportError("Refused: the file holds a Keras object that is not a model.")
    return model


def _json(content: bytes, what: str, name: str):
    try:
        return json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ModelImportError(f"Refused: {what} in '{name}' is not valid JSON ({_short(err)}).") from err


# -- shapes, preparation, labels -------------------------------------------------------------------

def _check_shapes(model, lab: str) -> tuple[tuple, tuple]:
    """(input shape, output shape) once they fit `lab`; both shown in every refusal."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ModelImportError(f"Refused: the model has {len(model.inputs)} inputs and {len(model.outputs)} "
                               "outputs; a lab needs exactly one input and one output (class scores).")
    input_shape, output_shape = tuple(model.inputs[0].shape), tuple(model.outputs[0].shape)
    shapes = f"the model takes {_shape(input_shape)} and outputs {_shape(output_shape)}"
    if len(output_shape) != 2 or output_shape[1] is None or output_shape[1] < 2:
        raise ModelImportError(f"Refused: {shapes}; a lab needs one score per class, shaped (None, classes) "
                               "with at least 2 classes.")
    expected = modality_of(lab).import_shape_problem(input_shape)
    if expected:
        raise ModelImportError(f"Refused: {shapes}; the {lab} lab needs input {expected}. "
                               f"Import it into the lab it was made for.")
    return input_shape, output_shape


def _preprocessing(lab: str, input_shape: tuple, content: bytes | None) -> dict:
    """What the lab does to an input before the model: studio conventions, or the uploaded file's."""
    given = _side_json(content, "preprocessing.json") if content is not None else None
    if given is not None and not isinstance(given, dict):
        raise ModelImportError("Refused: preprocessing.json must be a JSON object like the one a studio run writes.")
    given = given or {}
    prep = {"kind": lab, "input_shape": [int(side) if side is not None else None for side in input_shape[1:]]}
    try:
        return dict(prep, **modality_of(lab).import_preprocessing(given, input_shape))
    except InputRefused as err:
        raise ModelImportError(str(err)) from err


def _probe_outputs(model, lab: str, prep: dict) -> str:
    """Run two made-up inputs through the model: "probabilities" when every output row is
    non-negative and sums to 1 (a softmax), else "logits" (the lab applies a softmax).

    The run also proves that the model works on the lab's inputs (for text: every id of the vocabulary).
    """
    rng = np.random.default_rng(0)
    shape = (2, *prep["input_shape"])
    x = modality_of(lab).probe_inputs(rng, shape, prep)
    try:
        out = np.asarray(model.predict_on_batch(x), dtype=np.float64)
    except Exception as err:
        raise ModelImportError(f"Refused: the model failed on an input shaped for the {lab} lab ({_short(err)})."
                               + modality_of(lab).probe_hint()) from err
    if not np.all(np.isfinite(out)):
        raise ModelImportError("Refused: the model outputs NaN or infinite values on a test input.")
    probabilities = np.all(out >= -1e-6) and np.allclose(out.sum(axis=1), 1.0, atol=1e-3)
    return "probabilities" if probabilities else "logits"


def _labels(content: bytes | None, filename: str | None, classes: int) -> list[str]:
    """Class names from labels.txt (one per line) or a JSON list; "class 0".. when none are given."""
    if content is None:
        return [f"class {i}" for i in range(classes)]
    if len(content) > MAX_SIDE_FILE_BYTES:
        raise ModelImportError(f"Refused: the labels file is over {MAX_SIDE_FILE_BYTES >> 20} MB.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ModelImportError("Refused: the labels file is not UTF-8 text. Save it as UTF-8 "
                               "(one class name per line) and upload it again.") from err
    if (filename or "").lower().endswith(".json") or text.lstrip().startswith("["):
        names = _side_json(content, "the labels file")
        if not isinstance(names, list) or not all(isinstance(n, (str, int, float)) for n in names):
            raise ModelImportError("Refused: a JSON labels file must be a list of class names, "
                                   'e.g. ["cat", "dog"].')
        names = [str(n).strip() for n in names]
    else:
        names = [line.strip() for line in text.splitlines() if line.strip()]
    if len(names) != classes:
        raise ModelImportError(f"Refused: the labels file names {len(names)} classes but the model outputs "
                               f"{classes} scores. Give exactly one label per output, in output order.")
    return names


def _side_json(content: bytes, what: str):
    if len(content) > MAX_SIDE_FILE_BYTES:
        raise ModelImportError(f"Refused: {what} is over {MAX_SIDE_FILE_BYTES >> 20} MB.")
    try:
        return json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ModelImportError(f"Refused: {what} is not valid JSON ({_short(err)}).") from err


def _card(name: str, lab: str, model, input_shape, output_shape, prep: dict, labels: list[str],
          size: int, metadata: dict) -> dict:
    """A model card like a run's; every value is a display string or list (the pages print it)."""
    title = re.sub(r"\.keras$", "", name, flags=re.IGNORECASE).replace("_", " ").strip() or "model"
    preparation = modality_of(lab).preparation_text(prep)
    return {"title": title, "lab": lab, "classes": labels, "number of classes": len(labels),
            "input shape": _shape(input_shape), "output shape": _shape(output_shape),
            "outputs": "probabilities (the model ends in a softmax)" if prep["outputs"] == "probabilities"
            else "logits, assumed: the studio applies a softmax to turn them into probabilities",
            "input preparation": preparation,
            "accuracy": "not measured here (imported model)", "parameters": f"{model.count_params():,}",
            "file size": f"{size / 2**20:.1f} MB", "weights licence": "unknown: as given by whoever made the file",
            "source": f"imported from {name}" + (f" (saved with Keras {_shown(metadata['keras_version'])})"
                                                 if metadata.get("keras_version") else ""),
            "imported at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


# -- small helpers ---------------------------------------------------------------------------------

def _folder(key: str) -> Path:
    model_id = key[len(IMPORTED_PREFIX):] if key.startswith(IMPORTED_PREFIX) else ""
    if not _ID.fullmatch(model_id):  # the id comes back from a page: never let it name another path
        raise KeyError(f"Unknown imported model '{key}'.")
    return imported_dir() / model_id


def _stored_card(folder: Path) -> dict | None:
    try:
        card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return card if isinstance(card, dict) and (folder / "model.keras").exists() else None


def _short(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text[:300] + (" …" if len(text) > 300 else "")
