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
    task: str = "classification"  # what a run of it does: 'classification' or 'gan' (RunConfig.task)
    # How the runner trains it: a key of core/training/strategies.py STRATEGIES ('classification',
    # 'transfer': features of a pretrained backbone, then a head, then maybe fine-tuning; 'gan').
    training: str = "classification"


# LoRA's knobs, as the Teach tab and the Train page explain them (core/llm/finetune.py: TARGETS).
LORA_LAYERS = {"all": ("qkv", "o", "gate_up", "down"), "attention": ("qkv", "o"), "feed-forward": ("gate_up", "down")}
LORA_HELP = {
    "rank": "How much each adapter can learn: a rank-r adapter is two thin matrices, r columns wide, beside a "
            "frozen weight matrix. 8 is plenty for a task; higher learns more and trains a little slower.",
    "layers": "Which weight matrices get an adapter: all (attention and feed-forward), attention only (what the "
              "model looks at), or feed-forward only (what it does with it).",
    "max_tokens": "Examples longer than this (prompt and answer, in tokens) are left out: long examples cost "
                  "memory and time. The page says how many were left out.",
}


def _no_network(key: str):
    raise ConfigError([f"'{key}' adapts the pretrained language model; it is trained as a fine-tuning run "
                       "(task 'finetune-llm'), not built as a network from scratch."])


_DROPOUT_HELP = ("The share of neurons switched off at random while training, so the model cannot rely on "
                 "any one of them (0 turns it off).")
_DROPOUT = Param(0.0, "Dropout", 0.0, 0.9, help=_DROPOUT_HELP)
_EMBEDDING_HELP = "How many numbers stand for each word (text data only): more can hold finer meanings."
_EMBEDDING = Param(64, "Embedding size (text)", 4, 512, help=_EMBEDDING_HELP)
_FILTERS_HELP = ("How many small patterns the first convolution block looks for; it doubles in every "
                 "block.")
_BLOCKS_HELP = "How many convolution + pooling steps: each finds larger shapes from the smaller ones before."
_DENSE_HELP = "Neurons in the fully connected layer that turns the patterns found into a class."

