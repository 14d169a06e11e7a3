"""Network anatomy through AppTest: slopes, vanishing gradients, a trained CNN's layers."""
import pytest

from tests.pages.conftest import chart_text, open_page, wait_for_run


@pytest.fixture
def at():
    return open_page("pages/anatomy.py")


def specs(at) -> str:
    return chart_text(at)


def test_opens_with_slopes_and_vanishing_gradients(at):
    assert not at.exception
    assert "Activation functions and their slopes" in specs(at)
    assert "How much each layer would learn" in specs(at)
    assert "smaller than the last hidden layer" in at.caption[-2].value or any(
        "smaller than the last hidden layer" in c.value for c in at.caption)
    assert "train the small digits CNN" in at.info[0].value


def _trained_mlp() -> str:
    """A finished digits MLP (what an optimizer race leaves behind), trained in this process."""
    import os

    from core.runs import RunStore
    from core.training import RunConfig
    from core.training.runner import train
    config = RunConfig(dataset="digits", architecture="mlp", epochs=1, name="Race: Adam MLP").validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), config.name)
    store.set_process(run_id, os.getpid())
    assert store.claim_slot(run_id, max_running=10)
    assert train(config, run_id, store) == "completed"
    return run_id


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def test_an_mlp_says_it_has_no_filters_then_the_quick_cnn_is_selected_when_it_finishes():
    mlp = _trained_mlp()
    at = open_page("pages/anatomy.py")
    assert not at.exception, at.exception
    assert at.selectbox(key="anatomy_model").value == mlp
    assert "feature maps of" not in specs(at)
    assert "Early filters respond" not in captions(at)  # no filters on screen: no caption about them
    assert "no convolutional filters, so there are no feature maps" in captions(at)
    assert at.button(key="anatomy_train").label == "Train a small digits CNN now (about 20 s)"

    at.button(key="anatomy_train").click().run()
    quick = at.session_state["anatomy_run"]
    run = wait_for_run(quick, timeout=180)
    assert run.status == "completed"
    at.run()
    assert not at.exception, at.exception
    (picker,) = [s for s in at.selectbox if s.key.startswith("anatomy_model")]
    assert picker.value == quick  # not the MLP that was selected before
    assert "feature maps of" in specs(at)
    assert "Early filters respond to strokes and edges" in captions(at)
    assert "Gradient per layer, by epoch" in specs(at) and "Weights of conv_1" in specs(at)
    assert at.metric[0].label == "Model says"
    at.slider(key=f"anatomy_image-{quick}").set_value(5).run()
    assert not at.exception
    seconds = run.ended_at - run.created_at  # the button now says what it took here
    from core.formatting import format_seconds
    assert at.button(key="anatomy_train").label == f"Train a small digits CNN now (about {format_seconds(seconds)})"
    picker.set_value(mlp).run()  # and back to the MLP: still no traceback, no filters caption
    assert not at.exception and "Early filters respond" not in captions(at)


def test_deep_sigmoid_and_relu_trained_side_by_side(at):
    at.button(key="deep_pair").click().run()
    runs = [wait_for_run(i, timeout=240) for i in at.session_state["deep_pair_runs"]]
    assert [r.status for r in runs] == ["completed", "completed"]
    at.run()
    assert not at.exception
    from core.training.callbacks import read_layer_stats
    sigmoid, relu = (read_layer_stats(r.dir / "layer_stats.jsonl") for r in runs)
    assert len(sigmoid) == len(relu) == 10
    first = lambda records: records[-1]["layers"][0]["grad_norm"]  # noqa: E731
    last_hidden = lambda records: records[-1]["layers"][-2]["grad_norm"]  # noqa: E731
    assert first(sigmoid) / last_hidden(sigmoid) < first(relu) / last_hidden(relu)
