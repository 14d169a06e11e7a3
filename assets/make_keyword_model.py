"""Train the bundled keyword spotter on speech the project synthesises itself (committed; re-run to
regenerate assets/models/keyword_spotter.keras, its model card and the audio examples).

    python assets/make_keyword_model.py            # about 5 minutes on 2 CPU cores

1. Dataset: every keyword (and 38 other words for "unknown") spoken by espeak-ng with a random
   English accent, voice variant, speed and pitch; each placed at a random moment of a one-second
   window (time shift) over white/pink/brown background noise at 5-30 dB SNR. "silence" is noise
   alone, or nothing at all. 20 of espeak-ng's 100 voice variants are held out: the test set is
   spoken only by them, so the accuracy below is on voices the model never heard.
2. Model: the studio's "speech" architecture (CNN + BiLSTM, core/models/architectures.py) on the
   studio's log-mel features (core/audio/features.py), trained with Adam.
3. Real speech: Debian's pocketsphinx-testdata holds a few human recordings; pocketsphinx aligns
   their transcripts, the words are cut out, and the model is scored on them ("go" is a keyword,
   the rest should come out as "unknown"). Too few for a figure to lean on; reported as counts.
"""
from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.audio import features as F  # noqa: E402
from core.audio import synth  # noqa: E402
from core.audio.io import SAMPLE_RATE  # noqa: E402
from core.audio.keywords import KEYWORD_MODEL_CARD, KEYWORD_MODEL_PATH, KEYWORD_MODEL_TFLITE  # noqa: E402
from core.export import to_tflite  # noqa: E402

KEYWORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
UNKNOWN_WORDS = ["bed", "bird", "cat", "dog", "happy", "house", "tree", "wow", "zero", "one", "two",
                 "three", "four", "five", "six", "seven", "eight", "nine", "ten", "forward",
                 "backward", "follow", "learn", "visual", "yet", "cup", "town", "light", "often",
                 "good", "bet", "meters", "clubs", "hearts", "queen", "spades", "of", "upon"]
CLASSES = KEYWORDS + ["unknown", "silence"]
PER_KEYWORD = {"train": 360, "test": 80}
UNKNOWN = {"train": 900, "test": 200}
SILENCE = {"train": 360, "test": 80}
HELD_OUT_VARIANTS = 20
SEED = 7
SAMPLES_DIR = ROOT / "assets" / "samples" / "audio"
TESTDATA = Path("/usr/share/pocketsphinx/test/data")


def random_voice(rng, variants) -> synth.Voice:
    return synth.Voice(str(rng.choice(synth.ACCENTS)), str(rng.choice(variants)),
                       speed=int(rng.integers(110, 210)), pitch=int(rng.integers(20, 85)))


def one_example(word: str | None, voice: synth.Voice | None, seed: int) -> np.ndarray:
    """One second of audio: the word at a random moment over background noise (or noise alone)."""
    rng = np.random.default_rng(seed)
    if word is None:  # silence: room noise at a random level, sometimes digital zero
        if rng.random() < 0.15:
            return np.zeros(F.CLIP_SAMPLES, np.float32)
        return (synth.noise(str(rng.choice(["white", "pink", "brown"])), F.CLIP_SAMPLES, rng)
                * 10 ** rng.uniform(-4, -1)).astype(np.float32)
    spoken = synth.trim_silence(synth.speak(word, voice))
    signal = synth.place_in_window(spoken, F.CLIP_SAMPLES, rng)
    snr = None if rng.random() < 0.2 else rng.uniform(5, 30)
    return synth.mix_noise(signal, rng, snr)


