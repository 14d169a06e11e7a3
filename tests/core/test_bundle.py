"""Project bundles: export every run, import it into a fresh studio, see the same runs; refuse
anything unsafe or damaged with nothing written; never overwrite a run already there."""
import dataclasses
import hashlib
import io
import json
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import bundle, paths
from core.bundle import BundleError, export_bundle, import_bundle
from core.runs import RunStore
from core.training import RunConfig
from core.training.runner import train


def _train(store, stop_at_once=False, **config):
    config = RunConfig(**config).validated()
    run_id = store.create_run(config.to_dict(), config.name)
    (paths.run_dir(run_id) / "config.json").write_text(config.to_json(), encoding="utf-8")  # as launch() writes it
    store.set_process(run_id, os.getpid())
    if stop_at_once:
        store.request_stop(run_id)  # Stop pressed: it halts after its first batch
    assert store.claim_slot(run_id, max_running=10)
    train(config, run_id, store)
    return run_id


def _snapshot(store=None):
    """Everything a studio shows of its runs: rows (all fields but the pid), metrics, files, models."""
    from core.inference import RUN_SOURCE, finished_runs
    store = store or RunStore()
    runs = {run.id: {k: v for k, v in dataclasses.asdict(run).items() if k != "pid"} for run in store.list_runs()}
    return {
        "runs": runs,
        "metrics": {run_id: store.metrics(run_id) for run_id in runs},
        "files": _tree(paths.runs_dir()),
        "finished": [run.id for run in finished_runs("image", store)],
        "models": RUN_SOURCE.list("image", store),
    }


def _tree(root: Path) -> dict[str, str]:
    """Every file under `root` with its SHA-256 (the store's WAL side files come and go: left out)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "runs.sqlite" not in p.name}


def _predictions(run_ids):
    from core.inference import load_run_model
    out = {}
    for run_id in run_ids:
        model, _, _, _ = load_run_model(run_id)
        x = np.random.default_rng(0).uniform(0, 16, size=(4, *model.input_shape[1:])).astype("float32")
        out[run_id] = np.asarray(model.predict_on_batch(x))
    return out


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A studio with real small runs (two completed, one stopped, one failed, a GAN, one still
    queued), its snapshot, and a bundle exported from it."""
    from core.data import _load_cached
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tmp_path_factory.mktemp("source-studio")))
    _load_cached.cache_clear()
    try:
        store = RunStore()
        completed = [_train(store, dataset="digits", architecture="mlp", epochs=2, batch_size=128),
                     _train(store, dataset="digits", architecture="mlp", epochs=1, batch_size=256, seed=3,
                            learning_rate=0.01)]
        store.rename(completed[1], "renamed: 'quotes', commas, ünïcode")
        stopped = _train(store, stop_at_once=True, dataset="digits", architecture="mlp", epochs=50, batch_size=64)
        gan = _train(store, dataset="digits", architecture="dcgan", task="gan", epochs=2, batch_size=256,
                     learning_rate=2e-4, arch_params={"latent_dim": 8, "filters": 16})
        failed = store.create_run({"dataset": "digits", "architecture": "mlp"}, "failed one")
        store.log_metrics(failed, "batch", 0, 1, 0.25, {"loss": float("inf"), "accuracy": float("nan")})
        (paths.run_dir(failed) / "error.txt").write_text("Traceback: it went wrong\n", encoding="utf-8")
        store.finish(failed, "failed", error="ValueError: it went wrong")
        active = store.create_run({"dataset": "digits", "architecture": "mlp"}, "still queued")
        store.set_process(active, os.getpid())  # alive: it stays queued
        for name in ("checkpoint.keras", "runner.log"):  # what a real run leaves and a bundle must not carry
            (paths.run_dir(completed[0]) / name).write_bytes(b"local only")

        calls = []
        export = export_bundle(progress=lambda done, total: calls.append((done, total)))
        snapshot = _snapshot(store)
        del snapshot["runs"][active], snapshot["metrics"][active]
        snapshot["files"] = {k: v for k, v in snapshot["files"].items()
                             if not k.startswith(active) and Path(k).name not in ("checkpoint.keras", "checkpoint.json", "runner.log", "STOP")
                             and "tensorboard" not in k}
        yield dict(export=export, snapshot=snapshot, progress=calls, completed=completed, stopped=stopped,
                   gan=gan, failed=failed, active=active, predictions=_predictions(completed + [stopped]))
    finally:
        monkeypatch.undo()


