"""The optimizer playground through AppTest: paths, table, rules, divergence."""
import pytest

from tests.pages.conftest import open_page


@pytest.fixture
def at():
    return open_page("pages/optimizers.py")


def table(at):
    return at.dataframe[0].value


def test_opens_with_three_optimizers_on_the_bowl(at):
    assert not at.exception
    assert "Optimizer playground" in at.title[0].value
    rows = table(at)
    assert list(rows["optimizer"]) == ["Gradient descent", "SGD with momentum", "Adam"]
    assert (rows["diverged"] == "no").all()
    specs = "\n".join(c.proto.spec for c in at.get("plotly_chart"))
    assert "Convex bowl" in specs and "Play" in specs and '"frames"' in specs
    assert any("θ ← θ − α ∇J(θ)" in c.value for c in at.code)


def test_a_too_large_learning_rate_diverges_on_the_valley(at):
    at.selectbox(key="surface").set_value("valley").run()
    at.select_slider(key="rate-valley").set_value(0.1).run()
    rows = table(at).set_index("optimizer")
    assert rows.loc["Gradient descent", "diverged"] == "💥 yes"
    assert not at.exception


def test_every_optimizer_on_rosenbrock(at):
    at.selectbox(key="surface").set_value("rosenbrock").run()
    at.multiselect(key="optimizers").set_value(["gd", "momentum", "nesterov", "rmsprop", "adagrad", "adam",
                                                "adamw"]).run()
    assert not at.exception and len(table(at)) == 7 and len(at.code) == 7
    at.multiselect(key="optimizers").set_value([]).run()
    assert "Pick at least one optimizer" in at.info[0].value
