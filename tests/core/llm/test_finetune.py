"""LoRA fine-tuning of the studio's Keras SmolLM (core/llm/finetune.py), on a tiny model of the
same architecture (random weights, two blocks) so each test runs in seconds."""
import keras
import numpy as np
import pytest

from core.llm import finetune
from core.llm.finetune import Example, add_lora, answer_loss, merge_lora, pad_batch, train_step
from core.llm.gguf import LlamaConfig
from core.llm.model import SmolLM

TINY = LlamaConfig(vocab_size=64, hidden=32, layers=2, heads=4, kv_heads=2, ffn=64, context=64)


def tiny_model(seed: int = 0) -> SmolLM:
    keras.utils.set_random_seed(seed)
    model = SmolLM(TINY, max_positions=64)
    model.build()
    # Embeddings of a trained model's size (Keras draws them within ±0.05: then no logit can stand
    # out by more than about 1, through the frozen tied output layer, and no answer can be learnt).
    rng = np.random.default_rng(seed)
    model.embed.embeddings.assign(rng.standard_normal((TINY.vocab_size, TINY.hidden)).astype("float32"))
    return model


def task(rng, n: int) -> list[Example]:
    """Prompt: random tokens 10-39; answer: the house reply, token 42, then the end token 3."""
    examples = []
    for _ in range(n):
        prompt = [int(t) for t in rng.integers(10, 40, 6)]
        answer = [42, 3]
        examples.append(Example(prompt + answer, [0] * len(prompt) + [1] * len(answer)))
    return examples


def test_prompt_tokens_carry_no_loss():
    rng = np.random.default_rng(0)
    batch = pad_batch(task(rng, 4), pad_id=0)
    ids, weights = batch.ids, batch.weights
    logits = rng.standard_normal((*ids.shape, TINY.vocab_size)).astype("float32")
    base = float(answer_loss(logits, ids, weights))
    prompt_changed = logits.copy()
    prompt_changed[:, :4] += rng.standard_normal(prompt_changed[:, :4].shape).astype("float32") * 5
    # Positions 0-4 predict prompt tokens 1-5: whatever they say costs nothing.
    assert float(answer_loss(prompt_changed, ids, weights)) == pytest.approx(base, abs=1e-6)
    answer_changed = logits.copy()
    answer_changed[:, 5, :10] += 5.0  # position 5 predicts the first answer token
    assert float(answer_loss(answer_changed, ids, weights)) != pytest.approx(base, abs=1e-3)


def test_the_loss_is_the_cross_entropy_of_the_answer_tokens():
    batch = pad_batch([Example([5, 6, 7, 8], [0, 0, 1, 1])], pad_id=0)
    logits = np.zeros((1, 4, TINY.vocab_size), np.float32)
    logits[0, 1, 7] = 2.0  # position 1 predicts token 7 (an answer token), position 2 token 8
    p7 = np.exp(2.0) / (np.exp(2.0) + TINY.vocab_size - 1)
    expected = -(np.log(p7) + np.log(1 / TINY.vocab_size)) / 2
    assert float(answer_loss(logits, batch.ids, batch.weights)) == pytest.approx(expected, rel=1e-5)


def test_every_example_weighs_the_same_however_long_its_answer():
    batch = pad_batch([Example([5, 6, 7], [0, 0, 1]), Example([5, 6, 7, 8, 9, 10], [0, 0, 1, 1, 1, 1])], pad_id=0)
    assert batch.weights.tolist() == [[0, 0, 1, 0, 0, 0], [0, 0, .25, .25, .25, .25]]
    logits = np.zeros((2, 6, TINY.vocab_size), np.float32)
    logits[0, 1, 7] = 9.0    # the one-word answer right: its loss about 0; the long one at chance
    chance = np.log(TINY.vocab_size)
    assert float(answer_loss(logits, batch.ids, batch.weights)) == pytest.approx(chance / 2, rel=1e-2)


def test_padding_carries_no_loss():
    examples = [Example([1, 2, 3], [0, 1, 1]), Example([1, 2, 3, 4, 5], [0, 0, 1, 1, 1])]
    batch = pad_batch(examples, pad_id=0)
    assert batch.ids.shape == (2, 5) and batch.ids[0, 3:].tolist() == [0, 0] and batch.weights[0, 3:].tolist() == [0, 0]
    assert batch.segments.tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]] and batch.tokens == 8


