"""Train the bundled topic classifier on real, human-written text: Debian's fortune files (committed;
re-run to regenerate assets/models/topic_classifier.keras and its model card).

    sudo apt-get install fortunes             # the corpus (BSD licence, Debian main)
    python assets/make_topic_model.py         # about 2 minutes on 2 CPU cores

1. Corpus: the fortunes of nine categories whose subjects differ (computers, science, politics,
   law, food, love, sports, drugs, startrek), read by core/text/corpora.py with the "-- author"
   lines removed, so the model has to learn the topic from the words of the fortune itself. At
   most 300 per category: computers alone has about 1,000 and would otherwise be a third of the
   data. 20 % of each category is held out (stratified, seeded); the tests rebuild the very same
   split from the Debian files, so no fortune text is committed here, only the model and its
   vocabulary.
2. Models: the studio's own builders (core/models/architectures.py) on the studio's tokenizer
   (core/data/text.py, vocabulary fitted on the training texts only): a bag-of-words MLP, a 1-D CNN
   and a Transformer encoder, each trained from three seeds with early stopping on a validation
   set cut from the training texts. Fortunes are jokes and quips, not news articles, and there
   are only ~1,600 to learn from, so every model lands around 50-55 %; one seed's luck moves a
   figure by a few points, hence the three seeds and the comparison of their means.
3. Shipped: the Transformer when its mean is within 3 points of the best architecture's (the Text
   Lab can then show what its self-attention looks at), else the best; of that architecture's
   three runs, the one with the best *validation* accuracy (choosing by held-out accuracy would
   flatter the figure on the card).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.text.corpora import (FORTUNES_DIR, FORTUNES_PACKAGE, load_fortunes,  # noqa: E402
                               split_fortunes)

CATEGORIES = ["computers", "science", "politics", "law", "food", "love", "sports", "drugs", "startrek"]
MAX_PER_CATEGORY = 300
SEED = 7                  # the held-out split and the validation cut
RUN_SEEDS = (1, 2, 3)     # weight initialisation and shuffling, per architecture
SPLIT = "whitespace"
MAX_TOKENS = 20000        # the fortunes have fewer distinct words (~8,000), so all are kept
SEQUENCE_LENGTH = 64      # the studio's word-level length: ~90 % of the fortunes fit whole
VALIDATION_FRACTION = 0.15
TOLERANCE = 0.03          # how far the Transformer may trail the best mean and still be shipped
MODEL_PATH = ROOT / "assets" / "models" / "topic_classifier.keras"
CARD_PATH = ROOT / "assets" / "models" / "topic_classifier.json"

# Small models: ~1,600 training texts. Dropout is high because every model overfits within a few
# epochs; the 64-wide embedding is what most of the parameters (and the file size) are.
ARCHITECTURES = {
    "mlp": dict(hidden_layers=1, units=64, dropout=0.5, embedding_dim=64),
    "cnn": dict(conv_blocks=1, filters=64, kernel_size=3, dropout=0.5, dense_units=64, embedding_dim=32),
    "transformer": dict(blocks=1, heads=4, key_dim=16, ff_units=128, embedding_dim=64, dropout=0.3),
}
TITLES = {"mlp": "bag-of-words MLP", "cnn": "1-D CNN", "transformer": "Transformer encoder"}
LICENCE = ("BSD: /usr/share/doc/fortunes/copyright says the fortune package 'falls under the BSD "
           "copyright' (Copyright (c) 1991 The Regents of the University of California; the "
           "4-clause BSD text with clause 3, the advertising clause, deleted); package in Debian "
           "main. The fortunes themselves are short quotations and jokes collected from many "
           "people. Only trained weights and a word list derived from them are shipped here, "
           "no fortune text.")


def build(name: str, spec):
    """The studio's own builder for `name`, with the settings above; uncompiled."""
    from core.models.architectures import build_cnn, build_mlp, build_transformer
    builders = {"mlp": build_mlp, "cnn": build_cnn, "transformer": build_transformer}
    return builders[name](spec, **ARCHITECTURES[name])


def train_one(name: str, spec, data: dict, seed: int):
    """One architecture from one seed: (model, validation accuracy, held-out accuracy, seconds, epochs)."""
    import keras
    keras.utils.set_random_seed(seed)
    model = build(name, spec)
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    started = time.perf_counter()
    # Accuracy, not loss, decides the stop: the validation loss turns up a few epochs before the
    # accuracy stops improving (the models grow over-confident on the texts they get wrong).
    history = model.fit(data["x_train"], data["y_train"], validation_data=(data["x_val"], data["y_val"]),
                        epochs=60, batch_size=32, verbose=0,
                        callbacks=[keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=8,
                                                                 restore_best_weights=True)])
    seconds = time.perf_counter() - started
    val_accuracy = max(history.history["val_accuracy"])
    held_out = float((model.predict(data["x_test"], verbose=0).argmax(axis=1) == data["y_test"]).mean())
    return model, float(val_accuracy), held_out, seconds, len(history.history["loss"])