def test_round_trip_into_a_fresh_studio_gives_identical_runs(source, data_dir):
    export, expected = source["export"], source["snapshot"]
    assert export.path.parent.name == "exports" and export.path.name.startswith("model-studio-")
    assert export.left_out == {source["active"]: "still training (queued or running)"}
    assert sorted(export.run_ids) == sorted(expected["runs"]) and len(export.run_ids) == 5
    done = [d for d, _ in source["progress"]]
    assert done == sorted(done) and done[-1] == source["progress"][-1][1]  # the bar reaches its end
    assert str(paths.data_dir()) == str(data_dir) and not (data_dir / "runs.sqlite").exists()  # really fresh

    calls = []
    report = import_bundle(export.path, progress=lambda done, total: calls.append((done, total)))
    assert sorted(report.imported) == sorted(expected["runs"]) and report.skipped == {}
    assert calls[-1][0] == calls[-1][1] and "Imported 5 runs" in report.summary
    got = _snapshot()
    assert got["runs"] == expected["runs"]                      # every field: name, status, config, times...
    assert got["runs"][source["stopped"]]["status"] == "stopped"
    assert got["runs"][source["failed"]]["error"] == "ValueError: it went wrong"
    for run_id, frame in expected["metrics"].items():
        pd.testing.assert_frame_equal(got["metrics"][run_id], frame, check_exact=True)
    assert got["files"] == expected["files"]                    # model.keras, samples... byte-identical
    assert any("samples/epoch_002.npy" in name for name in got["files"])
    assert not any(Path(name).name in ("checkpoint.keras", "runner.log") or "tensorboard" in name
                   for name in got["files"])
    assert got["finished"] == expected["finished"] and got["models"] == expected["models"]
    assert len(got["finished"]) == 3                            # the two completed and the stopped one
    for run_id, prediction in _predictions(source["completed"] + [source["stopped"]]).items():
        np.testing.assert_array_equal(prediction, source["predictions"][run_id])
    assert not list(data_dir.glob(".import-*"))                 # the staging folder is gone


def test_importing_the_same_bundle_twice_changes_nothing(source, data_dir):
    data = source["export"].path.read_bytes()  # bytes, as an upload gives them
    assert len(import_bundle(data).imported) == 5
    before = _snapshot()
    report = import_bundle(data)
    assert report.imported == [] and set(report.skipped) == set(before["runs"])
    assert set(report.skipped.values()) == {"already in this studio"}
    after = _snapshot()
    assert after["runs"] == before["runs"] and after["files"] == before["files"]
    for run_id, frame in before["metrics"].items():
        pd.testing.assert_frame_equal(after["metrics"][run_id], frame)


def test_a_run_already_here_with_other_content_is_left_untouched(source, data_dir):
    run_id = source["completed"][0]
    store = RunStore()
    mine = {**source["snapshot"]["runs"][run_id], "name": "my own run", "results": {"mine": 1}}
    store.import_records([(mine, pd.DataFrame({"kind": ["epoch"], "epoch": [1], "step": [3], "time": [0.5],
                                               "name": ["loss"], "value": [9.0]}))])
    (paths.run_dir(run_id)).mkdir(parents=True)
    (paths.run_dir(run_id) / "model.keras").write_bytes(b"PK\x03\x04 my own model")
    before = _snapshot()
    report = import_bundle(source["export"].path)
    assert report.skipped == {run_id: "already in this studio"} and len(report.imported) == 4
    after = _snapshot()
    assert after["runs"][run_id] == before["runs"][run_id] and after["runs"][run_id]["name"] == "my own run"
    pd.testing.assert_frame_equal(after["metrics"][run_id], before["metrics"][run_id])
    assert {k: v for k, v in after["files"].items() if k.startswith(run_id)} == \
        {k: v for k, v in before["files"].items() if k.startswith(run_id)}


