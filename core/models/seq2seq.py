"""Sequence-to-sequence translation: an LSTM encoder-decoder with Luong dot-product attention.

    model = build_seq2seq(source_vocab_size=40, target_vocab_size=60)
    out = model([source_ids, target_prefix_ids])
    out["probabilities"]   # (batch, target_len, target_vocab): p(next word | source, words so far)
    out["attention"]       # (batch, target_len, source_len): where each target word looked

Encoder: the source words (id 0 = padding, masked) go through an LSTM, bidirectional by default,
giving one vector h_s per source word (knowing its left, or left and right, context).
Decoder: an LSTM reads the target so far, starting from the encoder's final state, and at each
step t asks "which source words matter now?" (Luong et al., 2015, "dot" score):

    score(t, s) = h_t · h_s                 how well decoder state t matches source word s
    a(t, s)     = softmax_s score(t, s)     attention weights, padding excluded, sum to 1
    c_t         = Σ_s a(t, s) h_s           context: a weighted summary of the source
    h̃_t         = tanh(W_c [c_t ; h_t])     attentional state
    p(y_t)      = softmax(W_s h̃_t)          next-word probabilities

Training feeds the true previous word at every step (teacher forcing): input "<start> y1 y2 ...",
target "y1 y2 ... <end>". The decoder only looks backwards (an LSTM is causal), so the output at
position t depends only on the prefix up to t: greedy decoding can simply re-run this one model
on the growing prefix, with no separate inference graph. Only built-in layers: the saved file
loads with `safe_mode=True`.
"""
from __future__ import annotations

PROBABILITIES = "probabilities"
ATTENTION = "attention"


def build_seq2seq(source_vocab_size: int, target_vocab_size: int, embedding_dim: int = 64,
                  units: int = 128, bidirectional: bool = True, dropout: float = 0.0,
                  name: str = "seq2seq_attention"):
    """Encoder-decoder with attention; inputs [source ids, target prefix ids], outputs a dict
    {"probabilities": (batch, T, target_vocab), "attention": (batch, T, S)}. `units` is the
    decoder width; a bidirectional encoder runs units/2 each way, so its concatenated states fit
    the decoder. A one-way encoder's h_s knows only words 1..s: its attention maps tend to point
    at the word that settles the output, at the cost of less context per source vector."""
    import keras
    from keras import layers
    if bidirectional and units % 2:
        raise ValueError("units must be even: the bidirectional encoder gives units/2 to each direction")

    source = keras.Input(shape=(None,), dtype="int32", name="source_ids")
    prefix = keras.Input(shape=(None,), dtype="int32", name="target_prefix_ids")

    # Encoder. mask_zero: padding is skipped by the LSTM and excluded from attention.
    x = layers.Embedding(source_vocab_size, embedding_dim, mask_zero=True, name="source_embedding")(source)
    if bidirectional:
        encoded, forward_h, forward_c, backward_h, backward_c = layers.Bidirectional(
            layers.LSTM(units // 2, return_sequences=True, return_state=True, dropout=dropout),
            name="encoder")(x)
        # The decoder starts from what the encoder read in both directions.
        state_h = layers.Concatenate(name="encoder_final_h")([forward_h, backward_h])
        state_c = layers.Concatenate(name="encoder_final_c")([forward_c, backward_c])
    else:
        encoded, state_h, state_c = layers.LSTM(units, return_sequences=True, return_state=True,
                                                dropout=dropout, name="encoder")(x)

    # Decoder, teacher-forced: one output per prefix position.
    y = layers.Embedding(target_vocab_size, embedding_dim, mask_zero=True, name="target_embedding")(prefix)
    decoded = layers.LSTM(units, return_sequences=True, dropout=dropout, name="decoder")(
        y, initial_state=[state_h, state_c])

    # Luong "dot" attention: query = decoder states, key = value = encoder states. No scaling,
    # as in the paper; the source padding mask travels with `encoded` from the embedding.
    context, weights = layers.Attention(score_mode="dot", use_scale=False, name=ATTENTION)(
        [decoded, encoded], return_attention_scores=True)
    h = layers.Concatenate(name="context_and_state")([context, decoded])
    h = layers.Dense(units, activation="tanh", name="attentional_state")(h)
    probabilities = layers.Dense(target_vocab_size, activation="softmax", name=PROBABILITIES)(h)
    return keras.Model([source, prefix], {PROBABILITIES: probabilities, ATTENTION: weights}, name=name)


def training_view(model):
    """The same layers with only the probability output, for `fit` with one loss (the attention
    weights are something to look at, not to train on). Weights are shared, not copied."""
    import keras
    return keras.Model(model.inputs, model.get_layer(PROBABILITIES).output, name=model.name + "_training")
