"""Test accuracy against guessing: the sentence a room needs under "Test accuracy 33 %"."""
from core.chance import chance_note, guessing_accuracy


def results(accuracy, matrix, names=("circle", "square", "triangle")):
    return {"test_accuracy": accuracy, "confusion_matrix": matrix, "class_names": list(names)}


def test_one_class_for_everything_is_called_guessing():
    """Issue 22 item 5: 58 images of 3 shapes, every test image put in one class: 33.3 %."""
    everything_circle = [[4, 0, 0], [4, 0, 0], [4, 0, 0]]
    assert guessing_accuracy(everything_circle) == (4 / 12, 0)
    note = chance_note(results(4 / 12, everything_circle))
    assert note.startswith("33% with 3 classes: no better than guessing")
    assert "always answering any one class scores 33%" in note  # 4 of each: no class to name
    assert "always answering “ok” scores 90%" in chance_note(results(0.9, [[90, 0], [10, 0]], ("ok", "faulty")))


def test_a_little_above_guessing_on_few_examples_is_not_clearly_better():
    matrix = [[4, 0, 0], [2, 2, 0], [2, 0, 2]]  # 8 of 12: 67 % against 33 %, 2 s.e. = 27 points
    assert chance_note(results(8 / 12, matrix)) is None
    matrix = [[4, 0, 0], [3, 1, 0], [2, 0, 2]]  # 7 of 12: 58 %, within 2 s.e. of 33 %
    assert "not clearly better than guessing" in chance_note(results(7 / 12, matrix))
    assert "12 test examples are too few" in chance_note(results(7 / 12, matrix))


def test_an_unbalanced_test_set_is_judged_against_its_largest_class():
    matrix = [[90, 0], [10, 0]]  # 90 % by always saying "ok": not a skill
    assert "no better than guessing" in chance_note(results(0.9, matrix, ("ok", "faulty")))
    assert chance_note(results(0.99, [[90, 0], [1, 9]], ("ok", "faulty"))) is None


def test_runs_without_a_test_score_say_nothing():
    assert chance_note({}) is None and chance_note({"test_accuracy": 0.5}) is None
