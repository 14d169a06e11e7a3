"""Train the bundled English -> Spanish number translator on pairs the project generates itself
(committed; re-run to regenerate assets/models/number_translator.keras and its model card).

    python assets/make_translation_model.py            # about 3 minutes on 2 CPU cores

1. Corpus: every number 0..999 and a random sample of 1,000..999,999, written out in English and in
   Spanish by num2words (PyPI, LGPL-2.1; this script is its only user, the app never imports it).
   English is cleaned as the translator cleans what users type (lowercase, hyphens and commas to
   spaces) and appears both with and without "and" ("one hundred and five" / "one hundred five"),
   so either form works. Spanish follows the RAE rule num2words misses: before "mil", "uno" is
   shortened to "un" and "veintiuno" to "veintiún" (21,000 is "veintiún mil", not "veintiuno mil").
2. Held out: 1,000 numbers from 1,000..999,999 that training never sees; the exact-match score on
   them (the whole translation right, word for word) goes into the card with the pairs themselves,
   so the tests can recompute it.
3. Model: the studio's seq2seq (core/models/seq2seq.py): LSTM encoder, LSTM decoder, Luong
   dot-product attention, teacher forcing, Adam; decoded greedily by core/text/translate.py.
"""
from __future__ import annotations

import json
import re
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.text.translate import (END, PAD, START, TRANSLATOR_CARD,  # noqa: E402
                                 TRANSLATOR_MODEL_PATH, Translator, exact_match,
                                 token_accuracy, words)

SEED = 11
LARGE_TRAINING_NUMBERS = 30_000
HELD_OUT_NUMBERS = 1_000
EPOCHS = 10   # validation accuracy reaches 100 % by epoch 2; the rest firms up the margins
BATCH_SIZE = 128
EMBEDDING_DIM, UNITS = 64, 128
# One-way encoder: both kinds score 100 % on the held-out numbers, but a BiLSTM lets "mil" attend
# to "one" (whose backward half already knows "thousand" follows), while one-way states make the
# heatmap point where the decision is settled: "veintiún" and "mil" look at "thousand".
BIDIRECTIONAL = False
# The longest numbers to write, in both languages: kept in training, so the lengths fit them.
LONGEST = [777_777, 777_000, 999_999, 977_777]


def english(n: int) -> str:
    """As num2words writes it: 'twenty-one thousand, three hundred and five'."""
    from num2words import num2words
    return num2words(n)


def spanish(n: int) -> str:
    """num2words's Spanish with the RAE apocope before "mil": "uno" -> "un", "veintiuno" ->
    "veintiún" (21,000 "veintiún mil", 31,000 "treinta y un mil", 201,000 "doscientos un mil").
    Only the thousands count is affected: 1,001 stays "mil uno"."""
    from num2words import num2words
    text = num2words(n, lang="es")
    text = re.sub(r"\bveintiuno mil\b", "veintiún mil", text)
    return re.sub(r"\buno mil\b", "un mil", text)


def check_spanish() -> None:
    """The cases the RAE rule touches, and neighbours it must leave alone."""
    expected = {21_000: "veintiún mil", 31_000: "treinta y un mil", 201_000: "doscientos un mil",
                101_000: "ciento un mil", 221_021: "doscientos veintiún mil veintiuno",
                991_001: "novecientos noventa y un mil uno", 1_000: "mil", 1_001: "mil uno",
                11_000: "once mil", 100_000: "cien mil", 100_100: "cien mil cien", 21: "veintiuno",
                16_000: "dieciséis mil"}
    for n, text in expected.items():
        assert spanish(n) == text, (n, spanish(n), text)


def forms(n: int) -> list[list[str]]:
    """The English word lists the model should accept for n: with "and" and, if different, without."""
    with_and = words(english(n))
    without = [w for w in with_and if w != "and"]
    return [with_and] if without == with_and else [with_and, without]


def choose_numbers(rng) -> tuple[list[int], list[int]]:
    """(training numbers, held-out numbers): all of 0..999 for training, disjoint large samples."""
    large = np.arange(1_000, 1_000_000)
    large = large[~np.isin(large, LONGEST)]
    picked = rng.choice(large, HELD_OUT_NUMBERS + LARGE_TRAINING_NUMBERS, replace=False)
    held_out = sorted(int(n) for n in picked[:HELD_OUT_NUMBERS])
    training = list(range(1_000)) + LONGEST + [int(n) for n in picked[HELD_OUT_NUMBERS:]]
    return training, held_out


def training_pairs(numbers: list[int], rng) -> list[tuple[list[str], list[str]]]:
    """Small numbers in every English form; each large one in one form at random (both forms
    teach the same thing, and the time goes further on more numbers)."""
    pairs = []
    for n in numbers:
        target = spanish(n).split()
        options = forms(n)
        chosen = options if n < 1_000 else [options[int(rng.integers(len(options)))]]
        pairs += [(source, target) for source in chosen]
    return pairs


def encode(pairs, source_vocabulary, target_vocabulary, max_source, max_target):
    """Id arrays: source (padded), decoder input '<start> y1 .. yn', decoder target 'y1 .. yn <end>'."""
    s_ids = {w: i for i, w in enumerate(source_vocabulary)}
    t_ids = {w: i for i, w in enumerate(target_vocabulary)}
    source = np.zeros((len(pairs), max_source), np.int32)
    prefix = np.zeros((len(pairs), max_target + 1), np.int32)
    target = np.zeros((len(pairs), max_target + 1), np.int32)
    for row, (src, tgt) in enumerate(pairs):
        source[row, :len(src)] = [s_ids[w] for w in src]
        ids = [t_ids[w] for w in tgt]
        prefix[row, :len(ids) + 1] = [t_ids[START]] + ids
        target[row, :len(ids) + 1] = ids + [t_ids[END]]
    return source, prefix, target


