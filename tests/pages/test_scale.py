"""The scale lab through AppTest: a sweep of sizes queued through the runner, the power law drawn."""
import pytest

from tests.pages.conftest import chart_text, open_page, wait_for_run


@pytest.fixture
def at():
    return open_page("pages/scale.py")


def test_a_small_sweep_draws_loss_against_size(at):
    assert not at.exception and "Why large models win" in at.title[0].value
    at.selectbox(key="scale_data").set_value("digits").run()
    at.multiselect(key="scale_widths").set_value([4, 16, 64]).run()
    at.number_input(key="scale_epochs").set_value(3)
    at.button(key="scale_start").click().run()
    runs = [wait_for_run(i, timeout=180) for i in at.session_state["scale"]]
    assert [r.status for r in runs] == ["completed"] * 3
    at.run()
    assert not at.exception
    specs = chart_text(at)
    assert "Validation loss by model size" in specs and "What the size costs" in specs
    assert any("Fitted power law" in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert list(table["Width"]) == [4, 16, 64]
    # each run's own memory (its runner process's high-water mark was the same for every size)
    memory = [r.results["training_memory_mb"] for r in runs]
    assert len(set(memory)) > 1 and all(m >= 0 for m in memory)
    assert all(v.endswith(" MB") or v.endswith(" KB") for v in table["Memory added"])
    assert any("on top of the about" in c.value and "TensorFlow" in c.value for c in at.caption)
    # The rise is nearly the same for every width: the page says so, beside what the model itself takes
    # what the model's own numbers take: 2 hidden layers of 64 on the 64 pixels, 10 classes: 8,970
    # parameters, 16 bytes each (weights, gradients, Adam's two averages)
    assert any("nearly the same for every width" in c.value and "140.2 KB at width 64" in c.value for c in at.caption)
    shown = " ".join(m.value for m in at.markdown) + " ".join(str(v) for v in table.to_numpy().ravel())
    assert "None" not in shown and "nan" not in shown


def test_fewer_than_two_widths_says_what_to_do(at):
    at.multiselect(key="scale_widths").set_value([8]).run()
    assert "Pick at least two widths" in at.info[0].value


def test_the_settings_are_kept_after_leaving_the_page_and_coming_back(at):
    assert at.multiselect(key="scale_widths").value == [4, 8, 16, 32, 64, 128]  # the defaults, first
    assert at.number_input(key="scale_epochs").value == 10
    at.selectbox(key="scale_data").set_value("digits").run()
    at.multiselect(key="scale_widths").set_value([8, 32]).run()
    at.number_input(key="scale_epochs").set_value(2).run()
    at.switch_page("pages/optimizers.py").run()
    assert "scale_widths" not in at.session_state  # Streamlit dropped the widget's own value
    at.switch_page("pages/scale.py").run()
    assert not at.exception
    assert at.selectbox(key="scale_data").value == "digits"
    assert at.multiselect(key="scale_widths").value == [8, 32]
    assert at.number_input(key="scale_epochs").value == 2
