"""The Runs page through AppTest, over runs trained for real in this test's data directory."""
import pytest

from core.runs import RunStore
from core.training.config import RunConfig
from core.training.runner import train
from tests.pages.conftest import figures, open_page, strings, texts


def _trained_run(**overrides) -> str:
    config = RunConfig(dataset="moons", architecture="mlp", epochs=2, **overrides).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), config.name)
    assert store.claim_slot(run_id, max_running=10)
    assert train(config, run_id, store) == "completed"
    return run_id


@pytest.fixture
def two_runs():
    return _trained_run(name="adam run"), _trained_run(name="sgd run", optimizer="sgd", learning_rate=0.1)


def test_empty_store_says_what_to_do():
    at = open_page("pages/runs.py")
    assert not at.exception
    assert "No runs yet" in texts(at.info)


def test_lists_compares_downloads_and_deletes(two_runs):
    first, second = two_runs
    at = open_page("pages/runs.py")
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["name"]) == {"adam run", "sgd run"}
    assert set(table["status"]) == {"completed"}

    at.multiselect(key="selected_runs").set_value([first, second]).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1  # the overlay
    differences = at.dataframe[1].value
    assert {"optimizer", "learning rate"} <= set(differences.index)  # setting names in words

    at.multiselect(key="selected_runs").set_value([second]).run()
    assert not at.exception
    assert "Test accuracy" in [m.label for m in at.metric]
    assert at.get("download_button")  # the model can be downloaded
    at.button(key=f"delete-{second}").click().run()
    at.button(key=f"confirm-{second}").click().run()
    assert not at.exception
    assert [r.id for r in RunStore().list_runs()] == [first]


def test_interrupted_run_is_shown_with_its_metrics():
    store = RunStore()
    run_id = store.create_run(RunConfig().to_dict(), "killed run")
    store.set_process(run_id, 2**22 + 12345)  # no such process
    store.log_metrics(run_id, "epoch", 1, 10, 1.0, {"loss": 1.5, "val_loss": 1.6})
    at = open_page("pages/runs.py")
    at.multiselect(key="selected_runs").set_value([run_id]).run()
    assert not at.exception
    assert "interrupted" in at.dataframe[0].value["status"].tolist()
    assert "ended unexpectedly" in texts(at.warning)
    assert len(at.get("plotly_chart")) == 2  # loss and accuracy curves from the kept metrics


def test_bundle_export_then_import_in_a_fresh_studio(two_runs, tmp_path, monkeypatch):
    at = open_page("pages/runs.py")
    at.button(key="bundle_export").click().run()
    assert not at.exception
    assert "Exported 2 runs" in texts(at.success)
    path, _ = at.session_state["bundle"]
    bundle = open(path, "rb").read()
    before = {r.id: (r.name, r.status, r.config, r.results) for r in RunStore().list_runs()}

    monkeypatch.setenv("MODEL_STUDIO_DATA", str(tmp_path / "other-machine"))
    at = open_page("pages/runs.py")
    assert "No runs yet" in texts(at.info)
    at.file_uploader(key="bundle_file").set_value(("project.zip", bundle, "application/zip"))
    at.button[[b.label for b in at.button].index("Import the runs")].click().run()
    assert not at.exception
    assert "Imported 2 runs" in texts(at.success)
    assert set(at.dataframe[0].value["name"]) == {"adam run", "sgd run"}
    after = {r.id: (r.name, r.status, r.config, r.results) for r in RunStore().list_runs()}
    assert after == before

    # The same bundle again changes nothing; a bundle with a traversal entry is refused, page intact.
    at.file_uploader(key="bundle_file").set_value(("project.zip", bundle, "application/zip"))
    at.button[[b.label for b in at.button].index("Import the runs")].click().run()
    assert "already in this studio" in texts(at.success)
    import io
    import zipfile
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("manifest.json", "{}")
        z.writestr("../../evil.txt", "x")
    at.file_uploader(key="bundle_file").set_value(("evil.zip", evil.getvalue(), "application/zip"))
    at.button[[b.label for b in at.button].index("Import the runs")].click().run()
    assert not at.exception
    assert "points outside its folder" in texts(at.error)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "other-machine" / ".." / "evil.txt").exists()
    assert len(RunStore().list_runs()) == 2


