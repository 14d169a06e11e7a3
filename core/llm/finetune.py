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

Speed (2 cores, batch 4 x 128 tokens, measured): 88 tokens/s as a plain graph; 119 when the
49,152-word output layer is applied only where an answer token is predicted (`model_answer_loss`:
the prompt's positions never need their logits); 190 with the step compiled by XLA. XLA compiles
once per batch shape, so `batches` pads lengths to a multiple of 32 (a few shapes, about 20 s each).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LENGTH_MULTIPLE = 32   # batch lengths are padded to this: XLA compiles one step per shape

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


def pad_batch(examples: list[Example], pad_id: int, multiple: int = 1, rows: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(ids, mask), both (B, T) int32, T the longest example rounded up to `multiple`, B at least
    `rows` (rows of padding alone); padding carries no loss."""
    length = -(-max(len(e.ids) for e in examples) // multiple) * multiple
    ids = np.full((max(len(examples), rows), length), pad_id, np.int32)
    mask = np.zeros(ids.shape, np.int32)
    for row, example in enumerate(examples):
        ids[row, :len(example.ids)] = example.ids
        mask[row, :len(example.mask)] = example.mask
    return ids, mask


def batches(examples: list[Example], batch_size: int, pad_id: int, seed: int = 0,
            multiple: int = LENGTH_MULTIPLE) -> list[tuple]:
    """Padded (ids, mask) batches of examples of similar length, in a shuffled order: sorting by
    length first means little padding, so few of the tokens a step pays for are padding. The last,
    smaller batch is filled with rows of padding: one shape fewer for XLA to compile. The same
    seed gives the same batches in the same order (a resumed epoch skips the ones it has done)."""
    rng = np.random.default_rng(seed)
    jitter = rng.random(len(examples))  # ties in length broken at random: other batch mates each epoch
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i].ids), jitter[i]))
    chunks = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(chunks)
    return [pad_batch([examples[i] for i in chunk], pad_id, multiple, batch_size) for chunk in chunks]


def real_tokens(examples_or_batch) -> int:
    """Tokens of the examples themselves (prompt and answer), padding not counted."""
    return int(sum(len(e.ids) for e in examples_or_batch))


def answer_loss(logits, ids, mask):
    """Mean cross-entropy of the answer tokens: position t predicts token t + 1, and only the
    predictions of answer tokens (mask[t + 1] = 1) count."""
    from keras import ops
    targets, weights = ids[:, 1:], ops.cast(mask[:, 1:], "float32")
    log_p = ops.log_softmax(ops.cast(logits[:, :-1], "float32"), axis=-1)
    picked = ops.take_along_axis(log_p, ops.expand_dims(targets, -1), axis=-1)[..., 0]
    return -ops.sum(picked * weights) / ops.maximum(ops.sum(weights), 1.0)


def model_answer_loss(model, ids, mask):
    """answer_loss(model(ids), ids, mask), with the output layer (hidden x 49,152 words) applied
    only at the positions that predict an answer token: the prompt's positions never need logits."""
    import tensorflow as tf
    hidden = model.features(ids)[:, :-1]                      # position t predicts token t + 1
    where = tf.where(mask[:, 1:] > 0)                         # (N, 2): batch row, position
    logits = model.embed.logits(tf.gather_nd(hidden, where)[None])[0]
    targets = tf.gather_nd(ids[:, 1:], where)
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(targets, tf.cast(logits, "float32")))


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
    return [tf.TensorSpec((None, None), tf.int32)] * 2


def train_step(model, optimizer, jit: bool = True):
    """A compiled step: forward, the answer loss, its gradient on the adapters, one update.
    Traced once for any batch shape; with `jit` XLA compiles it once per shape it meets."""
    import tensorflow as tf
    variables = model.trainable_variables

    @tf.function(input_signature=_batch_signature(), jit_compile=jit)
    def step(ids, mask):
        with tf.GradientTape() as tape:
            loss = model_answer_loss(model, ids, mask)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    return step


def loss_function(model, jit: bool = True):
    """model_answer_loss compiled (no gradient): for validation batches."""
    import tensorflow as tf
    return tf.function(lambda ids, mask: model_answer_loss(model, ids, mask),
                       input_signature=_batch_signature(), jit_compile=jit)


def evaluate_loss(model, batches, loss=None) -> float:
    """Mean answer loss over (ids, mask) batches, weighted by their answer tokens."""
    loss = loss or (lambda ids, mask: model_answer_loss(model, ids, mask))
    total = tokens = 0.0
    for ids, mask in batches:
        answer = float(mask[:, 1:].sum())
        total += float(loss(ids, mask)) * answer
        tokens += answer
    return total / max(tokens, 1.0)


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