def test_a_failure_midway_leaves_nothing_half_imported(source, data_dir, monkeypatch):
    store = RunStore()
    replace, calls = os.replace, []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError("disk full")
        replace(src, dst)

    monkeypatch.setattr(bundle.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        import_bundle(source["export"].path)
    assert store.list_runs() == [] and _tree(data_dir) == {}
    monkeypatch.setattr(bundle.os, "replace", replace)

    def failing_insert(self, records):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(RunStore, "import_records", failing_insert)
    with pytest.raises(RuntimeError, match="locked"):
        import_bundle(source["export"].path)
    assert store.list_runs() == [] and _tree(data_dir) == {}  # the moved folders were taken back out


def test_import_records_is_one_transaction(data_dir):
    store = RunStore()
    existing = store.create_run({"dataset": "digits"}, "here already")
    record = {**store.export_record(existing), "id": "20240101-000000-abcd"}
    metrics = pd.DataFrame({"kind": ["epoch"], "epoch": [1], "step": [1], "time": [0.1], "name": ["loss"],
                            "value": [1.0]})
    with pytest.raises(ValueError, match="already exists"):
        store.import_records([(record, metrics), (store.export_record(existing), metrics)])
    assert store.get_run(record["id"]) is None and len(store.metrics(record["id"])) == 0


# -- refusals: nothing written anywhere -----------------------------------------------------------
def _rewrite(path: Path, edit=None, extra=(), fix_manifest=True) -> bytes:
    """The bundle at `path` with entries changed (`edit(name, data) -> data or None to drop`) and
    `extra` (name, data) entries added; the manifest's sizes and hashes recomputed unless told not."""
    files = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            data = edit(name, data) if edit else data
            if data is not None:
                files[name] = data
    if fix_manifest:
        manifest = json.loads(files["manifest.json"])
        for run in manifest["runs"]:
            for name in run["files"]:
                data = files[f"runs/{run['id']}/{name}"]
                run["files"][name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        files["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [*files.items(), *extra]:
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture
def studio(data_dir):
    """A studio with one run of its own; returns a function telling whether anything changed."""
    store = RunStore()
    run_id = store.create_run({"dataset": "digits", "architecture": "mlp"}, "mine")
    store.finish(run_id, "completed")
    before = _tree(data_dir), _snapshot()["runs"]
    return lambda: (_tree(data_dir), _snapshot()["runs"]) == before


def _refused(studio, data, match):
    with pytest.raises(BundleError, match=match):
        import_bundle(data)
    assert studio(), "a refused bundle changed the studio"


def test_path_traversal_is_refused(source, studio):
    run_id = source["completed"][0]
    for evil in (f"runs/{run_id}/../../evil", "../x", "/etc/evil", "runs/..\\..\\evil"):
        data = _rewrite(source["export"].path, extra=[(evil, b"owned")])
        _refused(studio, data, re.escape(f"Refused: the zip entry '{evil}' points outside its folder"))
    assert not (paths.data_dir().parent / "evil").exists() and not Path("/etc/evil").exists()


def test_zip_bombs_and_oversized_bundles_are_refused(source, studio, monkeypatch):
    run_id = source["completed"][0]
    bomb = _rewrite(source["export"].path, edit=lambda name, data: b"\0" * (50 << 20)
                    if name == f"runs/{run_id}/model.keras" else data)
    _refused(studio, bomb, "zip bomb")
    monkeypatch.setattr(bundle, "MAX_BUNDLE_BYTES", 100_000)
    _refused(studio, source["export"].path, "expands to more than")
    monkeypatch.setattr(bundle, "MAX_ENTRIES", 5)
    _refused(studio, source["export"].path, "entries; the limit is 5")


@pytest.mark.parametrize("name, match", [
    ("runs/{id}/evil.sh", "'runs/{id}/evil.sh', which is not a file Model Studio writes"),
    ("runs/{id}/samples/evil.npy", "'runs/{id}/samples/evil.npy', which is not a file"),
    ("runs/{id}/gan.json", "'runs/{id}/gan.json' is in the zip but not listed in its manifest"),
    ("runs/20240101-000000-ABCD/run.json", "'20240101-000000-ABCD', which is not a Model Studio run id"),
    ("runs/latest/run.json", "'latest', which is not a Model Studio run id"),
    ("evil.py", "'evil.py', which is not a file Model Studio writes"),
])
def test_unknown_entries_and_bad_run_ids_are_refused(source, studio, name, match):
    name, match = name.format(id=source["completed"][0]), match.format(id=source["completed"][0])
    data = _rewrite(source["export"].path, extra=[(name, b"{}")])
    _refused(studio, data, re.escape(match))


def test_damaged_bundles_are_refused(source, studio):
    path, run_id = source["export"].path, source["completed"][0]
    model = f"runs/{run_id}/model.keras"

    def flip(name, data):  # same size, other content: only the SHA-256 can tell
        return data[:-10] + bytes(b ^ 0xFF for b in data[-10:]) if name == model else data

    _refused(studio, _rewrite(path, edit=flip, fix_manifest=False),
             re.escape(f"'{model}' is corrupted: its SHA-256 does not match"))
    _refused(studio, _rewrite(path, edit=lambda n, d: None if n == model else d, fix_manifest=False),
             re.escape(f"'{model}' is listed in its manifest but missing"))
    _refused(studio, b"not a zip at all", "not a zip file")
    _refused(studio, _rewrite(path, edit=lambda n, d: None if n == "manifest.json" else d, fix_manifest=False),
             "not a Model Studio bundle: it has no manifest.json")

    def newer(name, data):
        return json.dumps({**json.loads(data), "version": 2}).encode() if name == "manifest.json" else data

    _refused(studio, _rewrite(path, edit=newer, fix_manifest=False), "made by a newer Model Studio")


@pytest.mark.parametrize("file, change, match", [
    ("metrics.csv", lambda d: d.replace(b"\nepoch,1,", b"\nepoch,1.5,", 1), r"metrics\.csv' line \d+: epoch and step must be whole"),
    ("metrics.csv", lambda d: d + b"epoch,1,1,0.5,loss,1_000\n", "is not a number"),
    ("metrics.csv", lambda d: d + b"epoch,1,1,inf,loss,1\n", "time must be a finite"),
    ("metrics.csv", lambda d: d + b"weird,1,1,0.5,loss,1\n", "unknown kind"),
    ("metrics.csv", lambda d: d.replace(b"kind,", b"type,", 1), "must start with the header"),
    ("run.json", lambda d: _json_edit(d, status="exploded"), "status must be one of"),
    ("run.json", lambda d: _json_edit(d, config={"dataset": "digits", "rm -rf": 1}), "Unknown config field"),
    ("run.json", lambda d: _json_edit(d, id="20240101-000000-abcd"), "id must be the id of its folder"),
    ("run.json", lambda d: _json_edit(d, created_at="yesterday"), "created_at must be a time"),
    ("run.json", lambda d: _json_edit(d, pid=4242), "must hold exactly the fields"),
    ("labels.json", lambda d: b'{"not": "a list"}', "does not hold what Model Studio writes"),
    ("model.keras", lambda d: b"#!/bin/sh\n", r"is not a \.keras file"),
])
def test_malformed_run_files_are_refused(source, studio, file, change, match):
    run_id = source["completed"][0]
    data = _rewrite(source["export"].path,
                    edit=lambda name, d: change(d) if name == f"runs/{run_id}/{file}" else d)
    _refused(studio, data, match)


def _json_edit(data: bytes, **changes) -> bytes:
    return json.dumps({**json.loads(data), **changes}).encode()


def test_a_run_exported_while_running_comes_back_interrupted(source, data_dir):
    run_id = source["completed"][1]
    data = _rewrite(source["export"].path, edit=lambda name, d: _json_edit(d, status="running", error=None)
                    if name == f"runs/{run_id}/run.json" else d)
    import_bundle(data)
    run = RunStore().get_run(run_id)
    assert run.status == "interrupted" and "still training when it was exported" in run.error


def test_export_choices(source, data_dir):
    with pytest.raises(BundleError, match="Nothing to export"):
        export_bundle()
    import_bundle(source["export"].path)
    run_id = source["completed"][0]
    small = export_bundle([run_id], include_models=False)
    with zipfile.ZipFile(small.path) as archive:
        names = sorted(archive.namelist())
    assert names == ["manifest.json", *sorted(f"runs/{run_id}/{n}" for n in (
        "run.json", "metrics.csv", "labels.json", "preprocessing.json", "config.json", "layer_stats.jsonl"))]
    assert small.path != source["export"].path and small.size < source["export"].size
    with pytest.raises(BundleError, match="no run with id"):
        export_bundle(["20240101-000000-abcd"])
