"""The Runs page through AppTest, over runs trained for real in this test's data directory."""
import pytest

from core.runs import RunStore
from core.training.config import RunConfig
from core.training.runner import train
from tests.pages.conftest import open_page, texts


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
    assert {"optimizer", "learning_rate"} <= set(differences.index)

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