def build_split(split: str, variants: list[str], seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    jobs = []  # (word or None, voice, seed, label)
    for label, word in enumerate(KEYWORDS):
        jobs += [(word, random_voice(rng, variants), int(rng.integers(1 << 31)), label)
                 for _ in range(PER_KEYWORD[split])]
    jobs += [(str(rng.choice(UNKNOWN_WORDS)), random_voice(rng, variants), int(rng.integers(1 << 31)),
              CLASSES.index("unknown")) for _ in range(UNKNOWN[split])]
    jobs += [(None, None, int(rng.integers(1 << 31)), CLASSES.index("silence")) for _ in range(SILENCE[split])]
    with ThreadPoolExecutor(4) as pool:  # espeak-ng runs as a subprocess: threads overlap them
        clips = list(pool.map(lambda job: one_example(*job[:3]), jobs))
    x = np.stack([F.log_mel(clip)[..., None] for clip in clips])
    return x, np.array([job[3] for job in jobs], np.int64)


def real_speech_examples() -> list[tuple[str, np.ndarray, str]]:
    """Words cut from Debian's human recordings by pocketsphinx alignment: (word, one second, source)."""
    import soundfile

    from core.audio.speech import transcribe
    recordings = []
    if (TESTDATA / "goforward.raw").exists():
        raw = np.frombuffer((TESTDATA / "goforward.raw").read_bytes(), "<i2").astype(np.float32) / 32768
        recordings.append(("goforward.raw", raw, "go forward ten meters"))
    transcripts = (TESTDATA / "cards" / "cards.transcription")
    if transcripts.exists():
        for line in transcripts.read_text(encoding="utf-8").splitlines():
            text = line.replace("<s>", "").split("</s>")[0].strip()
            name = line.split("(")[-1].rstrip(")").strip()
            samples, rate = soundfile.read(TESTDATA / "cards" / f"{name}.wav", dtype="float32")
            recordings.append((f"cards/{name}.wav", samples, text))
    examples = []
    for source, samples, text in recordings:
        for word in transcribe(samples, SAMPLE_RATE, phrases=[text]).words:
            middle = int((word.start + word.end) / 2 * SAMPLE_RATE)
            start = max(0, min(len(samples) - F.CLIP_SAMPLES, middle - F.CLIP_SAMPLES // 2))
            window = samples[start:start + F.CLIP_SAMPLES]
            # Only the word itself: silence the neighbours that share the window.
            keep = np.zeros(len(window), np.float32)
            a, b = int(word.start * SAMPLE_RATE) - start, int(word.end * SAMPLE_RATE) - start
            keep[max(a, 0):max(b, 0)] = 1
            examples.append((word.text, window * keep, source))
    return examples


def write_examples(variants_held_out: list[str]) -> list[str]:
    """Example clips for the Audio Lab, spoken by held-out voices (never heard in training)."""
    import soundfile
    SAMPLES_DIR.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED + 1)
    written = []
    for word, variant in (("yes", "f3"), ("stop", "m2"), ("left", "klatt")):
        variant = variant if variant in variants_held_out else variants_held_out[len(written)]
        spoken = synth.trim_silence(synth.speak(word, synth.Voice("en-us", variant, 150, 50)))
        clip = synth.mix_noise(synth.place_in_window(spoken, int(1.2 * SAMPLE_RATE), rng), rng, 25)
        soundfile.write(SAMPLES_DIR / f"{word}.wav", clip, SAMPLE_RATE, subtype="PCM_16")
        written.append(f"{word}.wav")
    sentence = synth.speak("go up, then turn left, and stop.",
                           synth.Voice("en-us", variants_held_out[3], 140, 45, gap=12))
    soundfile.write(SAMPLES_DIR / "go_up_left_stop.wav", np.pad(sentence, 4000) * 0.8, SAMPLE_RATE,
                    subtype="PCM_16")
    written.append("go_up_left_stop.wav")
    if (TESTDATA / "goforward.raw").exists():  # a real human voice (BSD-2, CMU Sphinx test data)
        raw = np.frombuffer((TESTDATA / "goforward.raw").read_bytes(), "<i2")
        soundfile.write(SAMPLES_DIR / "go_forward_ten_meters.wav", raw, SAMPLE_RATE, subtype="PCM_16")
        written.append("go_forward_ten_meters.wav")
    return written


def main() -> None:
    import keras

    from core.data.dataset import AUDIO
    from core.models import InputSpec, build_model
    keras.utils.set_random_seed(SEED)
    variants = synth.variants()
    rng = np.random.default_rng(SEED)
    held_out = sorted(rng.choice(variants, HELD_OUT_VARIANTS, replace=False).tolist())
    train_variants = [v for v in variants if v not in held_out]
    started = time.perf_counter()
    x_train, y_train = build_split("train", train_variants, SEED)
    x_test, y_test = build_split("test", held_out, SEED + 100)
    print(f"synthesised {len(x_train)} training and {len(x_test)} held-out-voice clips "
          f"in {time.perf_counter() - started:.0f} s", flush=True)

    order = rng.permutation(len(x_train))  # Keras's validation_split takes the *last* 10 %: mix first
    x_train, y_train = x_train[order], y_train[order]
    model = build_model("speech", InputSpec(AUDIO, x_train.shape[1:], len(CLASSES)))
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    started = time.perf_counter()
    model.fit(x_train, y_train, batch_size=64, epochs=24, validation_split=0.1, verbose=2,
              callbacks=[keras.callbacks.ReduceLROnPlateau(patience=3, factor=0.5),
                         keras.callbacks.EarlyStopping(patience=6, restore_best_weights=True)])
    train_seconds = time.perf_counter() - started
    predicted = model.predict(x_test, verbose=0).argmax(axis=1)
    held_out_accuracy = float((predicted == y_test).mean())
    per_class = {name: float((predicted[y_test == i] == i).mean()) for i, name in enumerate(CLASSES)}
    print(f"held-out voices: {held_out_accuracy:.1%}", per_class, flush=True)

    real = real_speech_examples()
    real_rows = []
    for word, window, source in real:
        p = model.predict_on_batch(F.log_mel(window)[None, ..., None])[0]
        expected = word if word in KEYWORDS else "unknown"
        real_rows.append({"word": word, "source": source, "expected": expected,
                          "predicted": CLASSES[int(p.argmax())], "confidence": round(float(p.max()), 3)})
    real_correct = sum(r["expected"] == r["predicted"] for r in real_rows)
    print(f"real human words: {real_correct}/{len(real_rows)}", flush=True)

    # Save the weights only (no optimizer state): a clean, small, safe_mode-loadable file.
    clean = keras.models.clone_model(model)
    clean.set_weights(model.get_weights())
    KEYWORD_MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    clean.save(KEYWORD_MODEL_PATH)
    KEYWORD_MODEL_TFLITE.write_bytes(to_tflite(clean))  # the fast path the Audio Lab runs (no TensorFlow)
    card = {
        "title": "Keyword spotter (CNN + BiLSTM, trained here)",
        "classes": CLASSES,
        "keywords": KEYWORDS,
        "trained on": (f"{len(x_train):,} one-second clips synthesised with espeak-ng "
                       f"({len(synth.ACCENTS)} English accents x {len(train_variants)} voice variants, "
                       "random speed 110-210 wpm and pitch, time shifts, white/pink/brown noise at "
                       "5-30 dB SNR); 'unknown' = 38 other words; 'silence' = noise or nothing"),
        "held_out_voices": held_out,
        "held_out_accuracy": round(held_out_accuracy, 4),
        "held_out_examples": int(len(y_test)),
        "per_class_accuracy": {k: round(v, 3) for k, v in per_class.items()},
        "real_speech": {"correct": real_correct, "examples": len(real_rows), "rows": real_rows,
                        "source": "Debian pocketsphinx-testdata (CMU, BSD-2): words cut by pocketsphinx alignment"},
        "parameters": int(model.count_params()),
        "file_size_bytes": KEYWORD_MODEL_PATH.stat().st_size,
        "training_seconds": round(train_seconds, 1),
        "features": F.FEATURE_PARAMS,
        "architecture": "speech",
        "weights licence": "no third-party weights: trained here from scratch on synthetic speech",
        "espeak-ng": "GPL-3.0 program; its synthesised output is not covered by its licence",
    }
    KEYWORD_MODEL_CARD.write_text(json.dumps(card, indent=1), encoding="utf-8")
    print("examples:", write_examples(held_out))
    print(f"saved {KEYWORD_MODEL_PATH} ({card['file_size_bytes'] / 1024:.0f} KB), "
          f"{card['parameters']:,} parameters")


if __name__ == "__main__":
    main()