def main() -> None:
    from core.data.dataset import TEXT
    from core.data.text import fit_vocabulary, vectorize
    from core.models.architectures import InputSpec

    texts, labels = load_fortunes(CATEGORIES, MAX_PER_CATEGORY)
    counts = np.bincount(labels, minlength=len(CATEGORIES))
    train_texts, y_pool, test_texts, y_test = split_fortunes(texts, labels, SEED)
    vocabulary = fit_vocabulary(train_texts, SPLIT, MAX_TOKENS)
    x_pool = vectorize(train_texts, vocabulary, SPLIT, SEQUENCE_LENGTH)
    x_test = vectorize(test_texts, vocabulary, SPLIT, SEQUENCE_LENGTH)
    order = np.random.default_rng(SEED).permutation(len(x_pool))
    n_val = int(round(len(order) * VALIDATION_FRACTION))
    data = {"x_train": x_pool[order[n_val:]], "y_train": y_pool[order[n_val:]],
            "x_val": x_pool[order[:n_val]], "y_val": y_pool[order[:n_val]], "x_test": x_test, "y_test": y_test}
    majority = float(np.bincount(y_test).max() / len(y_test))
    print(f"{len(texts)} fortunes ({dict(zip(CATEGORIES, counts.tolist()))}); "
          f"{len(data['y_train'])} train, {n_val} validation, {len(y_test)} held out; "
          f"vocabulary {len(vocabulary)}; majority-class baseline {majority:.1%}", flush=True)

    spec = InputSpec(TEXT, (SEQUENCE_LENGTH,), len(CATEGORIES), len(vocabulary))
    runs = {name: [] for name in ARCHITECTURES}
    started = time.perf_counter()
    for name in ARCHITECTURES:
        for seed in RUN_SEEDS:
            model, val_accuracy, held_out, seconds, epochs = train_one(name, spec, data, seed)
            runs[name].append({"seed": seed, "validation_accuracy": round(val_accuracy, 4),
                               "held_out_accuracy": round(held_out, 4), "epochs": epochs,
                               "training_seconds": round(seconds, 1), "model": model})
            print(f"{name:12s} seed {seed}: validation {val_accuracy:.1%}, held out {held_out:.1%}, "
                  f"{epochs} epochs, {seconds:.0f} s", flush=True)
    total_seconds = time.perf_counter() - started

    means = {name: float(np.mean([r["held_out_accuracy"] for r in rs])) for name, rs in runs.items()}
    best = max(means, key=means.get)
    shipped = "transformer" if means["transformer"] >= means[best] - TOLERANCE else best
    run = max(runs[shipped], key=lambda r: r["validation_accuracy"])  # first of equals: lowest seed
    if shipped == "transformer":
        why = (f"Transformer mean {means['transformer']:.1%} is within {TOLERANCE * 100:.0f} points of "
               f"the best ({TITLES[best]}, {means[best]:.1%}); it is shipped so the Text Lab can show its "
               "self-attention. Of its runs, the one with the best validation accuracy.")
    else:
        why = (f"{TITLES[best]} shipped: the Transformer's mean ({means['transformer']:.1%}) trails the "
               f"best ({means[best]:.1%}) by more than {TOLERANCE * 100:.0f} points. Of its runs, the "
               "one with the best validation accuracy.")
    model = run["model"]
    predicted = model.predict(x_test, verbose=0).argmax(axis=1)
    accuracy = float((predicted == y_test).mean())
    per_class = {name: round(float((predicted[y_test == i] == i).mean()), 3) for i, name in enumerate(CATEGORIES)}
    print(f"shipping {shipped} (seed {run['seed']}): held out {accuracy:.1%}", per_class, flush=True)

    # Save the weights only, in a fresh uncompiled copy: a clean, safe_mode-loadable file. (A
    # clone_model copy still carried the Adam moments: 6.8 MB instead of 2.3 MB.)
    clean = build(shipped, spec)
    clean.set_weights(model.get_weights())
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    clean.save(MODEL_PATH)
    card = {
        "title": f"Topic classifier ({TITLES[shipped]}, trained here on Debian's fortunes)",
        "architecture": shipped,
        "architecture_params": ARCHITECTURES[shipped],
        "classes": CATEGORIES,
        "split": SPLIT,
        "sequence_length": SEQUENCE_LENGTH,
        "max_per_category": MAX_PER_CATEGORY,
        "seed": SEED,
        "run_seed": run["seed"],
        "trained on": (f"{len(texts):,} fortunes from {len(CATEGORIES)} categories of Debian's fortune "
                       "files (" + ", ".join(f"{c} {n}" for c, n in zip(CATEGORIES, counts.tolist()))
                       + f"; at most {MAX_PER_CATEGORY} per category, author lines removed): "
                       f"{len(data['y_train']):,} to train, {n_val:,} to stop early, "
                       f"{len(y_test):,} held out (stratified 20 %, seed {SEED})"),
        "source": f"{FORTUNES_PACKAGE}, {FORTUNES_DIR} (read by core/text/corpora.py)",
        "licence": LICENCE,
        "held_out": {"accuracy": round(accuracy, 4), "examples": int(len(y_test)),
                     "majority_baseline": round(majority, 4), "per_class_accuracy": per_class},
        "comparison": {
            "note": ("held-out accuracy of each architecture from three seeds; with ~400 held-out "
                     "texts one seed's figure is uncertain by about +-2.5 points"),
            "majority_baseline": round(majority, 4),
            **{name: {"title": TITLES[name], "params": ARCHITECTURES[name],
                      "mean_held_out_accuracy": round(means[name], 4),
                      "parameters": int(rs[0]["model"].count_params()),
                      "runs": [{k: v for k, v in r.items() if k != "model"} for r in rs]}
               for name, rs in runs.items()},
            "decision": why,
        },
        "parameters": int(clean.count_params()),
        "file_size_bytes": MODEL_PATH.stat().st_size,
        "training_seconds": run["training_seconds"],
        "comparison_seconds": round(total_seconds, 1),
        "weights licence": "no third-party weights: trained here from scratch",
        "vocabulary": vocabulary,
    }
    CARD_PATH.write_text(json.dumps(card, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"saved {MODEL_PATH} ({card['file_size_bytes'] / 1024:.0f} KB), {card['parameters']:,} "
          f"parameters; comparison took {total_seconds:.0f} s")


if __name__ == "__main__":
    main()
