"""Network anatomy through AppTest: slopes, vanishing gradients, a trained CNN's layers."""
import pytest

from tests.pages.conftest import open_page, wait_for_run


@pytest.fixture
def at():
    return open_page("pages/anatomy.py")


def specs(at) -> str:
    return "\n".join(c.proto.spec for c in at.get("plotly_chart"))


def test_opens_with_slopes_and_vanishing_gradients(at):
    assert not at.exception
    assert "Activation functions and their slopes" in specs(at)
    assert "How much each layer would learn" in specs(at)
    assert "smaller than the last hidden layer" in at.caption[-2].value or any(
        "smaller than the last hidden layer" in c.value for c in at.caption)
    assert "train the small digits CNN" in at.info[0].value


def test_train_a_cnn_then_look_inside(at):
    at.button(key="anatomy_train").click().run()
    run = wait_for_run(at.session_state["anatomy_run"], timeout=180)
    assert run.status == "completed"
    at.run()
    assert not at.exception
    assert "feature maps of" in specs(at)
    assert "Gradient norm per layer, epoch by epoch" in specs(at) and "Weights of conv_1" in specs(at)
    assert at.metric[0].label == "Model says"
    at.slider(key="anatomy_image").set_value(5).run()
    assert not at.exception


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
