"""Speech to text, old and new: word error rate, real-time factor and load time in one run.

    python benchmarks/speech.py            # all five LibriVox clips + espeak-ng sentences
    python benchmarks/speech.py --json out.json

Recognisers: pocketsphinx dictation (its bundled US-English model, 2015-era), Whisper tiny.en and
Whisper base (faster-whisper on CTranslate2, int8, 2 CPU threads, greedy decoding, no VAD).
Audio: the five LibriVox clips of Debian's pocketsphinx-testdata (references in its
`transcription` file) and a few sentences synthesised by espeak-ng (a robotic voice none of the
models was trained on). Word error rate is pooled: all errors over all reference words, after
lower-casing, dropping punctuation and spelling out "Mr." and digits (core.audio.speech.word_errors).
Real-time factor: recognition time over audio time (below 1: faster than listening); CPU: CPU-seconds
per second of audio (all threads), which a busy machine changes far less than the wall time. Whisper
base detects the language on the encoding its decoding reuses (one encoder pass for a clip under
30 s; faster-whisper alone makes two: 0.48 -> 0.27 CPU). Load time:
first load of the model in this process (base includes joining its weights on the very first use).
Timings depend on what else the machine runs: say how loaded it was when quoting them.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ESPEAK_SENTENCES = ["the quick brown fox jumps over the lazy dog",
                    "please turn off the lights in the kitchen before you go to bed",
                    "the weather today is cloudy with a chance of rain in the afternoon",
                    "she sold three tickets for the concert on saturday evening"]


def librivox_clips():
    import soundfile as sf
    from core.audio.speech import LIBRIVOX_DIR, librivox_references
    for name, reference in sorted(librivox_references().items()):
        samples, rate = sf.read(Path(LIBRIVOX_DIR) / name, dtype="float32")
        assert rate == 16000
        yield name, samples, reference


def espeak_clips():
    from core.audio.synth import SynthError, Voice, speak
    for i, sentence in enumerate(ESPEAK_SENTENCES):
        try:
            yield f"espeak-{i}", speak(sentence, Voice("en-us")), sentence
        except SynthError as err:
            print(f"  (espeak-ng sentences skipped: {err})")
            return


def recognisers():
    """(name, load seconds, transcribe(samples) -> text) for each recogniser."""
    from core.audio.speech import transcribe
    started = time.perf_counter()
    transcribe(__import__("numpy").zeros(16000, "float32") + 1e-3)  # builds the dictation decoder
    yield "pocketsphinx dictation", time.perf_counter() - started, lambda x: transcribe(x).text
    from core.catalog import load_model
    for key, title in (("whisper_tiny_en", "Whisper tiny.en"), ("whisper_base", "Whisper base")):
        started = time.perf_counter()
        model = load_model(key)
        yield title, time.perf_counter() - started, lambda x, m=model: m.transcribe(x).text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    from core.audio.speech import word_errors
    sets = {"LibriVox (5 real clips)": list(librivox_clips()), "espeak-ng sentences": list(espeak_clips())}
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (timings depend on it)")
    results = []
    for name, load_seconds, run in recognisers():
        row = {"recogniser": name, "load_s": round(load_seconds, 2)}
        for set_name, clips in sets.items():
            errors = words = 0
            audio = spent = cpu = 0.0
            for clip_name, samples, reference in clips:
                started, cpu_started = time.perf_counter(), time.process_time()
                text = run(samples)
                spent += time.perf_counter() - started
                cpu += time.process_time() - cpu_started
                audio += samples.size / 16000
                e, n = word_errors(reference, text)
                errors, words = errors + e, words + n
                print(f"  {name:24s} {clip_name:45s} {e}/{n} errors  “{text}”")
            row[set_name] = {"wer": errors / max(words, 1), "errors": errors, "words": words,
                             "rtf": spent / max(audio, 1e-9), "cpu_per_audio_s": cpu / max(audio, 1e-9),
                             "audio_s": round(audio, 1)}
        results.append(row)
    print()
    print(f"{'recogniser':24s} {'load':>7s}  " + "  ".join(f"{s[:22]:>22s} WER   RTF   CPU" for s in sets))
    for row in results:
        cells = "  ".join(f"{row[s]['errors']:>5d}/{row[s]['words']:<3d} {row[s]['wer']:>15.1%} {row[s]['rtf']:5.2f}"
                          f" {row[s]['cpu_per_audio_s']:5.2f}" for s in sets)
        print(f"{row['recogniser']:24s} {row['load_s']:6.1f}s  {cells}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
