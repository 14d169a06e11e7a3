from core.params import Param, resolve

SPECS = {"units": Param(64, "Units", 1, 1024), "activation": Param("relu", "Activation", choices=("relu", "tanh")),
         "rate": Param(0.1, "Rate", 0.0, 1.0), "flag": Param(False, "Flag")}


def test_defaults_fill_missing_values():
    values, problems = resolve(SPECS, {}, "MLP")
    assert problems == []
    assert values == {"units": 64, "activation": "relu", "rate": 0.1, "flag": False}


def test_values_are_coerced_and_checked():
    values, problems = resolve(SPECS, {"units": "32", "rate": 0.5}, "MLP")
    assert problems == [] and values["units"] == 32 and values["rate"] == 0.5


def test_every_problem_is_reported_in_plain_words():
    _, problems = resolve(SPECS, {"units": 0, "activation": "swish", "rate": "fast", "colour": 1}, "MLP")
    joined = " ".join(problems)
    assert "Units must be at least 1 (got 0)" in joined
    assert "'swish' is not one of relu, tanh" in joined
    assert "Rate: expected a number, got 'fast'" in joined
    assert "unknown setting 'colour'" in joined
    assert len(problems) == 4


def test_whole_numbers_required_for_integer_knobs():
    _, problems = resolve(SPECS, {"units": 2.5}, "MLP")
    assert problems == ["Units: expected a whole number, got 2.5."]
