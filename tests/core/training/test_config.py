"""The run config: defaults filled in, every mistake named in plain words, JSON round trip."""
import json

import pytest

from core.params import ConfigError
from core.training.config import RunConfig


def test_validated_fills_every_knob_and_round_trips_through_json(tmp_path):
    config = RunConfig(dataset="moons", architecture="mlp", optimizer="momentum",
                       arch_params={"units": "16"}).validated()
    assert config.arch_params == {"hidden_layers": 2, "units": 16, "activation": "relu",
                                  "initializer": "glorot", "dropout": 0.0, "embedding_dim": 32}
    assert config.optimizer_params == {"momentum": 0.9}
    assert config.dataset_params == {"n_samples": 1000, "noise": 0.2}
    assert RunConfig.from_dict(json.loads(config.to_json())) == config
    path = tmp_path / "run.json"
    path.write_text(config.to_json(), encoding="utf-8")
    assert RunConfig.from_file(path) == config
    assert config.validated() == config  # validating twice changes nothing
    assert RunConfig().validated().dataset == "digits"  # the defaults are a valid run


def test_numbers_are_normalised():
    config = RunConfig(dataset="moons", epochs=3.0, batch_size=32.0, learning_rate=1, seed=7.0).validated()
    assert (type(config.epochs), type(config.batch_size), type(config.learning_rate), type(config.seed)) == \
        (int, int, float, int)


@pytest.mark.parametrize("changes, message", [
    ({"epochs": 0}, "Epochs must be at least 1 (got 0)"),
    ({"epochs": 2.5}, "Epochs must be a whole number"),
    ({"epochs": "ten"}, "Epochs must be a number (got 'ten')"),
    ({"learning_rate": -0.1}, "Learning rate must be greater than 0 (got -0.1)"),
    ({"learning_rate": 0}, "Learning rate must be greater than 0 (got 0)"),
    ({"learning_rate": float("nan")}, "Learning rate must be a finite number"),
    ({"batch_size": 5000}, "Batch size 5000 is larger than the 640 training examples; use at most 640"),
    ({"batch_size": 801, "validation_split": 0.0}, "Batch size 801 is larger than the 800 training examples"),
    ({"validation_split": 0.95}, "Validation split must be at most 0.9 (got 0.95)"),
    ({"validation_split": -0.1}, "Validation split must be at least 0"),
    ({"architecture": "resnet"}, "Unknown architecture 'resnet'. Choose one of: mlp, cnn"),
    ({"architecture": "cnn"}, "CNN (convolutional) cannot read tabular data ('Two moons'). Pick one of: MLP"),
    ({"optimizer": "lbfgs"}, "Unknown optimizer 'lbfgs'"),
    ({"schedule": "wiggly"}, "Unknown schedule 'wiggly'. Choose one of: constant, step, cosine"),
    ({"loss": "hinge"}, "Unknown loss 'hinge'"),
    ({"task": "regression"}, "Unknown task 'regression'"),
    ({"seed": -1}, "Seed must be at least 0"),
    ({"arch_params": {"units": -1}}, "Units per layer must be at least 1"),
    ({"optimizer_params": {"momentum": 0.5}}, "unknown setting 'momentum'"),
    ({"dataset_params": {"noise": 3}}, "Noise must be at most 1"),
    ({"dataset": "imagenet"}, "Unknown dataset 'imagenet'"),
    ({"dataset": "upload:gone-away"}, "no longer exists. Upload it again"),
], ids=lambda v: json.dumps(v) if isinstance(v, dict) else None)
def test_each_bad_setting_gets_a_clear_problem(changes, message):
    with pytest.raises(ConfigError) as err:
        RunConfig(**{"dataset": "moons", **changes}).validated()
    assert any(message in p for p in err.value.problems), err.value.problems


def test_cnn_on_tabular_names_the_architectures_that_fit():
    with pytest.raises(ConfigError) as err:
        RunConfig(dataset="spirals", architecture="transformer").validated()
    (problem,) = err.value.problems
    assert "cannot read tabular data" in problem and "MLP (fully connected)" in problem
    assert "CNN" not in problem.split("Pick one of:")[1]


def test_all_problems_are_listed_at_once():
    with pytest.raises(ConfigError) as err:
        RunConfig(dataset="moons", epochs=0, learning_rate=0, batch_size=0, loss="hinge").validated()
    assert len(err.value.problems) == 4


def test_full_batch_gradient_descent_ignores_the_batch_size():
    assert RunConfig(dataset="moons", optimizer="gd", batch_size=10**6).validated().optimizer == "gd"


def test_unknown_fields_and_non_objects_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="Unknown config field\\(s\\): colour, size"):
        RunConfig.from_dict({"dataset": "digits", "colour": "red", "size": 1})
    for not_an_object in ([1, 2], "digits", 5):
        with pytest.raises(ConfigError, match="must be a JSON object"):
            RunConfig.from_dict(not_an_object)
    broken = tmp_path / "broken.json"
    broken.write_text("{'dataset': 'digits'", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        RunConfig.from_file(broken)
