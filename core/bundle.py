"""Project bundles: every run (config, curves, results) and its model in one zip, for another studio.

    export = export_bundle()                      # <data dir>/exports/model-studio-<time>.zip
    report = import_bundle(export.path)           # on the other machine: bytes or a path
    report.imported, report.skipped               # ids; {id: why} for runs left as they were

Layout of a bundle (format "model-studio-bundle", version 1):

    manifest.json              format, version, when, Keras/TensorFlow versions, and per run
                               its files with their sizes and SHA-256
    runs/<id>/run.json         the run's row in the store: name, status, config, times, results...
    runs/<id>/metrics.csv      every metric row: kind, epoch, step, time, name, value
    runs/<id>/model.keras      and novelty.npz ("None of these"), labels.json, preprocessing.json,
                               config.json, layer_stats.jsonl, gan.json, error.txt; a fine-tune's
                               adapter.npz (its model), answers.jsonl and base.json,
                               samples/epoch_NNN.npy when the run has them

Left out: what only matters while training or on this machine (checkpoint.keras or .npz and its .json, tensorboard/,
runner.log, STOP), and runs still queued or training.

A bundle comes from outside, so importing it trusts nothing: the zip passes `core.archive`'s
traversal and zip-bomb checks, every entry name must be one a studio writes, every file must be
listed in the manifest and match its size and SHA-256, run ids must look like the studio's, and
run.json and metrics.csv are parsed strictly. Everything is checked and extracted into a temporary
folder before anything lands in the studio; then the folders are moved into place and the rows
inserted in one transaction, so an import lands whole or not at all. A run whose id is already in
this studio is skipped and left exactly as it was: an import never overwrites.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import secrets
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from core import paths
from core.archive import ArchiveError, open_zip, read_entry, safe_entries
from core.runs import ACTIVE_STATUSES, FINAL_STATUSES, INTERRUPTED, RunStore

FORMAT = "model-studio-bundle"
FORMAT_VERSION = 1

# Import limits. Module constants (read at call time) so a test can lower them.
MAX_BUNDLE_BYTES = 4 << 30      # expanded; transfer-learning models are ~20 MB each
MAX_ENTRIES = 50_000            # GAN runs add one small sample file per epoch
MAX_METADATA_BYTES = 16 << 20   # manifest.json, run.json and the small JSON files, read into memory

# What a run folder holds that is worth carrying to another machine.
RUN_FILES = ("model.keras", "novelty.npz", "adapter.npz", "labels.json", "preprocessing.json", "config.json",
             "layer_stats.jsonl", "gan.json", "answers.jsonl", "base.json", "error.txt")
# Left out of a bundle without models (the novelty check reads the model; a fine-tune's model is its adapters).
MODEL_FILES = ("model.keras", "novelty.npz", "adapter.npz")
SAMPLE_FILE = re.compile(r"samples/epoch_\d{3,5}\.npy")
RUN_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{4}")  # RunStore.create_run: %Y%m%d-%H%M%S-<4 hex>
_ENTRY = re.compile(r"runs/(?P<id>[^/]+)/(?P<file>.+)")
_META_FILES = ("run.json", "metrics.csv")        # the bundle's own files, not run-folder files
METRIC_COLUMNS = ["kind", "epoch", "step", "time", "name", "value"]
METRIC_KINDS = ("batch", "epoch")
_RECORD_KEYS = {"id", "name", "status", "config", "created_at", "started_at", "ended_at",
                "stop_requested", "progress", "results", "error"}
_INTEGER = re.compile(r"-?\d{1,18}")
# Python's repr of a float, and nothing else: no '1_000', ' 5', '0x1p3' that float() would accept.
_FLOAT = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|nan|inf|-inf")
_CHUNK = 1 << 20


class BundleError(ValueError):
    """A bundle cannot be exported or imported; the message says what is wrong and what to do."""


@dataclass
class BundleExport:
    path: Path                                             # the zip, on disk
    run_ids: list[str]                                     # the runs it holds
    left_out: dict[str, str] = field(default_factory=dict)  # run id -> why it is not in the bundle
    size: int = 0                                          # bytes

    @property
    def summary(self) -> str:
        text = f"Exported {_runs(len(self.run_ids))} to {self.path.name} ({self.size / 2**20:.1f} MB)."
        if self.left_out:
            text += f" Left out {_runs(len(self.left_out))} still training: stop them or let them finish."
        return text


@dataclass
class BundleReport:
    imported: list[str] = field(default_factory=list)    # run ids now in this studio
    skipped: dict[str, str] = field(default_factory=dict)  # run id -> why it was not imported
    notes: list[str] = field(default_factory=list)      # worth knowing, e.g. a newer Keras made it

    @property
    def summary(self) -> str:
        text = f"Imported {_runs(len(self.imported))}."
        if self.skipped:
            reasons = sorted(set(self.skipped.values()))
            text += f" Skipped {_runs(len(self.skipped))} ({'; '.join(reasons)})."
        return " ".join([text, *self.notes])


def export_bundle(run_ids: list[str] | None = None, include_models: bool = True,
                  progress=None) -> BundleExport:
    """Write the runs (all of them by default) into a new zip under `<data dir>/exports/`.

    Streamed file by file to disk, never the whole zip in memory. Runs still queued or training are
    left out (see `BundleExport.left_out`): their files are still changing. `include_models=False`
    leaves out the model files (a much smaller bundle of configs and curves). `progress(done,
    total)` is called after every file written.
    """
    store = RunStore()
    if run_ids is None:
        runs = sorted(store.list_runs(), key=lambda run: (run.created_at, run.id))
    else:
        runs = []
        for run_id in dict.fromkeys(run_ids):  # each run once, in the order given
            run = store.get_run(run_id)
            if run is None:
                raise BundleError(f"There is no run with id {run_id} in this studio (deleted?).")
            runs.append(run)
    left_out = {run.id: "still training (queued or running)" for run in runs if run.is_active}
    runs = [run for run in runs if not run.is_active]
    if not runs:
        raise BundleError("Nothing to export: there are no finished runs"
                          + (" (the selected ones are still training)." if left_out else "."))

    files = {run.id: _artefacts(run.dir, include_models) for run in runs}
    total, done = sum(len(f) + len(_META_FILES) for f in files.values()), 0
    exports = paths.data_dir() / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    target = _free_name(exports, "model-studio-" + time.strftime("%Y%m%d-%H%M%S"), ".zip")
    partial = exports / f".{target.name}.{secrets.token_hex(4)}.part"  # never a half-written export
    manifest_runs = []
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for run in runs:
                listed = {}
                record = store.export_record(run.id)
                listed["run.json"] = _write_bytes(archive, f"runs/{run.id}/run.json",
                                                  json.dumps(record, indent=2).encode())
                listed["metrics.csv"] = _write_bytes(archive, f"runs/{run.id}/metrics.csv",
                                                     _metrics_csv(store.metrics(run.id)))
                done += 2
                _report(progress, done, total)
                for name in files[run.id]:
                    listed[name] = _write_file(archive, f"runs/{run.id}/{name}", run.dir / name)
                    done += 1
                    _report(progress, done, total)
                manifest_runs.append({"id": run.id, "name": run.name, "status": run.status, "files": listed})
            manifest = {
                "format": FORMAT, "version": FORMAT_VERSION,
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "keras": _version("keras"), "tensorflow": _version("tensorflow"),
                "include_models": include_models, "runs": manifest_runs,
                "left_out": [{"id": run_id, "reason": reason} for run_id, reason in left_out.items()]}
            archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return BundleExport(target, [run.id for run in runs], left_out, target.stat().st_size)


def import_bundle(source: bytes | str | Path, progress=None) -> BundleReport:
    """Add the runs of a bundle to this studio; runs whose id it already has are skipped, untouched.

    Raises BundleError, with nothing written, for anything that is not a sound bundle: not a zip,
    no manifest, a newer format, an entry outside its folder or not a file a studio writes, a zip
    bomb, a file whose size or SHA-256 differs from the manifest, a malformed run.json or
    metrics.csv. `progress(done, total)` is called after every file checked and extracted.
    """
    try:
        archive = open_zip(source)
        entries = safe_entries(archive, max_total=MAX_BUNDLE_BYTES, max_entries=MAX_ENTRIES)
    except ArchiveError as err:
        raise BundleError(f"{err} This file cannot be imported as a Model Studio bundle.") from err
    with archive:
        by_name = _check_names(entries)
        manifest = _read_manifest(archive, by_name)
        runs = _check_manifest(manifest, by_name)
        report = BundleReport(notes=_version_notes(manifest))

        store = RunStore()
        for run_id in list(runs):
            if store.get_run(run_id) is not None or paths.run_dir(run_id).exists():
                report.skipped[run_id] = "already in this studio"
                del runs[run_id]
        if not runs:
            return report
        needed = sum(spec["size"] for files in runs.values() for spec in files.values())
        free = shutil.disk_usage(paths.data_dir()).free
        if needed + (256 << 20) > free:
            raise BundleError(f"Not enough disk space: the bundle needs {needed / 2**20:,.0f} MB, "
                              f"{free / 2**20:,.0f} MB are free. Free some space and import it again.")

        _remove_stale_imports()
        staging = paths.data_dir() / f".import-{secrets.token_hex(6)}"
        moved: list[Path] = []
        try:
            records = []
            total, done = sum(len(files) for files in runs.values()), 0
            for run_id, files in runs.items():
                folder = staging / "runs" / run_id
                folder.mkdir(parents=True)  # a run may have no files at all (stopped while queued)
                meta = staging / "meta" / run_id
                meta.mkdir(parents=True)
                for name, spec in files.items():
                    dest = (meta if name in _META_FILES else folder) / name
                    _extract(archive, by_name[f"runs/{run_id}/{name}"], spec, dest)
                    done += 1
                    _report(progress, done, total)
                _check_run_files(run_id, folder)
                records.append((_read_record(run_id, meta / "run.json"),
                                _read_metrics(run_id, meta / "metrics.csv")))
            # Everything is checked: move the folders in, then insert all rows in one transaction.
            for run_id in runs:
                target = paths.run_dir(run_id)
                if target.exists():  # appeared since we looked: still never overwrite
                    raise BundleError(f"Run {run_id} appeared in this studio during the import; "
                                      "nothing was imported. Import the bundle again.")
                os.replace(staging / "runs" / run_id, target)
                moved.append(target)
            store.import_records(records)
        except BaseException:
            for target in moved:  # ours: these ids did not exist before this import
                shutil.rmtree(target, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        report.imported = list(runs)
        return report


# -- export helpers -------------------------------------------------------------------------------
def _artefacts(run_dir: Path, include_models: bool) -> list[str]:
    """The run folder's files worth carrying, as names relative to the folder."""
    names = [name for name in RUN_FILES if (include_models or name not in MODEL_FILES)
             and _plain_file(run_dir / name)]
    samples = run_dir / "samples"
    if samples.is_dir():
        names += sorted(f"samples/{p.name}" for p in samples.iterdir()
                        if SAMPLE_FILE.fullmatch(f"samples/{p.name}") and _plain_file(p))
    return names


