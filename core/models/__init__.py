"""Architecture registry: a plain dict of builders with their knobs.

    model = build_model("cnn", InputSpec(IMAGE, (28, 28, 1), 10), {"conv_blocks": 2})
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from core.models import architectures as arch
from core.models import transfer
from core.models.architectures import InputSpec
from core.params import ConfigError, Param, resolve


@dataclass(frozen=True)
class Architecture:
    title: str
    build: Callable
    supports: frozenset
    description: str
    params: dict[str, Param] = field(default_factory=dict)
    # Transfer learning: turn the data into features once (Prepared, config, progress) -> Prepared,
    # then after training wrap the trained model into the full model to save: (model) -> model.
    featurizer: Callable | None = None
    assemble: Callable | None = None
    # Optional second stage on the assembled model: (model, raw Prepared, config) -> (model, arrays),
    # for fine_tune_epochs(config) extra epochs.
    fine_tune: Callable | None = None
    fine_tune_epochs: Callable = lambda config: 0
    task: str = "classification"  # 'gan': trained by core/training/gan.py, not as a classifier


_DROPOUT = Param(0.0, "Dropout", 0.0, 0.9, help="Fraction of units switched off at random while training.")
_EMBEDDING = Param(64, "Embedding size (text)", 4, 512, help="Length of each word's learned vector.")

ARCHITECTURES: dict[str, Architecture] = {
    "mlp": Architecture(
        "MLP (fully connected)", arch.build_mlp, frozenset(arch.SUPPORTED_KINDS["mlp"]),
        "Layers of neurons, each connected to every input. Simple and fast; ignores image structure.",
        {"hidden_layers": Param(2, "Hidden layers", 0, 8),
         "units": Param(64, "Units per layer", 1, 1024),
         "activation": Param("relu", "Activation", choices=("relu", "tanh", "sigmoid")),
         "initializer": Param("glorot", "Weight initializer", choices=("glorot", "he"),
                              help="Glorot suits tanh/sigmoid; He suits ReLU."),
         "dropout": _DROPOUT,
         "embedding_dim": Param(32, "Embedding size (text)", 4, 512)}),
    "cnn": Architecture(
        "CNN (convolutional)", arch.build_cnn, frozenset(arch.SUPPORTED_KINDS["cnn"]),
        "Small filters slide over the image and learn edges, then shapes: the workhorse for pictures.",
        {"conv_blocks": Param(2, "Convolution blocks", 1, 4),
         "filters": Param(16, "Filters in the first block", 4, 256, help="Doubles in every block."),
         "kernel_size": Param(3, "Kernel size", choices=(3, 5)),
         "dropout": Param(0.25, "Dropout", 0.0, 0.9),
         "dense_units": Param(64, "Dense units", 8, 1024),
         "embedding_dim": _EMBEDDING}),
    "rnn": Architecture(
        "RNN (SimpleRNN / LSTM / GRU)", arch.build_rnn, frozenset(arch.SUPPORTED_KINDS["rnn"]),
        "Reads a sequence step by step with a memory: words of a text, or an image row by row.",
        {"cell": Param("lstm", "Cell", choices=("simple", "lstm", "gru")),
         "bidirectional": Param(False, "Bidirectional", help="Read the sequence both ways."),
         "units": Param(64, "Units", 4, 512),
         "layers": Param(1, "Stacked layers", 1, 3),
         "dropout": _DROPOUT,
         "embedding_dim": _EMBEDDING}),
    "transformer": Architecture(
        "Transformer encoder (self-attention)", arch.build_transformer,
        frozenset(arch.SUPPORTED_KINDS["transformer"]),
        "Every position looks at every other through self-attention: the idea behind modern LLMs.",
        {"blocks": Param(2, "Encoder blocks", 1, 6),
         "heads": Param(4, "Attention heads", 1, 16),
         "key_dim": Param(16, "Key dimension per head", 4, 128),
         "ff_units": Param(128, "Feed-forward units", 8, 2048),
         "embedding_dim": _EMBEDDING,
         "dropout": Param(0.1, "Dropout", 0.0, 0.9)}),
    "speech": Architecture(
        "CNN + BiLSTM (speech)", arch.build_speech, frozenset(arch.SUPPORTED_KINDS["speech"]),
        "Convolutions spot patterns in the spectrogram, a bidirectional LSTM follows them through "
        "time: the classic keyword-spotting design.",
        {"conv_blocks": Param(2, "Convolution blocks", 1, 3),
         "filters": Param(16, "Filters in the first block", 4, 128, help="Doubles in every block."),
         "units": Param(48, "LSTM units (each direction)", 8, 256),
         "dense_units": Param(64, "Dense units", 8, 512),
         "dropout": Param(0.3, "Dropout", 0.0, 0.9)}),
    "efficientnet_transfer": Architecture(
        "Transfer learning on EfficientNet-Lite0 (ImageNet features)", transfer.build_head,
        frozenset({"image"}),
        "Keeps what a network learned from 1.28 million ImageNet photos and trains only a new last "
        "layer on your classes: good results from a few dozen photos.",
        {"augment_copies": Param(2, "Augmented copies per photo", 0, 10,
                                 help="Extra randomly flipped, rotated, zoomed and brightened copies."),
         "dropout": Param(0.2, "Dropout", 0.0, 0.9),
         "fine_tune_blocks": Param(0, "Fine-tune the last blocks", 0, 3,
                                   help="0: only the new last layer learns (fast). 1-3: afterwards, "
                                        "also adjust EfficientNet's last blocks on your photos (slower)."),
         "fine_tune_epochs": Param(3, "Fine-tuning epochs", 1, 20)},
        featurizer=lambda data, config, progress=None: transfer.featurize(
            data, config.arch_params.get("augment_copies", 2), config.seed, progress),
        assemble=transfer.assemble,
        fine_tune=transfer.fine_tune,
        fine_tune_epochs=lambda config: config.arch_params.get("fine_tune_epochs", 3)
        if config.arch_params.get("fine_tune_blocks", 0) else 0),
    "dcgan": Architecture(
        "DCGAN (generator + discriminator)", lambda spec, **params: _dcgan(spec, **params), frozenset({"image"}),
        "Two networks trained against each other: one draws images from noise, the other tells them "
        "from real ones. Trained in the GAN studio.",
        {"latent_dim": Param(32, "Noise dimensions", 2, 256),
         "filters": Param(64, "Filters", 8, 256)},
        task="gan"),
}


def _dcgan(spec: InputSpec, latent_dim: int = 32, filters: int = 64):
    from core.models.gan import DCGAN, build_discriminator, build_generator
    return DCGAN(build_generator(latent_dim, spec.shape, filters), build_discriminator(spec.shape, filters),
                 latent_dim)


def resolve_arch_params(key: str, params: dict | None) -> tuple[dict, list[str]]:
    if key not in ARCHITECTURES:
        return {}, [f"Unknown architecture '{key}'. Choose one of: {', '.join(ARCHITECTURES)}."]
    return resolve(ARCHITECTURES[key].params, params, ARCHITECTURES[key].title)


def build_model(key: str, spec: InputSpec, params: dict | None = None):
    """Build architecture `key` for `spec`; raises ConfigError for bad knobs or unsupported data."""
    values, problems = resolve_arch_params(key, params)
    if key not in ARCHITECTURES:
        raise ConfigError(problems)
    featurized = ARCHITECTURES[key].featurizer is not None and spec.kind == transfer.FEATURES
    if not problems and spec.kind not in ARCHITECTURES[key].supports and not featurized:
        problems.append(f"{ARCHITECTURES[key].title} cannot read {spec.kind} data; it works on "
                        f"{' and '.join(sorted(ARCHITECTURES[key].supports))} data.")
    if problems:
        raise ConfigError(problems)
    return ARCHITECTURES[key].build(spec, **values)


def layer_table(model) -> list[dict]:
    """One row per layer: name, type, output shape, trainable parameters."""
    rows = []
    for layer in model.layers:
        shape = getattr(layer, "output", None)
        shape = tuple(shape.shape) if shape is not None and hasattr(shape, "shape") else ()
        rows.append({"layer": layer.name, "type": type(layer).__name__,
                     "output shape": str(tuple(shape)).replace("None", "batch"),
                     "parameters": int(layer.count_params())})
    return rows


__all__ = ["ARCHITECTURES", "Architecture", "InputSpec", "build_model", "layer_table",
           "resolve_arch_params"]
