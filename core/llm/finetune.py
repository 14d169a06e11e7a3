"""Teach the language model a business task: LoRA on SmolLM2, the loss on the answer only.

    example = encode_example(tokenizer, "Classify: my card was charged twice", "billing")
    ids, mask = pad_batch([example, ...], pad_id)        # (B, T) token ids, 1 on answer tokens
    trainable = add_lora(model, rank=8)                 # W stays frozen; only A and B learn
    step = train_step(model, keras.optimizers.AdamW(2e-4))
    loss = step(ids, mask)                              # one update; the mean loss on answer tokens
    plain = merge_lora(model)                           # W + (α/r)·A·B: a plain SmolLM again (int8-able)

LoRA (Hu et al., 2021, "Low-Rank Adaptation of Large Language Models"): a fine-tune changes each
weight matrix W (out × in) by ΔW, and ΔW of a useful fine-tune has low rank. So W is frozen and
ΔW = (α/r)·A·B is learnt instead, A (out × r) and B (r × in), r = 8: for SmolLM2's 30 blocks and
four projections, 2 M numbers to learn instead of 135 M, and an adapter of 8 MB instead of a 540 MB
model. B starts at zero, so training starts from the base model exactly.

The adapters are Keras' own (`EinsumDense.enable_lora`: A, B, α, W frozen), one per fused q/k/v and
gate/up kernel; core/llm/model.py's `project` applies them beside W, x W^T + (α/r)(x B^T) A^T, so
the gradient reaches A and B only.

The loss is the usual next-token cross-entropy, averaged over the answer's tokens only: the prompt
(system, user message, chat template) is the question, not something to learn to write. Training
and the lab frame a prompt with the same chat template (Tokenizer.chat_ids).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The projections LoRA can adapt, as the page names them (core/llm/model.py's layer names).
TARGETS: dict[str, str] = {
    "qkv": "attention: queries, keys and values",
    "o": "attention: output",
    "gate_up": "feed-forward: gate and up",
    "down": "feed-forward: down",
}


class ExampleTooLong(ValueError):
    """A prompt and its answer do not fit the longest example allowed."""


@dataclass(frozen=True)
class Example:
    ids: list[int]     # the chat-framed prompt, then the answer and its end-of-turn token
    mask: list[int]    # 1 where the token is part of the answer (it carries loss), 0 in the prompt

    @property
    def answer_tokens(self) -> int:
        return sum(self.mask)


def encode_example(tokenizer, prompt: str, answer: str, max_tokens: int = 256,
                   system: str | None = None) -> Example:
    """The chat template around `prompt` (as the lab frames a question), then `answer` and <|im_end|>."""
    question = tokenizer.chat_ids([{"role": "user", "content": prompt}], system=system)
    reply = tokenizer.encode(answer) + [tokenizer.special["<|im_end|>"]]
    if len(question) + len(reply) > max_tokens:
        raise ExampleTooLong(f"{len(question) + len(reply)} tokens, more than the {max_tokens} allowed")
    return Example(question + reply, [0] * len(question) + [1] * len(reply))


def pad_batch(examples: list[Example], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, mask), both (B, T) int32, T the longest example; padding carries no loss."""
    length = max(len(e.ids) for e in examples)
    ids = np.full((len(examples), length), pad_id, np.int32)
    mask = np.zeros((len(examples), length), np.int32)
    for row, example in enumerate(examples):
        ids[row, :len(example.ids)] = example.ids
        mask[row, :len(example.mask)] = example.mask
    return ids, mask


def batches(examples: list[Example], batch_size: int, pad_id: int, seed: int = 0) -> list[tuple]:
    """Padded (ids, mask) batches of examples of similar length, in a shuffled order: sorting by
    length first means little padding, so few of the tokens a step pays for are padding."""
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].ids))
    chunks = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    np.random.default_rng(seed).shuffle(chunks)
    return [pad_batch([examples[i] for i in chunk], pad_id) for chunk in chunks]


def answer_loss(logits, ids, mask):
    """Mean cross-entropy of the answer tokens: position t predicts token t + 1, and only the
    predictions of answer tokens (mask[t + 1] = 1) count."""
    from keras import ops
    targets, weights = ids[:, 1:], ops.cast(mask[:, 1:], "float32")
    log_p = ops.log_softmax(ops.cast(logits[:, :-1], "float32"), axis=-1)
    picked = ops.take_along_axis(log_p, ops.expand_dims(targets, -1), axis=-1)[..., 0]
    return -ops.sum(picked * weights) / ops.maximum(ops.sum(weights), 1.0)


def projections(model, targets=tuple(TARGETS)) -> list:
    """The EinsumDense layers named by `targets`, block by block."""
    layers = []
    for block in model.blocks:
        owners = {"qkv": block.attn, "o": block.attn, "gate_up": block.mlp, "down": block.mlp}
        layers += [getattr(owners[name], name) for name in targets]
    return layers


def add_lora(model, rank: int = 8, targets=tuple(TARGETS), alpha: float | None = None) -> int:
    """Freeze the model and give each target projection a rank-`rank` adapter; returns the
    number of numbers that will learn. α defaults to 2r, so ΔW = 2·A·B whatever the rank."""
    unknown = set(targets) - set(TARGETS)
    if unknown or not targets:
        raise ValueError(f"LoRA targets must be some of {', '.join(TARGETS)} (got {', '.join(targets) or 'none'}).")
    for layer in _layers(model):  # not model.trainable = False: a frozen parent hides its children's variables
        layer.trainable = False
    for layer in projections(model, targets):
        layer.trainable = True
        layer.enable_lora(rank, lora_alpha=alpha if alpha is not None else 2 * rank)
    return int(sum(np.prod(v.shape) for v in model.trainable_variables))


def train_step(model, optimizer):
    """A compiled step: forward, the answer loss, its gradient on the adapters, one update."""
    import tensorflow as tf
    variables = model.trainable_variables

    @tf.function(reduce_retracing=True)
    def step(ids, mask):
        with tf.GradientTape() as tape:
            loss = answer_loss(model(ids), ids, mask)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    return step


def evaluate_loss(model, batches) -> float:
    """Mean answer loss over (ids, mask) batches, weighted by their answer tokens."""
    total = tokens = 0.0
    for ids, mask in batches:
        answer = float(mask[:, 1:].sum())
        total += float(answer_loss(model(ids), ids, mask)) * answer
        tokens += answer
    return total / max(tokens, 1.0)


def merge_lora(model):
    """A plain SmolLM with W ← W + (α/r)·A·B in every adapted projection: the same forward pass,
    no adapters, ready to save, export or quantize to int8."""
    from .model import SmolLM
    merged = SmolLM(model.cfg, model.max_positions)
    merged.build()
    for new, old in zip(_layers(merged), _layers(model)):
        if getattr(old, "lora_enabled", False):
            new.kernel.assign(old.kernel)    # the property: W + (α/r)·A·B
        else:
            new.set_weights(old.get_weights())
    return merged


def _layers(model) -> list:
    """Every layer holding weights, in a fixed order."""
    out = [model.embed, model.norm]
    for block in model.blocks:
        out += [block.attn_norm, block.mlp_norm, block.attn.qkv, block.attn.o, block.mlp.gate_up, block.mlp.down]
    return out