def _plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()  # a link could point anywhere on this machine


def _metrics_csv(metrics) -> bytes:
    """Metrics as CSV, floats written with repr so they read back bit for bit; NULL as empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(METRIC_COLUMNS)
    for kind, epoch, step, elapsed, name, value in zip(*(metrics[c] for c in METRIC_COLUMNS)):
        missing = value is None or value != value
        writer.writerow([kind, int(epoch), int(step), repr(float(elapsed)), name,
                         "" if missing else repr(float(value))])
    return out.getvalue().encode()


def _write_bytes(archive: zipfile.ZipFile, name: str, data: bytes) -> dict:
    archive.writestr(name, data)
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _write_file(archive: zipfile.ZipFile, name: str, path: Path) -> dict:
    info = zipfile.ZipInfo.from_file(path, name, strict_timestamps=False)
    # Trained weights barely compress (measured: 7 % smaller, 30x slower than storing them as is).
    info.compress_type = zipfile.ZIP_STORED if name.endswith(".keras") else zipfile.ZIP_DEFLATED
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as src, archive.open(info, "w", force_zip64=info.file_size > 1 << 31) as out:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return {"size": size, "sha256": digest.hexdigest()}


def _free_name(folder: Path, stem: str, suffix: str) -> Path:
    path, n = folder / f"{stem}{suffix}", 2
    while path.exists():  # two exports in the same second
        path, n = folder / f"{stem}-{n}{suffix}", n + 1
    return path


# -- import helpers -------------------------------------------------------------------------------
def _check_names(entries: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
    """Every file in the zip must be the manifest or a file a studio writes, under a valid run id."""
    by_name = {}
    for info in entries:
        name = info.filename
        if name in by_name:
            raise BundleError(f"Refused: the bundle holds '{name}' twice; it was not made by Model Studio.")
        if name != "manifest.json":
            match = _ENTRY.fullmatch(name)
            if not match:
                raise BundleError(f"Refused: the bundle holds '{name}', which is not a file Model Studio "
                                  "writes. Only bundles exported by Model Studio can be imported.")
            _check_run_id(match["id"], name)
            _check_file_name(match["file"], name)
        by_name[name] = info
    return by_name


def _check_run_id(run_id, entry: str) -> None:
    if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
        raise BundleError(f"Refused: '{entry}' names the run id {run_id!r}, which is not a Model Studio "
                          "run id (like 20250101-120000-ab12).")


def _check_file_name(name, entry: str) -> None:
    if not isinstance(name, str) or not (name in RUN_FILES or name in _META_FILES or SAMPLE_FILE.fullmatch(name)):
        raise BundleError(f"Refused: the bundle holds '{entry}', which is not a file Model Studio writes "
                          f"in a run folder (allowed: {', '.join(_META_FILES + RUN_FILES)}, "
                          "samples/epoch_NNN.npy).")


def _read_manifest(archive: zipfile.ZipFile, by_name: dict) -> dict:
    info = by_name.get("manifest.json")
    if info is None:
        raise BundleError("This zip is not a Model Studio bundle: it has no manifest.json. Export a "
                          "bundle from the Runs page of the other studio and import that file.")
    if info.file_size > MAX_METADATA_BYTES:
        raise BundleError(f"Refused: manifest.json is {info.file_size / 2**20:.0f} MB; a bundle's is a few kB.")
    try:
        manifest = json.loads(read_entry(archive, info))
    except ArchiveError as err:
        raise BundleError(f"manifest.json is corrupted ({err}). Export the bundle again.") from err
    except ValueError as err:
        raise BundleError(f"manifest.json is not valid JSON ({err}). Export the bundle again.") from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError("This zip is not a Model Studio bundle: its manifest.json does not say "
                          f"format '{FORMAT}'.")
    version = manifest.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise BundleError(f"manifest.json has an invalid format version {version!r}.")
    if version > FORMAT_VERSION:
        raise BundleError(f"This bundle was made by a newer Model Studio (bundle format version {version}; "
                          f"this studio reads version {FORMAT_VERSION}). Update Model Studio and import it again.")
    return manifest


def _check_manifest(manifest: dict, by_name: dict) -> dict[str, dict[str, dict]]:
    """{run id: {file name: {size, sha256}}}, once the manifest and the zip agree exactly."""
    listed = manifest.get("runs")
    if not isinstance(listed, list):
        raise BundleError("manifest.json has no list of runs. Export the bundle again.")
    runs: dict[str, dict[str, dict]] = {}
    for entry in listed:
        run_id = entry.get("id") if isinstance(entry, dict) else None
        _check_run_id(run_id, "manifest.json")
        if run_id in runs:
            raise BundleError(f"manifest.json lists run {run_id} twice.")
        files = entry.get("files")
        if not isinstance(files, dict) or not all(name in files for name in _META_FILES):
            raise BundleError(f"manifest.json: run {run_id} must list its files, run.json and metrics.csv included.")
        for name, spec in files.items():
            zip_name = f"runs/{run_id}/{name}"
            _check_file_name(name, zip_name)
            if not (isinstance(spec, dict) and isinstance(spec.get("size"), int) and not isinstance(spec["size"], bool)
                    and isinstance(spec.get("sha256"), str) and re.fullmatch(r"[0-9a-f]{64}", spec["sha256"])):
                raise BundleError(f"manifest.json: the size and SHA-256 of '{zip_name}' are missing or malformed.")
            info = by_name.get(zip_name)
            if info is None:
                raise BundleError(f"The bundle is incomplete: '{zip_name}' is listed in its manifest but "
                                  "missing from the zip. Export the bundle again.")
            if info.file_size != spec["size"]:
                raise BundleError(f"'{zip_name}' is corrupted: it holds {info.file_size:,} bytes, its manifest "
                                  f"says {spec['size']:,}. Export the bundle again.")
        runs[run_id] = files
    for name in by_name:
        match = _ENTRY.fullmatch(name)
        if match and match["file"] not in runs.get(match["id"], {}):
            raise BundleError(f"Refused: '{name}' is in the zip but not listed in its manifest; the bundle "
                              "was changed after it was exported.")
    return runs


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, spec: dict, dest: Path) -> None:
    """Copy one entry to `dest`, checking its size and SHA-256 against the manifest as it streams."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    try:
        with archive.open(info) as src, open(dest, "xb") as out:
            while chunk := src.read(_CHUNK):  # zipfile stops at the declared size and checks the CRC
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, zipfile.LargeZipFile) as err:
        raise BundleError(f"'{info.filename}' is corrupted ({err}). Export the bundle again.") from err
    if size != spec["size"] or digest.hexdigest() != spec["sha256"]:
        raise BundleError(f"'{info.filename}' is corrupted: its SHA-256 does not match the manifest "
                          "(changed or damaged after export). Export the bundle again.")


