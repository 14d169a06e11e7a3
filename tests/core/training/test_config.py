import pytest

from core.params import ConfigError
from core.training.config import RunConfig


def test_validated_fills_every_knob_and_round_trips_through_json():
    config = RunConfig(dataset="moons", architecture="mlp", optimizer="momentum").validated()
    assert config.arch_params["units"] == 64 and config.optimizer_params == {"momentum": 0.9}
    assert config.dataset_params == {"n_samples": 1000, "noise": 0.2}
    assert RunConfig.from_dict(__import__("json").loads(config.to_json())) == config


@pytest.mark.parametrize("changes, message", [
    ({"epochs": 0}, "Epochs must be at least 1 (got 0)"),
    ({"learning_rate": -0.1}, "Learning rate must be greater than 0 (got -0.1)"),
    ({"batch_size": 5000}, "Batch size 5000 is larger than the 640 training examples; use at most 640"),
    ({"validation_split": 0.95}, "Validation split must be at most 0.9"),
    ({"architecture": "resnet"}, "Unknown architecture 'resnet'"),
    ({"architecture": "cnn"}, "CNN (convolutional) cannot read tabular data ('Two moons'). Pick one of: MLP"),
    ({"epochs": 2.5}, "Epochs must be a whole number"),
    ({"loss": "hinge"}, "Unknown loss 'hinge'"),
    ({"arch_params": {"units": -1}}, "Units per layer must be at least 1"),
])
def test_each_bad_setting_gets_a_clear_problem(changes, message):
    with pytest.raises(ConfigError) as err:
        RunConfig(dataset="moons", **changes).validated()
    assert any(message in p for p in err.value.problems), err.value.problems


def test_all_problems_are_listed_at_once():
    with pytest.raises(ConfigError) as err:
        RunConfig(dataset="moons", epochs=0, learning_rate=0, batch_size=0).validated()
    assert len(err.value.problems) == 3


def test_full_batch_gradient_descent_ignores_the_batch_size():
    RunConfig(dataset="moons", optimizer="gd", batch_size=10**6).validated()


def test_unknown_fields_are_refused():
    with pytest.raises(ConfigError, match="Unknown config field\\(s\\): colour"):
        RunConfig.from_dict({"dataset": "digits", "colour": "red"})