def test_merged_weights_give_the_lora_forward_pass():
    model = tiny_model()
    add_lora(model, rank=4)
    rng = np.random.default_rng(1)
    for layer in finetune.projections(model):  # B starts at zero: make the adapters do something
        layer.lora_kernel_b.assign(rng.standard_normal(layer.lora_kernel_b.shape).astype("float32") * 0.05)
    ids = rng.integers(0, TINY.vocab_size, (2, 9)).astype("int32")
    lora_logits = np.asarray(model(ids))
    merged = merge_lora(model)
    np.testing.assert_allclose(np.asarray(merged(ids)), lora_logits, rtol=1e-4, atol=1e-4)
    assert not any(getattr(layer, "lora_enabled", False) for layer in finetune.projections(merged))
    assert np.abs(lora_logits - np.asarray(tiny_model()(ids))).max() > 1e-3  # the adapters changed it


def test_a_tiny_fine_tune_lowers_the_loss_and_changes_the_next_token_only_through_the_adapters():
    model = tiny_model()
    frozen_before = [np.asarray(v).copy() for v in model.weights]
    trainable = add_lora(model, rank=4, targets=("qkv", "gate_up"))
    assert trainable == 2 * (4 * (32 + 64) + 4 * (32 + 128))  # per block: A (out × 4) and B (4 × in), twice
    rng = np.random.default_rng(2)
    batch = pad_batch(task(rng, 32), pad_id=0)
    held = pad_batch(task(np.random.default_rng(3), 16), pad_id=0)
    held_ids = held.ids
    before = float(answer_loss(model(held_ids), held_ids, held.weights))
    next_before = np.asarray(keras.ops.softmax(model(held_ids[:1, :6])[0, -1]))
    step = train_step(model, keras.optimizers.Adam(1e-2))
    answers = batch.answers(finetune.answer_slots([batch]))
    losses = [float(step(batch.ids, batch.segments, *answers)) for _ in range(60)]
    after = float(answer_loss(model(held_ids), held_ids, held.weights))
    assert losses[-1] < 0.5 * losses[0] and after < 0.8 * before, (losses[0], losses[-1], before, after)
    next_after = np.asarray(keras.ops.softmax(model(held_ids[:1, :6])[0, -1]))
    assert 0.5 * np.abs(next_after - next_before).sum() > 0.05  # total variation: the next token moved
    frozen_after = [np.asarray(v) for v in model.weights if "lora" not in v.path]
    assert all(np.array_equal(a, b) for a, b in zip(frozen_before, frozen_after))  # W itself never moved


def test_unknown_targets_are_refused_with_the_choices():
    with pytest.raises(ValueError, match="qkv, o, gate_up, down"):
        add_lora(tiny_model(), targets=("embed",))


def test_examples_use_the_labs_chat_template_and_mask_the_question():
    from core.llm.lab import load_tokenizer
    tokenizer = load_tokenizer()
    example = finetune.encode_example(tokenizer, "Which team handles a double charge?", "billing")
    question = tokenizer.chat_ids([{"role": "user", "content": "Which team handles a double charge?"}])
    assert example.ids[:len(question)] == question and example.mask[:len(question)] == [0] * len(question)
    assert tokenizer.decode(example.ids[len(question):]) == "billing<|im_end|>"
    assert example.answer_tokens == len(tokenizer.encode("billing")) + 1  # the answer and its end of turn
    with pytest.raises(finetune.ExampleTooLong, match="more than the 20 allowed"):
        finetune.encode_example(tokenizer, "word " * 40, "billing", max_tokens=20)