def _check_run_files(run_id: str, folder: Path) -> None:
    """Files the studio reads back must at least be what they claim to be."""
    expected = {"labels.json": list, "preprocessing.json": dict, "config.json": dict, "gan.json": dict,
                "base.json": dict}
    for name, kind in expected.items():
        path = folder / name
        if path.exists():
            value = _load_json(path, f"runs/{run_id}/{name}")
            if not isinstance(value, kind) or (name == "labels.json" and not all(isinstance(v, str) for v in value)):
                raise BundleError(f"'runs/{run_id}/{name}' does not hold what Model Studio writes there.")
    # A .keras file is a zip (loaded with safe_mode); so is an .npz (read without pickles).
    heads = {"model.keras": b"PK\x03\x04", "novelty.npz": b"PK\x03\x04", "adapter.npz": b"PK\x03\x04"}
    heads.update({f"samples/{p.name}": b"\x93NUMPY" for p in (folder / "samples").glob("*.npy")})
    for name, head in heads.items():
        path = folder / name
        if path.exists():
            with open(path, "rb") as file:
                if file.read(len(head)) != head:
                    raise BundleError(f"'runs/{run_id}/{name}' is not a {Path(name).suffix} file.")


def _load_json(path: Path, entry: str):
    if path.stat().st_size > MAX_METADATA_BYTES:
        raise BundleError(f"Refused: '{entry}' is {path.stat().st_size / 2**20:.0f} MB, far too large.")
    try:
        return json.loads(path.read_bytes())
    except ValueError as err:
        raise BundleError(f"'{entry}' is not valid JSON ({err}).") from err