ARCHITECTURES: dict[str, Architecture] = {
    "mlp": Architecture(
        "MLP (fully connected)", arch.build_mlp, frozenset(arch.SUPPORTED_KINDS["mlp"]),
        "Layers of neurons, each connected to every input. Simple and fast; ignores image structure.",
        {"hidden_layers": Param(2, "Hidden layers", 0, 8,
                                help="Layers of neurons between the input and the answer: more can learn "
                                     "more complex patterns, and train slower."),
         "units": Param(64, "Units per layer", 1, 1024, help="Neurons in each hidden layer: more can learn more."),
         "activation": Param("relu", "Activation", choices=("relu", "tanh", "sigmoid"),
                             help="The simple curve each neuron applies to its input; ReLU is the usual "
                                  "choice, sigmoid makes deep networks learn slowly."),
         "initializer": Param("glorot", "Weight initializer", choices=("glorot", "he"),
                              help="How the weights are set before training starts: Glorot keeps signals a "
                                   "steady size for tanh and sigmoid, He does the same for ReLU."),
         "dropout": _DROPOUT,
         "embedding_dim": Param(32, "Embedding size (text)", 4, 512, help=_EMBEDDING_HELP)}),
    "cnn": Architecture(
        "CNN (convolutional)", arch.build_cnn, frozenset(arch.SUPPORTED_KINDS["cnn"]),
        "Small filters slide over the image and learn edges, then shapes: the workhorse for pictures.",
        {"conv_blocks": Param(2, "Convolution blocks", 1, 4, help=_BLOCKS_HELP),
         "filters": Param(16, "Filters in the first block", 4, 256, help=_FILTERS_HELP),
         "kernel_size": Param(3, "Kernel size", choices=(3, 5),
                              help="The size in pixels of each filter's square: 3x3 or 5x5."),
         "dropout": Param(0.25, "Dropout", 0.0, 0.9, help=_DROPOUT_HELP),
         "dense_units": Param(64, "Dense units", 8, 1024, help=_DENSE_HELP),
         "embedding_dim": _EMBEDDING}),
    "rnn": Architecture(
        "RNN (SimpleRNN / LSTM / GRU)", arch.build_rnn, frozenset(arch.SUPPORTED_KINDS["rnn"]),
        "Reads a sequence step by step with a memory: words of a text, or an image row by row.",
        {"cell": Param("lstm", "Cell", choices=("simple", "lstm", "gru"),
                       help="The kind of memory: simple forgets fast, LSTM remembers longest, GRU is a "
                            "lighter LSTM."),
         "bidirectional": Param(False, "Bidirectional",
                                help="Read the sequence both forwards and backwards: better context, twice the work."),
         "units": Param(64, "Units", 4, 512, help="The size of the memory each layer keeps as it reads."),
         "layers": Param(1, "Stacked layers", 1, 3, help="Recurrent layers on top of each other, each reading the "
                                                                 "one below."),
         "dropout": _DROPOUT,
         "embedding_dim": _EMBEDDING}),
    "transformer": Architecture(
        "Transformer encoder (self-attention)", arch.build_transformer,
        frozenset(arch.SUPPORTED_KINDS["transformer"]),
        "Every position looks at every other through self-attention: the idea behind modern LLMs.",
        {"blocks": Param(2, "Encoder blocks", 1, 6,
                         help="Attention + feed-forward layers stacked: each block lets words look at each "
                              "other once more."),
         "heads": Param(4, "Attention heads", 1, 16,
                        help="How many separate ways each word looks at the others at once, e.g. one for "
                             "grammar, one for topic."),
         "key_dim": Param(16, "Key dimension per head", 4, 128,
                          help="How many numbers each head uses to compare two words."),
         "ff_units": Param(128, "Feed-forward units", 8, 2048,
                           help="Neurons in the small fully connected layer inside each block."),
         "embedding_dim": _EMBEDDING,
         "dropout": Param(0.1, "Dropout", 0.0, 0.9, help=_DROPOUT_HELP)}),
    "speech": Architecture(
        "CNN + BiLSTM (speech)", arch.build_speech, frozenset(arch.SUPPORTED_KINDS["speech"]),
        "Convolutions spot patterns in the spectrogram, a bidirectional LSTM follows them through "
        "time: the classic keyword-spotting design.",
        {"conv_blocks": Param(2, "Convolution blocks", 1, 3, help=_BLOCKS_HELP),
         "filters": Param(16, "Filters in the first block", 4, 128, help=_FILTERS_HELP),
         "units": Param(48, "LSTM units (each direction)", 8, 256,
                        help="The size of the memory the LSTM keeps as it follows the sound through time."),
         "dense_units": Param(64, "Dense units", 8, 512, help=_DENSE_HELP),
         "dropout": Param(0.3, "Dropout", 0.0, 0.9, help=_DROPOUT_HELP)}),
    "efficientnet_transfer": Architecture(
        "Transfer learning on EfficientNet-Lite0 (ImageNet features)", transfer.build_head,
        frozenset({"image"}),
        "Keeps what a network learned from 1.28 million ImageNet photos and trains only a new last "
        "layer on your classes: good results from a few dozen photos.",
        {"augment_copies": Param(2, "Augmented copies per photo", 0, 10,
                                 help="Extra randomly flipped, rotated, zoomed and brightened copies."),
         "dropout": Param(0.2, "Dropout", 0.0, 0.9, help=_DROPOUT_HELP),
         "fine_tune_blocks": Param(0, "Fine-tune the last blocks", 0, 3,
                                   help="How many of EfficientNet's last blocks also learn from your photos "
                                        "afterwards: 0 trains only the new last layer (fast), 1-3 adjust "
                                        "more of the network (slower)."),
         "fine_tune_epochs": Param(3, "Fine-tuning epochs", 1, 20,
                                   help="Passes over your photos for that second, gentler stage (used only "
                                        "when fine-tuning some blocks).")},
        training="transfer"),
    "minilm_head": Architecture(
        "Pretrained sentence encoder (MiniLM, frozen) + small head", lambda spec, **params: _minilm_head(spec, **params),
        frozenset({"text"}),
        "Keeps what all-MiniLM-L6-v2 learned from a billion sentence pairs: every text becomes 384 numbers "
        "that place texts of the same meaning together, and only a small layer on them learns your labels. "
        "Good labels from a handful of English examples each.",
        {"dropout": Param(0.1, "Dropout", 0.0, 0.9, help=_DROPOUT_HELP),
         "hidden_units": Param(0, "Hidden units", 0, 512,
                               help="Neurons in an extra layer between the sentence vector and the labels: 0 "
                                    "learns one straight line per label (best with few examples).")},
        training="sentence_encoder"),
    "dcgan": Architecture(
        "DCGAN (generator + discriminator)", lambda spec, **params: _dcgan(spec, **params), frozenset({"image"}),
        "Two networks trained against each other: one draws images from noise, the other tells them "
        "from real ones. Trained in the GAN studio.",
        {"latent_dim": Param(32, "Noise dimensions", 2, 256,
                             help="How many random numbers the generator turns into each image; each "
                                  "set of numbers is a different image."),
         "filters": Param(64, "Filters", 8, 256,
                          help="How many patterns each network's convolution layers learn: more draw "
                               "and judge finer detail, slower.")},
        task="gan", training="gan"),
    "smollm2_lora": Architecture(
        "LoRA on SmolLM2-135M (teach the language model)", lambda spec, **params: _no_network("smollm2_lora"),
        frozenset({"chat"}),
        "Keeps the pretrained 135-million-parameter language model frozen and trains small LoRA adapters "
        "beside its weight matrices (about 2 million numbers at rank 8) on your prompts and the answers "
        "you want. Only the answers' tokens are learnt; the prompt is the question.",
        {"rank": Param(8, "LoRA rank", 1, 64, help=LORA_HELP["rank"]),
         "layers": Param("all", "Which layers learn", choices=tuple(LORA_LAYERS), help=LORA_HELP["layers"]),
         "max_tokens": Param(256, "Longest example (tokens)", 32, 1024, help=LORA_HELP["max_tokens"])},
        task="finetune-llm", training="finetune_llm"),
}


