"""What the Language Model Lab page needs from core: one shared model, queued; prompts fitted to the
context; uploaded text cleaned; token costs; the studio's model sizes; the page's figures.
Only the tokenizer is read from the model file here (no Keras model is built)."""
from __future__ import annotations

import threading
import time
import weakref

import numpy as np
import pytest

from core.llm import lab
from core.llm.lab import SharedModel, fit_chat, prompt_from_file, rate_of, shown_token, token_costs
from core.text.io import TextInputError


class Fake:
    """Stands for a LanguageModel: one object per load."""
    def __init__(self, mode):
        self.mode = mode


def test_shared_model_lends_one_caller_at_a_time_and_says_queued():
    shared = SharedModel(loader=lambda mode, progress: Fake(mode))
    order, waited = [], []
    inside = threading.Event()

    def first():
        with shared.use("float32") as lm:
            inside.set()
            order.append(("first in", lm.mode))
            time.sleep(0.4)
            order.append(("first out", lm.mode))

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait(5)
    assert shared.busy
    with shared.use("float32", waiting=waited.append, poll=0.05) as lm:
        order.append(("second in", lm.mode))
    thread.join()
    assert [step for step, _ in order] == ["first in", "first out", "second in"]   # queued, never mixed
    assert waited and waited == sorted(waited)                                     # told it was waiting
    assert shared.loads == 1 and not shared.busy                                   # loaded once


def test_switching_precision_frees_the_old_model_before_loading_the_new():
    alive = []

    def loader(mode, progress):
        assert all(ref() is None for ref in alive), "the other precision is still in memory"
        model = Fake(mode)
        alive.append(weakref.ref(model))
        return model

    shared = SharedModel(loader=loader)
    for mode in ("float32", "int8", "float32"):
        with shared.use(mode) as lm:
            assert lm.mode == mode
        del lm   # a caller keeps no model past its block (the page's sections do not)
    assert shared.loads == 3 and shared.loaded("float32") and not shared.loaded("int8")
    with pytest.raises(ValueError, match="int4"):
        with shared.use("int4"):
            pass


def test_a_failed_load_releases_the_model_for_the_next_caller():
    calls = []

    def loader(mode, progress):
        calls.append(mode)
        if len(calls) == 1:
            raise OSError("disk full")
        return Fake(mode)

    shared = SharedModel(loader=loader)
    with pytest.raises(OSError):
        with shared.use("float32"):
            pass
    with shared.use("float32") as lm:
        assert lm.mode == "float32"


@pytest.fixture(scope="module")
def tokenizer():
    from tests.core.llm.test_llm import _require_model
    from core.llm.gguf import read_tokenizer_only
    from core.llm.tokenizer import Tokenizer
    return Tokenizer(read_tokenizer_only(_require_model()))


class TokenizerOnly:
    """The part of LanguageModel that fit_chat uses, over the real tokenizer."""
    def __init__(self, tokenizer, context):
        self.tokenizer, self.context = tokenizer, context

    def encode(self, text):
        return self.tokenizer.encode(text)

    def chat_ids(self, text):
        return self.tokenizer.chat_ids([{"role": "user", "content": text}])


def test_a_long_prompt_keeps_its_end_and_the_chat_template_whole(tokenizer):
    lm = TokenizerOnly(tokenizer, context=128)
    text = " ".join(f"word{i}" for i in range(300)) + " What is the capital of France?"
    prompt = fit_chat(lm, text, max_new_tokens=32)
    assert prompt.dropped > 0 and len(prompt.ids) <= 128 - 32 + 2          # fits (a token more: generate trims)
    decoded = tokenizer.decode(prompt.ids)
    assert decoded.startswith("<|im_start|>system") and decoded.endswith("<|im_start|>assistant\n")
    assert "capital of France?" in decoded and "word0 " not in decoded
    assert f"{prompt.text_tokens:,} tokens" in prompt.note and f"first {prompt.dropped:,}" in prompt.note
    short = fit_chat(lm, "Hello", max_new_tokens=32)
    assert short.dropped == 0 and short.note is None and short.ids == lm.chat_ids("Hello")
    with pytest.raises(ValueError, match="empty"):
        fit_chat(lm, "  \n", max_new_tokens=32)


def test_completion_prompts_are_the_text_alone(tokenizer):
    lm = TokenizerOnly(tokenizer, context=1024)
    assert fit_chat(lm, "The capital of France is", 16, chat=False).ids == tokenizer.encode("The capital of France is")