def _read_record(run_id: str, path: Path) -> dict:
    """The run's store row from run.json, checked field by field."""
    from core.params import ConfigError
    from core.training.config import RunConfig

    entry = f"runs/{run_id}/run.json"
    record = _load_json(path, entry)
    if not isinstance(record, dict) or set(record) != _RECORD_KEYS:
        raise BundleError(f"'{entry}' must hold exactly the fields {', '.join(sorted(_RECORD_KEYS))}.")

    def bad(field_name: str, what: str) -> BundleError:
        return BundleError(f"'{entry}': {field_name} must be {what} (got {record[field_name]!r:.80}).")

    if record["id"] != run_id:
        raise bad("id", f"the id of its folder, {run_id}")
    if not isinstance(record["name"], str) or len(record["name"]) > 500:
        raise bad("name", "text of at most 500 characters")
    if record["status"] not in ACTIVE_STATUSES + FINAL_STATUSES:
        raise bad("status", "one of " + ", ".join(ACTIVE_STATUSES + FINAL_STATUSES))
    if not isinstance(record["config"], dict):
        raise bad("config", "a JSON object")
    try:
        RunConfig.from_dict(record["config"])
    except (ConfigError, TypeError) as err:
        raise BundleError(f"'{entry}': the run config is not one this studio understands ({err}).") from err
    for name, optional in (("created_at", False), ("started_at", True), ("ended_at", True)):
        value = record[name]
        if not (value is None and optional or _finite_number(value)):
            raise bad(name, "a time in seconds" + (" or null" if optional else ""))
    if not isinstance(record["stop_requested"], bool):
        raise bad("stop_requested", "true or false")
    for name in ("progress", "results"):
        if not isinstance(record[name], dict):
            raise bad(name, "a JSON object")
    if record["error"] is not None and not isinstance(record["error"], str):
        raise bad("error", "text or null")
    if record["status"] in ACTIVE_STATUSES:  # its process lives on another machine, if anywhere
        record.update(status=INTERRUPTED, ended_at=record["ended_at"] or record["started_at"] or record["created_at"],
                      error=record["error"] or "It was still training when it was exported; it did not finish.")
    return record


