"""Teach the language model a business task: LoRA on SmolLM2, the loss on the answer only.

    example = encode_example(tokenizer, "Classify: my card was charged twice", "billing")
    trainable = add_lora(model, rank=8)                 # W stays frozen; only A and B learn
    step = train_step(model, keras.optimizers.AdamW(2e-4))
    for batch in batches(examples, 4, 256, pad_id):     # examples packed end to end into rows
        loss = step(batch.ids, batch.segments, *batch.answers(slots))   # one update; the answer loss
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

Speed (2 cores, measured): a step of 4 x 128 tokens ran 88 tokens/s as a plain graph; 119 with
the 49,152-word output layer applied only where an answer token is predicted (the prompt's
positions never need logits); about 180 with the step compiled by XLA. XLA compiles once per
shape (about 35 s), so `batches` packs the examples end to end into rows of one length (one
shape, almost no padding: 122 -> 137 tokens/s over the bundled epoch, compiling included), and
the answer positions go in a fixed number of slots (Batch.answers).
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


@dataclass(frozen=True)
class Batch:
    """One step's examples in rows of tokens, each (rows, length): several examples end to end in a
    row (packed), then padding."""
    ids: np.ndarray        # int32 tokens
    segments: np.ndarray   # int32: which example of its row a token belongs to (1, 2, ...); 0: padding
    weights: np.ndarray    # float32: on an answer token 1 / (its example's answer tokens); 0 elsewhere

    @property
    def tokens(self) -> int:
        """Tokens of the examples themselves (prompt and answer), padding not counted."""
        return int((self.segments > 0).sum())

    @property
    def predictions(self) -> int:
        """Positions whose next token is an answer token: where the loss is measured."""
        return int((self.weights[:, 1:] > 0).sum())

    def answers(self, slots: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(at, targets, weights), each (slots,): the positions (flat: row * length + t) whose next
        token t + 1 is an answer token, that token, its weight; the slots left over point at
        position 0 with weight 0. A fixed number of slots is one shape for XLA. (With tf.where in
        the step, XLA pads the gathered positions to every position of the batch and applies the
        output layer to all of them: measured, the same step time at 5 % and at 100 % answer tokens.)"""
        rows, cols = np.nonzero(self.weights[:, 1:] > 0)
        if len(rows) > slots:
            raise ValueError(f"{len(rows)} answer tokens, more than the {slots} slots")
        at, targets, weights = np.zeros(slots, np.int32), np.zeros(slots, np.int32), np.zeros(slots, np.float32)
        at[:len(rows)] = rows * self.ids.shape[1] + cols
        targets[:len(rows)] = self.ids[rows, cols + 1]
        weights[:len(rows)] = self.weights[rows, cols + 1]
        return at, targets, weights


def pad_batch(examples: list[Example], pad_id: int) -> Batch:
    """One example per row, as long as the longest, padding after."""
    return packed_rows([[e] for e in examples], max(len(e.ids) for e in examples), pad_id, len(examples))


def pack(lengths: list[int], length: int, seed: int = 0) -> list[list[int]]:
    """The examples (their indices) of each row of `length` tokens: first-fit decreasing, the
    longest first, each into the first row with room for it. Rows come out nearly full, and how
    many depends only on the lengths (equal lengths are interchangeable), so every epoch has the
    same number of steps; `seed` breaks ties in length, so batch mates change between epochs."""
    jitter = np.random.default_rng(seed).random(len(lengths))
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], jitter[i]))
    rows: list[list[int]] = []
    room = np.zeros(len(lengths), np.int64)   # free tokens of each row opened so far
    for i in order:
        fits = np.flatnonzero(room[:len(rows)] >= lengths[i])
        if len(fits):
            rows[fits[0]].append(i)
            room[fits[0]] -= lengths[i]
        else:
            room[len(rows)] = length - lengths[i]
            rows.append([i])
    return rows


