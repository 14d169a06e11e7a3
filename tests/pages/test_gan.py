"""The GAN studio through AppTest: train on digits, see the sample grid and losses, interpolate."""
import pytest

from tests.pages.conftest import chart_text, open_page, wait_for_run


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
    at.run(timeout=180)  # this run loads the generator: the test process's first TensorFlow import
    assert not at.exception
    specs = chart_text(at)
    assert "Same 16 noise vectors, epoch 3" in specs and "The two networks' losses" in specs
    at.slider(key=f"gan_epoch-{run.id}").set_value(1).run()
    assert "Same 16 noise vectors, epoch 1" in chart_text(at)
    assert len(at.get("imgs")) >= 1 or len(at.get("image")) >= 1
    at.slider(key="gan_t").set_value(0.8).run()
    assert not at.exception


def test_a_one_epoch_gan_run_shows_its_only_grid_without_a_slider():
    """One epoch, one sample grid: a slider from 1 to 1 was a StreamlitInvalidMinMaxError."""
    import os

    from core.runs import RunStore
    from core.training import RunConfig
    from core.training.runner import train
    config = RunConfig(dataset="digits", architecture="dcgan", task="gan", epochs=1, batch_size=64,
                       learning_rate=2e-4, arch_params={"latent_dim": 8, "filters": 16},
                       name="GAN: one epoch").validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), config.name)
    store.set_process(run_id, os.getpid())
    assert store.claim_slot(run_id, max_running=10)
    assert train(config, run_id, store) == "completed"
    at = open_page("pages/gan.py")
    assert not at.exception, at.exception
    assert at.selectbox(key="gan_select-None").value == run_id
    specs = chart_text(at)
    assert "Same 16 noise vectors, epoch 1" in specs and "The two networks' losses" in specs
    assert not [s for s in at.slider if s.key == f"gan_epoch-{run_id}"]
    assert at.slider(key="gan_t")  # the walk between two images is there