def test_uploaded_text_is_cleaned_and_each_step_said():
    result = prompt_from_file("Ring\x07 the bell\x1b now.\n\tTabs and newlines stay.".encode())
    assert result.text == "Ring the bell now.\n\tTabs and newlines stay."
    assert any("2 control characters" in note for note in result.notes)
    mixed = prompt_from_file("café crème ".encode() + b"\xff\xfe" + " reste".encode())   # not valid UTF-8
    assert "reste" in mixed.text and any("not UTF-8" in n or "not valid" in n for n in mixed.notes), mixed.notes
    with pytest.raises(TextInputError, match="binary"):
        prompt_from_file(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    with pytest.raises(TextInputError, match="empty"):
        prompt_from_file(b"")
    with pytest.raises(TextInputError, match="no readable text"):
        prompt_from_file(b" " * 100 + b"\x07\n")


def test_answer_speed_counts_after_the_first_token():
    rate = rate_of([0.8, 0.9, 1.0, 1.3])
    assert rate.tokens == 4 and rate.first_token_seconds == 0.8 and rate.tokens_per_second == pytest.approx(6.0)
    assert rate_of([0.5]).tokens_per_second is None and rate_of([]).tokens == 0


def test_chinese_and_emoji_cost_more_tokens_per_character(tokenizer):
    costs = {row["text"]: row for row in token_costs(tokenizer)}
    english = costs["English"]["tokens per character"]
    assert costs["Chinese"]["tokens per character"] > 2 * english
    assert costs["Emoji"]["tokens per character"] > 2 * english
    assert costs["Chinese"]["bytes"] == 3 * costs["Chinese"]["characters"]   # 3 UTF-8 bytes each


def test_tokens_are_shown_with_visible_spaces():
    assert shown_token(" Paris") == "␣Paris" and shown_token("\n") == "⏎" and shown_token("") == "∅"


def test_studio_sizes_put_this_model_first_and_read_published_counts(monkeypatch):
    assert lab._count("4,652,008") == 4_652_008 and lab._count("74 million (published)") == 74_000_000
    assert lab._count("converted on first use") is None and lab._count(None) is None
    sized, unmeasured = lab.studio_model_sizes(134_515_008)
    assert sized[0].kind == "this model" and sized[0].parameters == 134_515_008
    assert all(s.parameters > 0 for s in sized)
    assert not any("SmolLM2" in title for title in unmeasured)   # this model is never listed twice


def test_next_token_figure_colours_what_is_cut():
    from core.llm.figures import CHOSEN, CUT, KEPT, next_token_figure
    fig = next_token_figure(["␣Paris", "␣the", "␣a"], [0.7, 0.2, 0.1], [True, True, False], [0.77, 0.15, 0.08], 0)
    bar = fig.data[0]
    assert list(bar.marker.color) == [CHOSEN, KEPT, CUT] and "cut" in bar.text[2]


def test_tokens_html_escapes_what_was_typed():
    from core.llm.figures import tokens_html
    from core.llm.tokenizer import Piece
    text = "<b>hi"
    pieces = [Piece(27, "<", "<", 0, 1), Piece(98, "b", "b", 1, 2), Piece(29, ">", ">", 2, 3), Piece(5, "hi", "hi", 3, 5)]
    out = tokens_html(text, pieces)
    assert "<b>" not in out and "&lt;" in out and out.count("<span") == 4 and "id 98" in out


def test_sizes_figure_is_on_a_log_axis_largest_first():
    from core.llm.figures import sizes_figure
    fig = sizes_figure(["small", "this"], [10_000, 134_000_000], ["trained here", "this model"])
    assert fig.layout.xaxis.type == "log" and list(fig.data[0].y) == ["this", "small"]


def test_agreement_counts_same_next_tokens():
    from core.llm.quantize import agreement
    assert agreement({"next_tokens": [1, 2, 3, 4]}, {"next_tokens": [1, 2, 9, 4]}) == 0.75
    assert np.isclose(agreement({"next_tokens": [5]}, {"next_tokens": [5]}), 1.0)


def test_the_catalogue_lists_the_language_model_with_its_loader():
    from core.catalog import CATALOG, list_models, resolve, task_of
    from core.llm.lm import load_for_catalog
    entry = CATALOG[lab.CATALOG_KEY]
    assert entry.task == "language" and entry.source == "pretrained" and "Apache-2.0" in entry.licence
    assert resolve(entry.loader) is load_for_catalog and task_of(lab.CATALOG_KEY) == "language"
    assert [m.key for m in list_models("language")] == [lab.CATALOG_KEY]