def packed_rows(rows: list[list[Example]], length: int, pad_id: int, height: int) -> Batch:
    """Row r holds rows[r]'s examples one after another; `height` rows (the ones beyond
    len(rows) all padding).

    Every example weighs the same in the loss, a one-word answer (a ticket's team) as much as a
    paragraph (a complaint's reply): its answer tokens share a weight of 1. Averaged over tokens
    instead, the few long replies packed beside a step's tickets would drown them."""
    ids = np.full((height, length), pad_id, np.int32)
    segments, weights = np.zeros(ids.shape, np.int32), np.zeros(ids.shape, np.float32)
    for r, row in enumerate(rows):
        at = 0
        for number, example in enumerate(row, 1):
            end = at + len(example.ids)
            ids[r, at:end], segments[r, at:end] = example.ids, number
            weights[r, at:end] = np.asarray(example.mask, np.float32) / max(example.answer_tokens, 1)
            at = end
    return Batch(ids, segments, weights)


def row_length(examples: list[Example], longest: int) -> int:
    """Tokens of a packed row: the longest example rounded up to 32, at most `longest`."""
    return min(longest, -(-max(len(e.ids) for e in examples) // 32) * 32)


def rows_per_step(examples: list[Example], batch_size: int, length: int) -> int:
    """Rows of `length` tokens a step reads so that it holds about `batch_size` examples."""
    mean = sum(len(e.ids) for e in examples) / max(len(examples), 1)
    return max(1, round(batch_size * mean / length))


def batches(examples: list[Example], batch_size: int, longest: int, pad_id: int, seed: int = 0) -> list[Batch]:
    """Batches of packed rows, every one (rows_per_step, row_length): examples end to end (`pack`),
    so a step pays for almost no padding, and one shape, so XLA compiles the step once. A token
    attends only to its own example (core/llm/model.py: segments). The rows come in a shuffled
    order; the same seed gives the same batches (a resumed epoch skips the ones it has done)."""
    length = row_length(examples, longest)
    height = rows_per_step(examples, batch_size, length)
    rows = pack([len(e.ids) for e in examples], length, seed)
    np.random.default_rng(seed).shuffle(rows)
    return [packed_rows([[examples[i] for i in row] for row in rows[at:at + height]], length, pad_id, height)
            for at in range(0, len(rows), height)]


def steps(examples: list[Example], batch_size: int, longest: int) -> int:
    """How many batches `batches` makes of these examples, whatever the seed."""
    length = row_length(examples, longest)
    return -(-len(pack([len(e.ids) for e in examples], length)) // rows_per_step(examples, batch_size, length))


def answer_slots(batches: list[Batch], multiple: int = 64) -> int:
    """Answer slots for these batches (Batch.answers): the most any has, rounded up to `multiple`."""
    return max(multiple, -(-max(b.predictions for b in batches) // multiple) * multiple)


def answer_loss(logits, ids, weights):
    """The weighted cross-entropy of the answer tokens from every position's logits (the plain
    definition; training computes the same with `model_answer_loss`): position t predicts token
    t + 1, which counts with weight weights[t + 1] (0 in the prompt)."""
    from keras import ops
    targets, weights = ids[:, 1:], ops.cast(weights[:, 1:], "float32")
    log_p = ops.log_softmax(ops.cast(logits[:, :-1], "float32"), axis=-1)
    picked = ops.take_along_axis(log_p, ops.expand_dims(targets, -1), axis=-1)[..., 0]
    return -ops.sum(picked * weights) / ops.maximum(ops.sum(weights), 1e-9)


def model_answer_loss(model, ids, segments, at, targets, weights):
    """answer_loss(model(ids), ...), with the output layer (hidden x 49,152 words) applied only at
    the positions `at` that predict an answer token (Batch.answers): the prompt's positions never
    need logits. `segments`: each token attends only to its own example (packed rows). The last
    token of one example never predicts the next example's first: that is a prompt token."""
    import tensorflow as tf
    hidden = model.features(ids, segments)
    picked = tf.gather(tf.reshape(hidden, (-1, hidden.shape[-1])), at)      # (slots, hidden)
    logits = tf.cast(model.embed.logits(picked[None])[0], "float32")
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(targets, logits)
    return tf.reduce_sum(loss * weights) / tf.maximum(tf.reduce_sum(weights), 1e-9)


def batch_loss(model, batch: Batch, loss=None) -> float:
    """The loss of one Batch (with `loss`, a compiled model_answer_loss, if given)."""
    loss = loss or (lambda *args: model_answer_loss(model, *args))
    return float(loss(batch.ids, batch.segments, *batch.answers(answer_slots([batch]))))


def projections(model, targets=tuple(TARGETS)) -> list:
    """The EinsumDense layers named by `targets`, block by block."""
    return [layer for block in model.blocks for name, layer in _owned(block) if name in targets]


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


def _batch_signature():
    import tensorflow as tf
    return [tf.TensorSpec((None, None), tf.int32)] * 2 + [tf.TensorSpec((None,), tf.int32)] * 2 + \
        [tf.TensorSpec((None,), tf.float32)]   # ids, segments | at, targets, weights (Batch.answers)


def train_step(model, optimizer, jit: bool = True):
    """A compiled step: forward, the answer loss, its gradient on the adapters, one update.
    step(batch.ids, batch.segments, *batch.answers(slots)). Traced once for any shapes; with
    `jit` XLA compiles it once per shape it meets (packed batches and fixed slots: one)."""
    import tensorflow as tf
    variables = model.trainable_variables

    @tf.function(input_signature=_batch_signature(), jit_compile=jit)
    def step(ids, segments, at, targets, weights):
        with tf.GradientTape() as tape:
            loss = model_answer_loss(model, ids, segments, at, targets, weights)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    return step


def loss_function(model, jit: bool = True):
    """model_answer_loss compiled (no gradient): for validation batches."""
    import tensorflow as tf
    return tf.function(lambda *args: model_answer_loss(model, *args), input_signature=_batch_signature(),
                       jit_compile=jit)


def evaluate_loss(model, batches: list[Batch], loss=None) -> float:
    """Mean answer loss per example over the batches (every example weighs the same)."""
    loss = loss or (lambda *args: model_answer_loss(model, *args))
    slots = answer_slots(batches)
    total = examples = 0.0
    for batch in batches:
        weight = float(batch.weights.sum())     # the examples in it: each one's weights sum to 1
        total += float(loss(batch.ids, batch.segments, *batch.answers(slots))) * weight
        examples += weight
    return total / max(examples, 1e-9)


# -- the adapter as a file ---------------------------------------------------------------------------

def adapter_arrays(model) -> dict[str, np.ndarray]:
    """A and B of every adapted projection, named "<block>.<projection>.a|b", with rank, α and targets."""
    import json
    arrays, targets = {}, []
    for block_index, block in enumerate(model.blocks):
        for name, layer in _owned(block):
            if getattr(layer, "lora_enabled", False):
                arrays[f"{block_index}.{name}.a"] = np.asarray(layer.lora_kernel_a)
                arrays[f"{block_index}.{name}.b"] = np.asarray(layer.lora_kernel_b)
                rank, alpha = layer.lora_rank, layer.lora_alpha
                if name not in targets:
                    targets.append(name)
    if not arrays:
        raise ValueError("This model has no LoRA adapters to save.")
    arrays["meta"] = np.array(json.dumps({"rank": rank, "alpha": alpha, "targets": targets}))
    return arrays


def save_adapter(model, path) -> None:
    np.savez(path, **adapter_arrays(model))


def adapter_meta(path) -> dict:
    import json
    with np.load(path) as arrays:
        return json.loads(str(arrays["meta"]))


def load_adapter(model, path) -> dict:
    """Give `model` the adapters saved at `path` (add_lora with their rank, α and targets, then
    their A and B); returns their meta."""
    meta = adapter_meta(path)
    add_lora(model, meta["rank"], tuple(meta["targets"]), meta["alpha"])
    with np.load(path) as arrays:
        assign_adapters(model, arrays)
    return meta


def assign_adapters(model, arrays) -> None:
    """A and B of every adapted projection from `arrays` (named as adapter_arrays names them)."""
    for block_index, block in enumerate(model.blocks):
        for name, layer in _owned(block):
            if getattr(layer, "lora_enabled", False):
                layer.lora_kernel_a.assign(arrays[f"{block_index}.{name}.a"])
                layer.lora_kernel_b.assign(arrays[f"{block_index}.{name}.b"])


def _owned(block) -> list[tuple[str, object]]:
    return [("qkv", block.attn.qkv), ("o", block.attn.o), ("gate_up", block.mlp.gate_up), ("down", block.mlp.down)]


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