def _read_metrics(run_id: str, path: Path):
    """metrics.csv as a frame, every row checked: known kind, integer epoch and step, finite time,
    a name, and a float value or empty (NULL). Infinities are allowed: a diverging run logs them."""
    import pandas as pd

    entry = f"runs/{run_id}/metrics.csv"
    rows = []
    try:
        with open(path, newline="", encoding="utf-8") as file:
            reader = csv.reader(file, strict=True)
            if next(reader, None) != METRIC_COLUMNS:
                raise BundleError(f"'{entry}' must start with the header {','.join(METRIC_COLUMNS)}.")
            for row in reader:
                line = reader.line_num
                if len(row) != len(METRIC_COLUMNS):
                    raise BundleError(f"'{entry}' line {line}: expected {len(METRIC_COLUMNS)} values, got {len(row)}.")
                kind, epoch, step, elapsed, name, value = row
                if kind not in METRIC_KINDS:
                    raise BundleError(f"'{entry}' line {line}: unknown kind {kind!r:.40}.")
                if not (_INTEGER.fullmatch(epoch) and _INTEGER.fullmatch(step)):
                    raise BundleError(f"'{entry}' line {line}: epoch and step must be whole numbers.")
                if not (_FLOAT.fullmatch(elapsed) and math.isfinite(float(elapsed))):
                    raise BundleError(f"'{entry}' line {line}: time must be a finite number of seconds.")
                if not name or len(name) > 200:
                    raise BundleError(f"'{entry}' line {line}: a metric needs a name (at most 200 characters).")
                if value and not _FLOAT.fullmatch(value):
                    raise BundleError(f"'{entry}' line {line}: the value {value!r:.40} is not a number.")
                rows.append((kind, int(epoch), int(step), float(elapsed), name, float(value) if value else None))
    except (csv.Error, UnicodeDecodeError) as err:
        raise BundleError(f"'{entry}' is not a valid CSV file ({err}).") from err
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def _finite_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _version_notes(manifest: dict) -> list[str]:
    """A model saved by a newer Keras may not load in this one: say so rather than fail later."""
    theirs, ours = manifest.get("keras"), _version("keras")
    if isinstance(theirs, str) and ours and _version_tuple(theirs) > _version_tuple(ours):
        return [f"The bundle was made with Keras {theirs:.20}, this studio has Keras {ours}: if a model does "
                "not load, update Keras."]
    return []


def _remove_stale_imports(max_age: float = 86400.0) -> None:
    """Staging folders left behind by an import that was killed midway."""
    for folder in paths.data_dir().glob(".import-*"):
        try:
            if time.time() - folder.stat().st_mtime > max_age:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass


# -- small things ---------------------------------------------------------------------------------
def _version(package: str) -> str | None:
    """Installed version without importing the package (importing TensorFlow takes seconds)."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _version_tuple(text: str) -> tuple:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def _report(progress, done: int, total: int) -> None:
    if progress:
        progress(done, total)


def _runs(n: int) -> str:
    return f"{n} run" + ("" if n == 1 else "s")
