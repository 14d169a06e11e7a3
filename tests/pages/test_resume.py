"""The run panel (here on the Runs page) resumes an interrupted run from its checkpoint, says why a
damaged checkpoint cannot be resumed, and never throws."""
from core.runs import RunStore
from core.training.checkpoints import CHECKPOINT
from tests.core.training.conftest import reap_runners  # noqa: F401 - an autouse fixture
from tests.core.training.test_faults import interrupted_run, keep_sigterm  # noqa: F401 - fixtures
from tests.pages.conftest import open_page, texts, wait_for_run


def open_run(run_id: str):
    at = open_page("pages/runs.py")
    at.multiselect(key="selected_runs").set_value([run_id]).run()
    assert not at.exception, at.exception
    return at


def resume_buttons(at) -> list:
    return [b for b in at.button if str(b.key).startswith("resume-")]


def test_an_interrupted_run_resumes_from_the_page(monkeypatch):
    run_id = interrupted_run(monkeypatch, epochs=4, interrupted_after=2)
    at = open_run(run_id)
    assert "interrupted by a signal" in texts(at.warning)
    button = at.button(key=f"resume-{run_id}")
    assert button.label == "▶️ Resume from epoch 2"
    button.click().run()
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)
    assert RunStore().get_run(run_id).status in ("queued", "running", "completed")

    run = wait_for_run(run_id)
    assert run.status == "completed", run.error
    epochs = RunStore().metrics(run_id, "epoch")
    assert sorted(epochs.epoch.unique()) == [1, 2, 3, 4] and epochs.groupby(["epoch", "name"]).size().max() == 1
    at.run()
    assert not at.exception and not resume_buttons(at)
    assert "Test accuracy" in [m.label for m in at.metric]


def test_a_damaged_checkpoint_is_explained_not_offered(monkeypatch):
    run_id = interrupted_run(monkeypatch, epochs=3, interrupted_after=1)
    checkpoint = RunStore().get_run(run_id).dir / CHECKPOINT
    checkpoint.write_bytes(checkpoint.read_bytes()[:500])  # truncated
    at = open_run(run_id)
    assert not resume_buttons(at)
    assert "The checkpoint of this run is damaged (checkpoint.keras is truncated: 500 bytes instead of" in texts(at.error)
    assert "it cannot be resumed. Launch it again from its settings." in texts(at.error)


def test_a_run_killed_before_its_first_checkpoint_says_so():
    store = RunStore()
    from core.training import RunConfig
    run_id = store.create_run(RunConfig().to_dict(), "killed early")
    store.set_process(run_id, 2**22 + 12345)  # no such process
    at = open_run(run_id)
    assert not resume_buttons(at)
    assert "stopped before its first checkpoint was saved" in texts(at.caption)
