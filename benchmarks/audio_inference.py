"""Audio Lab speed: a 5 s clip end to end, fresh and warm, and keyword-model latency per window.

    python benchmarks/audio_inference.py

A 5 s clip (a held-out espeak-ng voice saying "go up, then turn left, and stop", padded with
room noise, written as MP3 like a phone recording) goes through what the page does: decode +
resample, log-mel features, keyword model on the loudest second plus the sliding windows, and
pocketsphinx in commands mode.

- fresh: a brand-new Python process doing it for the first time (imports, pocketsphinx decoder,
  loading the keyword model, first call of every function). Target under 3 s. The bundled model
  runs as TFLite on LiteRT, so this path never imports TensorFlow (about 4 s); the Keras model's
  latency is printed too, for comparison.
- warm: the same clip again in a process that has done it once (target under 1 s).
- keyword model latency per one-second window: p50 / p95 over 200 calls (target under 30 ms).
There is no librosa in this path: features are NumPy (core/audio/features.py), so nothing waits on
numba's first-call compilation (37 s measured on a fresh install).
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
PHRASES = ["go up then turn left and stop", "go forward ten meters", "turn right", "stop"]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
data = open(sys.argv[1], "rb").read()
timings = {}
def step(name, fn):
    start = time.perf_counter(); out = fn(); timings[name] = time.perf_counter() - start; return out
def pipeline():
    from core.audio.io import decode_audio
    from core.audio import features as F
    from core.audio.speech import transcribe
    clip = step("decode", lambda: decode_audio(data, "clip.mp3"))
    step("features", lambda: (F.log_mel(clip.samples), F.clip_features(clip.samples), F.sliding_windows(clip.samples)))
    text = step("transcribe", lambda: transcribe(clip.samples, 16000, json.loads(sys.argv[2])).text)
    return clip, text
start = time.perf_counter(); clip, text = pipeline(); fresh_no_model = time.perf_counter() - start
from core.catalog import load_model
classifier = step("model_load", lambda: load_model("keyword_spotter"))
step("keywords_first", lambda: (classifier.predict(clip.samples), classifier.over_time(clip.samples)))
warm = {}
for _ in range(3):
    start = time.perf_counter(); clip, text = pipeline()
    word = classifier.predict(clip.samples).top[0][0]; classifier.over_time(clip.samples)
    warm.setdefault("total", []).append(time.perf_counter() - start)
import numpy as np
from core.audio import features as F
x = F.clip_features(clip.samples)[None]
lat = []
for _ in range(200):
    start = time.perf_counter(); classifier.probabilities(x); lat.append(time.perf_counter() - start)
lat_f = []
for _ in range(50):
    start = time.perf_counter(); classifier.predict(clip.samples); lat_f.append(time.perf_counter() - start)
from core.catalog import load_model as _load
keras_model = _load("keyword_spotter", prefer_litert=False)
lat_k = []
for _ in range(50):
    start = time.perf_counter(); keras_model.probabilities(x); lat_k.append(time.perf_counter() - start)
timings["runtime"] = classifier.runtime
print(json.dumps({"keras_p50": float(np.percentile(lat_k, 50)), "fresh_no_model": fresh_no_model, "timings": timings, "warm": min(warm["total"]),
                  "text": text, "word": word, "duration": clip.duration,
                  "model_p50": float(np.percentile(lat, 50)), "model_p95": float(np.percentile(lat, 95)),
                  "predict_p50": float(np.percentile(lat_f, 50))}))
"""


def make_clip() -> bytes:
    import numpy as np
    import soundfile

    from core.audio import synth
    from core.audio.keywords import bundled_card
    voice = synth.Voice("en-us", bundled_card()["held_out_voices"][0], 150, 50, gap=10)
    speech = synth.speak("go up, then turn left, and stop.", voice)
    rng = np.random.default_rng(0)
    clip = np.zeros(5 * 16000, np.float32)
    clip[8000:8000 + len(speech)] = speech[:len(clip) - 8000]
    clip += 0.003 * synth.noise("pink", len(clip), rng)
    buffer = io.BytesIO()
    soundfile.write(buffer, clip, 16000, format="MP3")
    return buffer.getvalue()


def main() -> None:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / "studio-bench-clip.mp3"
    path.write_bytes(make_clip())
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), json.dumps(PHRASES)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    r = json.loads(out.stdout.strip().splitlines()[-1])
    t = r["timings"]
    print(f"clip: {r['duration']:.1f} s MP3, commands mode heard {r['text']!r}, keyword model: {r['word']!r}")
    print(f"fresh process, first clip (decode + features + transcription): {r['fresh_no_model']:.2f} s "
          f"(target < 3 s)  [decode {t['decode']:.2f}, features {t['features']:.3f}, "
          f"transcribe {t['transcribe']:.2f}]")
    print(f"fresh process, keyword model load ({t['runtime']}, .tflite + warm-up call): "
          f"{t['model_load']:.3f} s; first keyword answer + sliding windows after it: {t['keywords_first']:.3f} s")
    print(f"fresh total, first clip end to end: {r['fresh_no_model'] + t['model_load'] + t['keywords_first']:.2f} s "
          f"(target < 3 s)")
    print(f"warm, same clip end to end (decode + features + keywords + windows + transcription): "
          f"{r['warm']:.3f} s (target < 1 s)")
    print(f"keyword model per one-second window: p50 {r['model_p50'] * 1000:.1f} ms, "
          f"p95 {r['model_p95'] * 1000:.1f} ms (target < 30 ms); with features: "
          f"{r['predict_p50'] * 1000:.1f} ms; the same model in Keras (predict_on_batch): "
          f"{r['keras_p50'] * 1000:.1f} ms")
    print(f"(benchmark process wall time {wall:.1f} s, including the Keras comparison's TensorFlow import)")


if __name__ == "__main__":
    main()
