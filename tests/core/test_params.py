"""Param/resolve: the one validator every registry's knobs go through."""
import pytest

from core.params import ConfigError, Param, resolve

SPECS = {"units": Param(64, "Units", 1, 1024), "activation": Param("relu", "Activation", choices=("relu", "tanh")),
         "rate": Param(0.1, "Rate", 0.0, 1.0), "flag": Param(False, "Flag")}


def test_defaults_fill_missing_values():
    for given in ({}, None):
        values, problems = resolve(SPECS, given, "MLP")
        assert problems == []
        assert values == {"units": 64, "activation": "relu", "rate": 0.1, "flag": False}


def test_given_values_are_coerced_to_the_default_type():
    values, problems = resolve(SPECS, {"units": "32", "rate": 1, "activation": "tanh", "flag": 1}, "MLP")
    assert problems == []
    assert values == {"units": 32, "rate": 1.0, "activation": "tanh", "flag": True}
    assert type(values["units"]) is int and type(values["rate"]) is float and values["flag"] is True


def test_range_limits_are_inclusive():
    values, problems = resolve(SPECS, {"units": 1024, "rate": 0.0}, "MLP")
    assert problems == [] and values["units"] == 1024
    _, problems = resolve(SPECS, {"units": 1025}, "MLP")
    assert problems == ["Units must be at most 1024 (got 1025)."]
    _, problems = resolve(SPECS, {"rate": -0.5}, "MLP")
    assert problems == ["Rate must be at least 0 (got -0.5)."]


@pytest.mark.parametrize("given, problem", [
    ({"units": 0}, "Units must be at least 1 (got 0)."),
    ({"activation": "swish"}, "Activation: 'swish' is not one of relu, tanh."),
    ({"rate": "fast"}, "Rate: expected a number, got 'fast'."),
    ({"rate": None}, "Rate: expected a number, got 'None'."),
    ({"units": 2.5}, "Units: expected a whole number, got 2.5."),
    ({"rate": float("nan")}, "Rate: expected a finite number, got nan."),
    ({"units": float("inf")}, "Units: expected a finite number, got inf."),
    ({"colour": 1}, "MLP: unknown setting 'colour'."),
], ids=["below-min", "not-a-choice", "wrong-type", "none", "not-whole", "nan", "inf", "unknown-key"])
def test_each_mistake_is_one_plain_words_problem(given, problem):
    _, problems = resolve(SPECS, given, "MLP")
    assert problems == [problem]


def test_every_problem_is_reported_at_once():
    _, problems = resolve(SPECS, {"units": 0, "activation": "swish", "rate": "fast", "colour": 1, "size": 2}, "MLP")
    assert len(problems) == 5
    assert sum("unknown setting" in p for p in problems) == 2


def test_config_error_keeps_each_problem():
    err = ConfigError(["first problem.", "second problem."])
    assert err.problems == ["first problem.", "second problem."]
    assert str(err) == "first problem.; second problem."
    assert ConfigError("only one.").problems == ["only one."]
    assert isinstance(err, ValueError)