def test_export_every_format_checked_with_code_and_one_zip():
    run_id = _trained_run(name="export me")
    at = open_page("pages/runs.py")
    at.multiselect(key="selected_runs").set_value([run_id]).run()
    at.button(key=f"export-{run_id}").click().run()
    assert not at.exception
    assert not at.error
    checks = [m for m in at.metric if m.label == "Check"]
    assert len(checks) == 3 and all(m.value == "✅ matches Keras" for m in checks)
    labels = [b.label for b in at.get("download_button")]
    assert any("model.tflite" in label for label in labels)
    assert any("saved_model.zip" in label for label in labels)
    assert any("Everything in one zip" in label for label in labels)
    snippets = [c.value for c in at.code if "import" in c.value]
    assert any("Interpreter" in s for s in snippets) and any("load_model" in s for s in snippets)


def test_a_run_is_opened_by_its_link():
    run_id = _trained_run(name="linked run")
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file("../../app.py", default_timeout=120)
    at.query_params["run"] = run_id
    at.switch_page("pages/runs.py").run()
    assert at.multiselect(key="selected_runs").value == [run_id]
    assert "Run: linked run" in [h.value for h in at.subheader]


@pytest.fixture
def arrow_fixes(monkeypatch):
    """Every dataframe Streamlit had to repair before sending it (a column of mixed types: it
    logs a traceback, "Serialization of dataframe to Arrow table was unsuccessful", then guesses)."""
    from streamlit import dataframe_util
    repaired, original = [], dataframe_util.fix_arrow_incompatible_column_types

    def recording(df, *args, **kwargs):
        repaired.append(list(df.columns))
        return original(df, *args, **kwargs)
    monkeypatch.setattr(dataframe_util, "fix_arrow_incompatible_column_types", recording)
    return repaired


def test_runs_without_results_show_dashes_not_none_and_send_clean_tables(arrow_fixes):
    store = RunStore()
    gan = store.create_run(RunConfig(dataset="digits", architecture="dcgan", task="gan", epochs=1,
                                     arch_params={"latent_dim": 16}).to_dict(),
                           "GAN: Digits 8x8")
    store.finish(gan, "failed", "the disk is full")
    done = store.create_run(RunConfig(dataset="moons", architecture="mlp", epochs=3).to_dict(), "done run")
    store.set_results(done, {"test_accuracy": 0.9731, "test_loss": 6.7342, "parameters": 616320000,
                             "fit_seconds": 97.0})
    store.finish(done, "completed")
    at = open_page("pages/runs.py")
    assert not at.exception
    table = at.dataframe[0].value.set_index("name")
    cells = " ".join(map(str, table.to_numpy().ravel()))
    assert "None" not in cells and "nan" not in cells
    assert table.loc["GAN: Digits 8x8", "test accuracy"] == "—" and table.loc["GAN: Digits 8x8", "time"] == "—"
    assert table.loc["done run", "test accuracy"] == "97.3%" and table.loc["done run", "time"] == "1 min 37 s"
    assert table.loc["done run", "model"] == "MLP · Adam" and table.loc["GAN: Digits 8x8", "model"] == "DCGAN · Adam"
    # Few columns (14 ran off the right edge): the rest of the settings are one pick away.
    assert list(table.reset_index().columns) == ["name", "status", "dataset", "model", "epochs", "test accuracy",
                                                 "time", "created"]

    at.multiselect(key="selected_runs").set_value([gan, done]).run()
    assert not at.exception
    differences = at.dataframe[1].value
    assert "arch params · latent dim" in differences.index and "task" in differences.index
    assert differences.loc["arch params · latent dim"].tolist() == ["16", "—"]  # the MLP has none
    assert "None" not in " ".join(map(str, differences.to_numpy().ravel()))
    overlay = figures(at)[0]  # read as a person does: its title and axes, and what hovering says
    shown = strings(overlay["layout"]) + [trace.get("hovertemplate", "") for trace in overlay["data"]]
    assert "Validation loss by epoch" in shown and not any("val_loss" in text for text in shown)
    assert not arrow_fixes, f"dataframes with mixed-type columns: {arrow_fixes}"