def test_packed_batches_hold_every_example_once_in_one_shape_with_little_padding():
    rng = np.random.default_rng(4)
    examples = [Example(list(range(1, n + 1)), [0] * (n - 1) + [1]) for n in rng.integers(3, 60, 37)]
    batched = finetune.batches(examples, 4, 256, pad_id=0)
    length = finetune.row_length(examples, 256)
    assert length == 64                                                   # the longest (59) rounded up, not 256
    assert {b.ids.shape for b in batched} == {(finetune.rows_per_step(examples, 4, length), length)}  # one shape
    assert len(batched) == finetune.steps(examples, 4, 256)
    held = sorted(tuple(b.ids[r, b.segments[r] == n]) for b in batched
                  for r in range(b.ids.shape[0]) for n in range(1, b.segments[r].max() + 1))
    assert held == sorted(tuple(e.ids) for e in examples)                 # each example once, whole
    real, paid = sum(len(e.ids) for e in examples), sum(b.ids.size for b in batched)
    assert sum(b.tokens for b in batched) == real and paid < 1.25 * real, (paid, real)   # rows nearly full
    again, other = finetune.batches(examples, 4, 256, pad_id=0), finetune.batches(examples, 4, 256, pad_id=0, seed=1)
    assert all(np.array_equal(a.ids, b.ids) for a, b in zip(batched, again))  # a resume skips the same batches
    assert len(other) == len(batched) and not all(np.array_equal(a.ids, b.ids) for a, b in zip(batched, other))


def test_answer_slots_hold_every_answer_token_and_nothing_else():
    batch = finetune.packed_rows([[Example([5, 6, 7], [0, 0, 1]), Example([8, 9, 10, 11], [0, 1, 1, 1])]], 8, 0, 1)
    at, targets, weights = batch.answers(4)
    assert at.tolist() == [1, 3, 4, 5] and targets.tolist() == [7, 9, 10, 11]    # position t predicts t + 1
    np.testing.assert_allclose(weights, [1, 1 / 3, 1 / 3, 1 / 3])
    at, targets, weights = batch.answers(64)
    assert weights[4:].sum() == 0 and finetune.answer_slots([batch]) == 64
    with pytest.raises(ValueError, match="more than the 2 slots"):
        batch.answers(2)


def test_a_packed_example_scores_as_it_does_alone():
    """Packing (several examples in one row) changes nothing an example sees: the same loss as
    one example per row."""
    model = tiny_model()
    add_lora(model, rank=2)
    rng = np.random.default_rng(6)
    for layer in finetune.projections(model):
        layer.lora_kernel_b.assign(rng.standard_normal(layer.lora_kernel_b.shape).astype("float32") * 0.05)
    examples = task(rng, 5) + [Example([11, 12, 13, 42, 3], [0, 0, 0, 1, 1])]
    alone = finetune.pad_batch(examples, pad_id=0)
    packed = finetune.packed_rows([examples[:4], examples[4:]], 40, 0, 2)
    assert packed.segments[0].tolist()[:17] == [1] * 8 + [2] * 8 + [3]
    expected = finetune.batch_loss(model, alone)
    assert finetune.batch_loss(model, packed) == pytest.approx(expected, rel=1e-5)
    unsegmented = finetune.Batch(packed.ids, np.ones_like(packed.segments), packed.weights)
    assert finetune.batch_loss(model, unsegmented) != pytest.approx(expected, rel=1e-3)  # else they see each other


def test_the_training_loss_is_the_answer_loss_of_the_whole_forward_pass():
    model = tiny_model()
    rng = np.random.default_rng(5)
    batch = pad_batch(task(rng, 3) + [Example([11, 12, 42, 3], [0, 0, 1, 1])], pad_id=0)
    expected = float(answer_loss(model(batch.ids), batch.ids, batch.weights))
    assert finetune.batch_loss(model, batch) == pytest.approx(expected, rel=1e-5)
    assert finetune.batch_loss(model, batch, finetune.loss_function(model)) == pytest.approx(expected, rel=1e-4)


def test_a_saved_adapter_gives_another_copy_of_the_model_the_same_answers(tmp_path):
    model = tiny_model()
    add_lora(model, rank=2, targets=("o", "down"))
    rng = np.random.default_rng(6)
    for layer in finetune.projections(model, ("o", "down")):
        layer.lora_kernel_b.assign(rng.standard_normal(layer.lora_kernel_b.shape).astype("float32") * 0.1)
    finetune.save_adapter(model, tmp_path / "adapter.npz")
    copy = tiny_model()
    meta = finetune.load_adapter(copy, tmp_path / "adapter.npz")
    assert meta == {"rank": 2, "alpha": 4, "targets": ["o", "down"]}
    ids = rng.integers(0, TINY.vocab_size, (2, 7)).astype("int32")
    np.testing.assert_allclose(np.asarray(copy(ids)), np.asarray(model(ids)), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="no LoRA adapters"):
        finetune.save_adapter(tiny_model(), tmp_path / "none.npz")
