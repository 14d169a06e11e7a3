"""Architecture builders: each takes an `InputSpec` plus its knobs and returns a Keras model.

Every model ends in a softmax over the classes. Image models start with `Rescaling(1/255)`, so a
saved model takes raw pixel values and needs no preprocessing file; text models take token ids
(the vocabulary travels with the run, see core/data/text.py). Keras is imported inside the
builders, so importing this module stays cheap.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.data.dataset import AUDIO, IMAGE, TABULAR, TEXT

INITIALIZERS = {"glorot": "glorot_uniform", "he": "he_normal"}


@dataclass(frozen=True)
class InputSpec:
    """What the model sees: the kind of data, one example's shape, and the number of classes."""
    kind: str
    shape: tuple
    num_classes: int
    vocab_size: int | None = None  # text only

    @property
    def modality(self):
        """What the input is (core.modalities): the builders ask it, instead of testing the kind."""
        from core.modalities import modality_of
        return modality_of(self.kind)


def _inputs(spec: InputSpec):
    """Input layer plus the standard first step for the data kind."""
    import keras
    inputs = keras.Input(shape=spec.shape, name="inputs")
    x = keras.layers.Rescaling(1.0 / 255, name="pixels_to_unit")(inputs) if spec.modality.pixels else inputs
    return inputs, x


def _as_sequence(x, spec: InputSpec, embedding_dim: int, mask_zero: bool = False):
    """Sequence view of the input: token embeddings for text, one time step per row for images."""
    import keras
    if spec.modality.tokens:
        return keras.layers.Embedding(spec.vocab_size, embedding_dim, mask_zero=mask_zero,
                                      name="token_embedding")(x)
    if spec.modality.grid:  # an image row by row; a spectrogram frame (10 ms) by frame
        height, width, channels = spec.shape
        return keras.layers.Reshape((height, width * channels), name="rows_as_steps")(x)
    return keras.layers.Reshape((spec.shape[0], 1), name="features_as_steps")(x)


def _classifier(x, spec: InputSpec, name: str):
    import keras
    return keras.layers.Dense(spec.num_classes, activation="softmax", name="class_probabilities")(x)


def build_mlp(spec: InputSpec, hidden_layers=2, units=64, activation="relu",
              initializer="glorot", dropout=0.0, embedding_dim=32):
    """Multi-layer perceptron: h = activation(W·x + b), repeated; text as a bag of embeddings."""
    import keras
    inputs, x = _inputs(spec)
    if spec.modality.tokens:  # the mask makes the average skip padding: a mean over real words
        x = _as_sequence(x, spec, embedding_dim, mask_zero=True)
        x = keras.layers.GlobalAveragePooling1D(name="bag_of_words")(x)
    else:
        x = keras.layers.Flatten(name="flatten")(x)
    for i in range(hidden_layers):
        x = keras.layers.Dense(units, activation=activation, name=f"dense_{i + 1}",
                               kernel_initializer=INITIALIZERS[initializer])(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i + 1}")(x)
    return keras.Model(inputs, _classifier(x, spec, "mlp"), name="mlp")


def build_cnn(spec: InputSpec, conv_blocks=2, filters=16, kernel_size=3, dropout=0.25,
              dense_units=64, embedding_dim=64):
    """Convolutional network: blocks of conv + ReLU + max-pool, doubling the filters each block."""
    import keras
    inputs, x = _inputs(spec)
    if spec.modality.tokens:
        x = _as_sequence(x, spec, embedding_dim)
        for i in range(conv_blocks):
            x = keras.layers.Conv1D(filters * 2 ** i, kernel_size, padding="same", activation="relu",
                                    name=f"conv_{i + 1}")(x)
            x = keras.layers.MaxPooling1D(2, padding="same", name=f"pool_{i + 1}")(x)
        x = keras.layers.GlobalMaxPooling1D(name="strongest_feature")(x)
    else:
        for i in range(conv_blocks):
            x = keras.layers.Conv2D(filters * 2 ** i, kernel_size, padding="same", activation="relu",
                                    name=f"conv_{i + 1}")(x)
            # 'same' pooling keeps a 1x1 map at 1x1, so deep stacks work on 8x8 digits too.
            x = keras.layers.MaxPooling2D(2, padding="same", name=f"pool_{i + 1}")(x)
        x = keras.layers.Flatten(name="flatten")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    x = keras.layers.Dense(dense_units, activation="relu", name="dense")(x)
    return keras.Model(inputs, _classifier(x, spec, "cnn"), name="cnn")


