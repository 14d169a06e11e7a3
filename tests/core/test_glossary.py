"""Every knob the Train page and the playground draw has a plain-words help: its own or the glossary's.

pages/common.py param_widget shows `spec.help or help_for(spec.label)`; a label with neither is
jargon on screen with nothing behind the ⓘ (issue #14: β₂, glorot, ‖∂loss/∂W‖).
"""
import pytest

from core.glossary import GLOSSARY, help_for, terms_in
from core.models import ARCHITECTURES
from core.optim import OPTIMIZERS

KNOBS = [(f"{kind} {key}.{name}", spec) for kind, registry in (("optimizer", OPTIMIZERS),
                                                                ("architecture", ARCHITECTURES))
         for key, entry in registry.items() for name, spec in entry.params.items()]


def test_the_registries_have_knobs_to_check():
    assert len(KNOBS) > 30  # a registry read wrongly would make every test below pass on nothing


@pytest.mark.parametrize("where, spec", KNOBS, ids=[where for where, _ in KNOBS])
def test_every_knob_has_a_plain_words_sentence(where, spec):
    text = spec.help or help_for(spec.label)
    assert text, f"{where} ('{spec.label}') has no help and no glossary entry"
    assert len(text.split()) >= 5 and text[0].isupper(), text


def test_the_jargon_seen_on_screen_is_explained():
    for term in ("β₂", "glorot", "‖∂loss/∂W‖", "learning rate", "epoch", "Adam", "validation loss"):
        assert help_for(term), term
    assert help_for("  Learning Rate ") == help_for("learning rate")  # case and spaces do not matter
    assert help_for("no such term") is None


def test_every_entry_is_one_sentence_for_a_manager():
    for term, meaning in GLOSSARY.items():
        assert term == term.lower().strip(), term  # help_for looks terms up in lower case
        assert meaning[0].isupper() and meaning.endswith("."), term
        assert len(meaning) < 200, term


def test_terms_in_finds_whole_words_only():
    found = terms_in("Adam and the learning rate")
    assert {"adam", "learning rate"} <= set(found)
    assert "he" not in terms_in("the model")  # 'he' (the initializer) is not inside 'the'


def test_a_knob_without_its_own_help_shows_the_glossary_sentence():
    from streamlit.testing.v1 import AppTest

    def page():
        from core.params import Param
        from pages.common import param_widget
        param_widget("b2", Param(0.999, "β₂", 0.0, 0.99999), key="b2")
        param_widget("units", Param(8, "Units", 1, 16, help="Its own help wins."), key="units")
        param_widget("odd", Param(1, "Flux capacitance", 0, 3), key="odd")

    at = AppTest.from_function(page, default_timeout=30).run()
    assert not at.exception
    helps = {s.label: s.help for s in at.slider}
    assert helps["β₂"] == help_for("β₂")
    assert helps["Units"] == "Its own help wins."
    assert not helps["Flux capacitance"]  # no entry: no empty tooltip either


def test_imagenet_classes_show_a_short_common_name_with_the_long_one_as_help():
    from core.models.pretrained import PRETRAINED
    entry = PRETRAINED["efficientnet_lite0_imagenet"]
    labels, helps = entry.labels(), entry.label_help()
    assert len(labels) == 1000
    assert labels[281] == "tabby cat" and labels[282] == "tiger cat"  # not "a cat having a striped coat"
    assert "a cat having a striped coat" in helps["tiger cat"]
    assert not [label for label in labels if label.lower().startswith(("a ", "an ")) or len(label) > 40]