def _dcgan(spec: InputSpec, latent_dim: int = 32, filters: int = 64):
    from core.models.gan import DCGAN, build_discriminator, build_generator
    return DCGAN(build_generator(latent_dim, spec.shape, filters), build_discriminator(spec.shape, filters),
                 latent_dim)


def _minilm_head(spec: InputSpec, dropout: float = 0.1, hidden_units: int = 0):
    return arch.build_sentence_head(spec, dropout, hidden_units)


def resolve_arch_params(key: str, params: dict | None) -> tuple[dict, list[str]]:
    if key not in ARCHITECTURES:
        return {}, [f"Unknown architecture '{key}'. Choose one of: {', '.join(ARCHITECTURES)}."]
    return resolve(ARCHITECTURES[key].params, params, ARCHITECTURES[key].title)


def build_model(key: str, spec: InputSpec, params: dict | None = None):
    """Build architecture `key` for `spec`; raises ConfigError for bad knobs or unsupported data."""
    values, problems = resolve_arch_params(key, params)
    if key not in ARCHITECTURES:
        raise ConfigError(problems)
    # Transfer learning trains its head on the backbone's features, not on the images themselves.
    # (and a head on the frozen sentence encoder on its sentence vectors, core/meaning/fewshot.py).
    featurized = ARCHITECTURES[key].training in ("transfer", "sentence_encoder") and spec.kind == transfer.FEATURES
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