def build_rnn(spec: InputSpec, cell="lstm", units=64, layers=1, bidirectional=False,
              dropout=0.0, embedding_dim=64):
    """Recurrent network: h_t = cell(x_t, h_{t-1}); images are read one pixel row per time step."""
    import keras
    cells = {"simple": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
    inputs, x = _inputs(spec)
    x = _as_sequence(x, spec, embedding_dim, mask_zero=True)
    for i in range(layers):
        last = i == layers - 1
        layer = cells[cell](units, return_sequences=not last, dropout=dropout, name=f"{cell}_{i + 1}")
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bi{cell}_{i + 1}")
        x = layer(x)
    return keras.Model(inputs, _classifier(x, spec, "rnn"), name=("bi" if bidirectional else "") + cell)


def build_transformer(spec: InputSpec, blocks=2, heads=4, key_dim=16, ff_units=128,
                      embedding_dim=64, dropout=0.1):
    """Transformer encoder: x ← LN(x + MHA(x,x,x)); x ← LN(x + FFN(x)), then average over positions."""
    import keras
    from core.models.layers import PositionEmbedding
    inputs, x = _inputs(spec)
    x = _as_sequence(x, spec, embedding_dim)
    if not spec.modality.tokens:  # project pixel rows / features to the model width
        x = keras.layers.Dense(embedding_dim, name="project")(x)
    # Text pads with id 0. Every block gets the padding mask explicitly (Keras's implicit masks
    # do not survive the residual additions), so no word attends to padding and the average skips it.
    real_tokens = keras.ops.not_equal(inputs, 0) if spec.modality.tokens else None
    keys_mask = keras.ops.expand_dims(real_tokens, 1) if spec.modality.tokens else None
    x = PositionEmbedding(name="position_embedding")(x)
    for i in range(blocks):
        attended = keras.layers.MultiHeadAttention(heads, key_dim, dropout=dropout,
                                                   name=f"self_attention_{i + 1}")(x, x, attention_mask=keys_mask)
        x = keras.layers.LayerNormalization(name=f"norm_attention_{i + 1}")(x + attended)
        hidden = keras.layers.Dense(ff_units, activation="relu", name=f"ffn_{i + 1}_in")(x)
        hidden = keras.layers.Dense(embedding_dim, name=f"ffn_{i + 1}_out")(hidden)
        hidden = keras.layers.Dropout(dropout, name=f"ffn_{i + 1}_dropout")(hidden)
        x = keras.layers.LayerNormalization(name=f"norm_ffn_{i + 1}")(x + hidden)
    x = keras.layers.GlobalAveragePooling1D(name="average_positions")(x, mask=real_tokens)
    return keras.Model(inputs, _classifier(x, spec, "transformer"), name="transformer")


def build_speech(spec: InputSpec, conv_blocks=2, filters=16, units=48, dense_units=64, dropout=0.3):
    """CNN + BiLSTM for speech: convolutions find sound patterns in the log-mel spectrogram
    (pooling only along frequency, so every 10 ms frame survives), a bidirectional LSTM reads
    them in time order both ways, dense layers with dropout decide."""
    import keras
    inputs, x = _inputs(spec)
    for i in range(conv_blocks):
        x = keras.layers.Conv2D(filters * 2 ** i, 3, padding="same", name=f"conv_{i + 1}")(x)
        # momentum 0.9, not 0.99: the running statistics must settle within a few dozen steps,
        # or a model taught on 30 clips evaluates with statistics it never reached.
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"norm_{i + 1}")(x)
        x = keras.layers.Activation("relu", name=f"relu_{i + 1}")(x)
        x = keras.layers.MaxPooling2D((2, 2) if i == 0 else (1, 2), padding="same", name=f"pool_{i + 1}")(x)
    frames, bands, channels = x.shape[1:]
    x = keras.layers.Reshape((frames, bands * channels), name="frames_as_steps")(x)
    x = keras.layers.Bidirectional(keras.layers.LSTM(units, return_sequences=True), name="bilstm")(x)
    x = keras.layers.GlobalMaxPooling1D(name="strongest_moment")(x)
    x = keras.layers.Dropout(dropout, name="dropout_1")(x)
    x = keras.layers.Dense(dense_units, activation="relu", name="dense")(x)
    x = keras.layers.Dropout(dropout, name="dropout_2")(x)
    return keras.Model(inputs, _classifier(x, spec, "speech"), name="cnn_bilstm")


SUPPORTED_KINDS = {
    "mlp": {IMAGE, TABULAR, TEXT, AUDIO},
    "cnn": {IMAGE, TEXT, AUDIO},
    "rnn": {IMAGE, TEXT, AUDIO},
    "transformer": {IMAGE, TEXT, AUDIO},
    "speech": {AUDIO, IMAGE},
}


def build_sentence_head(spec, dropout: float = 0.1, hidden_units: int = 0):
    """The trainable part on a frozen sentence encoder's vectors (core/meaning/fewshot.py): dropout,
    an optional ReLU layer, softmax over the labels."""
    import keras
    inputs = keras.Input(spec.shape, name="sentence_vector")
    x = keras.layers.Dropout(dropout, name="head_dropout")(inputs)
    if hidden_units:
        x = keras.layers.Dense(hidden_units, activation="relu", name="head_hidden")(x)
    outputs = keras.layers.Dense(spec.num_classes, activation="softmax", name="class_probabilities")(x)
    return keras.Model(inputs, outputs, name="sentence_head")
