"""The GAN studio through AppTest: train on digits, see the sample grid and losses, interpolate."""
import pytest

from tests.pages.conftest import open_page, wait_for_run


@pytest.fixture
def at():
    return open_page("pages/gan.py")


def test_train_a_gan_then_walk_between_two_images(at):
    assert not at.exception and "GAN studio" in at.title[0].value
    assert "Train the GAN" in at.info[0].value
    at.number_input(key="gan_epochs-digits").set_value(3)
    at.button(key="gan_start").click().run()
    run = wait_for_run(at.session_state["gan_run"], timeout=180)
    assert run.status == "completed"
    at.run()
    assert not at.exception
    specs = "\n".join(c.proto.spec for c in at.get("plotly_chart"))
    assert "The same 16 noise vectors after epoch 3" in specs and "Generator vs discriminator loss" in specs
    at.slider(key=f"gan_epoch-{run.id}").set_value(1).run()
    assert "after epoch 1" in "\n".join(c.proto.spec for c in at.get("plotly_chart"))
    assert len(at.get("imgs")) >= 1 or len(at.get("image")) >= 1
    at.slider(key="gan_t").set_value(0.8).run()
    assert not at.exception
