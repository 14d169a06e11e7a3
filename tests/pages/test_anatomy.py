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
    assert at.metric[0].label == "Model says"
    at.slider(key="anatomy_image").set_value(5).run()
    assert not at.exception