def main() -> None:
    import keras

    from core.models.seq2seq import build_seq2seq, training_view
    check_spanish()
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    started = time.perf_counter()
    train_numbers, held_out_numbers = choose_numbers(rng)
    pairs = training_pairs(train_numbers, rng)
    held_out = [(english(n), spanish(n)) for n in held_out_numbers]
    print(f"{len(pairs):,} training pairs from {len(train_numbers):,} numbers, "
          f"{len(held_out):,} held out, generated in {time.perf_counter() - started:.0f} s", flush=True)

    source_vocabulary = [PAD] + sorted({w for src, _ in pairs for w in src})
    target_vocabulary = [PAD, START, END] + sorted({w for _, tgt in pairs for w in tgt})
    max_source = max(len(src) for src, _ in pairs)
    max_target = max(len(tgt) for _, tgt in pairs)
    assert all(w in source_vocabulary for e, _ in held_out for w in words(e))
    assert max(len(words(e)) for e, _ in held_out) <= max_source

    order = rng.permutation(len(pairs))   # Keras's validation_split takes the *last* 5 %: mix first
    source, prefix, target = encode([pairs[i] for i in order], source_vocabulary, target_vocabulary,
                                    max_source, max_target)
    model = build_seq2seq(len(source_vocabulary), len(target_vocabulary), EMBEDDING_DIM, UNITS,
                          bidirectional=BIDIRECTIONAL)
    trainer = training_view(model)   # same layers, loss on the probabilities only
    trainer.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                    weighted_metrics=["accuracy"])
    started = time.perf_counter()
    # Padding positions earn no loss and count for no accuracy.
    trainer.fit([source, prefix], target, sample_weight=(target != 0).astype(np.float32),
                batch_size=BATCH_SIZE, epochs=EPOCHS, validation_split=0.05, verbose=2,
                callbacks=[keras.callbacks.ReduceLROnPlateau(patience=2, factor=0.5, min_lr=1e-4)])
    train_seconds = time.perf_counter() - started

    card = {"source_vocabulary": source_vocabulary, "target_vocabulary": target_vocabulary,
            "max_source_length": max_source, "max_target_length": max_target}
    translator = Translator(model, card)
    exact = exact_match(translator, held_out)
    tokens = token_accuracy(translator, held_out)
    without_and = [(" ".join(w for w in words(e) if w != "and"), s) for e, s in held_out]
    exact_without_and = exact_match(translator, without_and)
    results = translator.translate_batch([e for e, _ in held_out])
    wrong = [(e, s, r.text) for (e, s), r in zip(held_out, results) if r.target_tokens != s.split()]
    print(f"held out: exact match {exact:.2%} ({exact_without_and:.2%} without 'and'), "
          f"token accuracy {tokens:.2%}", flush=True)
    for row in wrong[:10]:
        print("  wrong:", row)

    TRANSLATOR_MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    model.save(TRANSLATOR_MODEL_PATH)   # never compiled: no optimizer state in the file
    encoder = f"BiLSTM {UNITS // 2}+{UNITS // 2}" if BIDIRECTIONAL else f"LSTM {UNITS}"
    card = {
        "title": "Number translator, English to Spanish (LSTM encoder-decoder with attention, trained here)",
        "trained on": (f"{len(pairs):,} English-Spanish pairs of numbers written in words, generated "
                       f"here with num2words: every number from 0 to 999 and {LARGE_TRAINING_NUMBERS:,} "
                       "random ones from 1,000 to 999,999, the English with and without 'and'. "
                       "Nothing else: it knows number words only."),
        **card,
        "held_out_pairs": [list(p) for p in held_out],
        "held_out_description": (f"{len(held_out):,} random numbers from 1,000 to 999,999 never seen in "
                                 "training, English as num2words writes it (with 'and' and commas)"),
        "held_out_exact_match": round(exact, 4),
        "held_out_exact_match_without_and": round(exact_without_and, 4),
        "held_out_token_accuracy": round(tokens, 4),
        "held_out_errors": [list(row) for row in wrong],
        "examples": ["forty two", "twenty-one thousand", "one hundred and one thousand and one",
                     "nine hundred and ninety-nine thousand, nine hundred and ninety-nine"],
        "training_pairs": len(pairs),
        "parameters": int(model.count_params()),
        "file_size_bytes": TRANSLATOR_MODEL_PATH.stat().st_size,
        "training_seconds": round(train_seconds, 1),
        "epochs": EPOCHS,
        "architecture": (f"seq2seq: embeddings {EMBEDDING_DIM}, {encoder} encoder, LSTM decoder {UNITS}, "
                         "Luong dot-product attention, greedy decoding"),
        "num2words": (f"PyPI num2words {version('num2words')}, LGPL-2.1: used only by "
                      "assets/make_translation_model.py to write the pairs; the app neither imports nor ships it"),
        "spanish_fix": ("num2words writes 'veintiuno mil' and 'treinta y uno mil'; the pairs follow the "
                        "RAE rule instead: 'veintiún mil', 'treinta y un mil', 'doscientos un mil'"),
        "weights licence": "no third-party weights: trained here from scratch on generated pairs",
    }
    TRANSLATOR_CARD.write_text(json.dumps(card, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"saved {TRANSLATOR_MODEL_PATH} ({card['file_size_bytes'] / 1024:.0f} KB), "
          f"{card['parameters']:,} parameters, trained in {train_seconds:.0f} s")


if __name__ == "__main__":
    main()
