"""Keyword spotting: the bundled model on voices it never heard, real speech, windows, occlusion;
and a sound classifier taught through the runner, usable at once."""
import json
import os
import random
import sys
from pathlib import Path

import numpy as np
import pytest

from core.audio import features as F
from core.audio.io import decode_audio
from core.audio.keywords import BUNDLED_KEY, KEYWORD_MODEL_PATH, bundled_card
from core.catalog import list_models, load_model

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "assets" / "samples" / "audio"
needs_model = pytest.mark.skipif(not KEYWORD_MODEL_PATH.exists(), reason="bundled keyword model not built")


@pytest.fixture(scope="module")
def spotter():
    return load_model(BUNDLED_KEY)


def read(name):
    from core.audio.io import decode_audio
    return decode_audio((EXAMPLES / name).read_bytes(), name).samples


@needs_model
def test_bundled_model_scores_90_percent_on_fresh_clips_from_held_out_voices(spotter):
    """New clips (new seeds, speeds, pitches, noise) spoken only by the voices held out in training."""
    from core.audio import synth
    sys.path.insert(0, str(ROOT / "assets"))
    from make_keyword_model import CLASSES, KEYWORDS, UNKNOWN_WORDS, one_example
    card = bundled_card()
    assert card["classes"] == CLASSES and card["held_out_accuracy"] >= 0.9
    rng = np.random.default_rng(2026)
    jobs = [(word, i) for word in KEYWORDS for i in range(6)]
    jobs += [(str(rng.choice(UNKNOWN_WORDS)), i) for i in range(12)] + [(None, i) for i in range(6)]
    x, y = [], []
    for word, i in jobs:
        voice = synth.Voice(str(rng.choice(synth.ACCENTS)), str(rng.choice(card["held_out_voices"])),
                            int(rng.integers(120, 200)), int(rng.integers(25, 80)))
        x.append(F.log_mel(one_example(word, voice, int(rng.integers(1 << 30))))[..., None])
        y.append(CLASSES.index(word if word in KEYWORDS else "unknown" if word else "silence"))
    predicted = spotter.probabilities(np.stack(x)).argmax(axis=1)
    accuracy = float((predicted == np.array(y)).mean())
    assert accuracy >= 0.9, f"{accuracy:.1%} on {len(y)} held-out-voice clips"


@needs_model
@pytest.mark.parametrize("name, word", [("yes.wav", "yes"), ("stop.wav", "stop"), ("left.wav", "left")])
def test_bundled_examples_are_recognised(spotter, name, word):
    prediction = spotter.predict(read(name))
    assert prediction.top[0][0] == word and prediction.features.shape == (98, 40, 1)


@needs_model
def test_silence_is_silence_and_sliding_windows_follow_a_sentence(spotter):
    assert spotter.predict(np.zeros(16000, np.float32)).top[0][0] == "silence"
    samples = read("go_up_left_stop.wav")
    times, probabilities = spotter.over_time(samples)
    assert probabilities.shape == (len(times), len(spotter.class_names))
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
    winners = {spotter.class_names[i] for i in probabilities.argmax(axis=1)}
    assert {"go", "stop"} <= winners, winners


@needs_model
def test_occlusion_points_at_the_word_not_the_silence_around_it(spotter):
    clip = np.zeros(F.CLIP_SAMPLES, np.float32)
    word = read("stop.wav")
    loud = np.flatnonzero(np.abs(word) > 0.05)
    spoken = word[loud[0]:loud[-1]]
    clip[6000:6000 + len(spoken)] = spoken[:F.CLIP_SAMPLES - 6000]
    x = F.clip_features(clip)
    index = spotter.class_names.index("stop")
    heat = spotter.occlusion(x, index)
    assert heat.shape == (98, 40) and heat.max() == pytest.approx(1.0)
    speech_frames = slice(6000 // F.HOP, (6000 + len(spoken)) // F.HOP)
    assert heat[speech_frames].mean() > 3 * heat[:30].mean()


@needs_model
def test_tflite_fast_path_matches_keras_and_never_imports_tensorflow(spotter):
    import subprocess
    assert spotter.runtime.startswith("LiteRT")
    keras_spotter = load_model(BUNDLED_KEY, prefer_litert=False)
    assert keras_spotter.runtime == "Keras"
    rng = np.random.default_rng(0)
    batch = np.stack([F.clip_features(read(name)) for name in ("yes.wav", "stop.wav", "left.wav")]
                     + [rng.uniform(0, 1, (98, 40, 1)).astype(np.float32)])
    np.testing.assert_allclose(spotter.probabilities(batch), keras_spotter.probabilities(batch), atol=1e-4)
    code = ("import sys; from core.catalog import load_model; "
            "c = load_model('keyword_spotter'); print(c.runtime, 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == "False", out.stdout


@needs_model
def test_card_reports_real_speech_and_size():
    card = bundled_card()
    real = card["real_speech"]
    assert real["examples"] == len(real["rows"]) > 0 and 0 <= real["correct"] <= real["examples"]
    assert card["file_size_bytes"] == KEYWORD_MODEL_PATH.stat().st_size < 5 * 2**20
    assert card["features"] == json.loads(json.dumps(F.FEATURE_PARAMS))


def test_sounds_taught_through_the_runner_are_usable_at_once():
    """Sample sounds zip -> CNN through the runner (in this process) -> listed and loaded as a model."""
    import soundfile

    from core.data import uploads
    from core.runs import RunStore
    from core.training import RunConfig
    from core.training.runner import train
    sys.path.insert(0, str(ROOT / "assets"))
    from make_samples import make_sound
    report = uploads.import_audio_zip((ROOT / "assets" / "samples" / "sounds.zip").read_bytes())
    config = RunConfig(dataset=report.dataset_key, architecture="cnn", epochs=12, batch_size=16,
                       learning_rate=1e-3, validation_split=0.2).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), config.name)
    store.set_process(run_id, os.getpid())
    assert store.claim_slot(run_id, max_running=10)
    assert train(config, run_id, store) == "completed"
    run = store.get_run(run_id)
    losses = store.metrics(run_id, "epoch").query("name == 'loss'").value.tolist()
    assert losses[-1] < losses[0] and run.results["test_accuracy"] >= 0.8
    assert json.loads((run.dir / "preprocessing.json").read_text(encoding="utf-8"))["kind"] == "audio"

    assert f"run:{run_id}" in [info.key for info in list_models("audio", store)]
    classifier = load_model(f"run:{run_id}")
    assert classifier.runtime == "Keras" and "held-out test clips" in classifier.card["accuracy"]
    rng = random.Random(99)
    correct = 0
    for kind in ("whistle", "knock", "hiss") * 3:  # brand-new sounds, never in the zip
        correct += classifier.predict(make_sound(kind, rng)).top[0][0] == kind
    assert correct >= 8, f"{correct}/9"
    familiar = [classifier.predict(make_sound(kind, rng)).novelty.familiar for kind in ("whistle", "knock", "hiss") * 3]
    assert sum(familiar) >= 8, familiar  # new clips of the taught sounds are no "none of these"
    speech = decode_audio((ROOT / "assets" / "samples" / "audio" / "yes.wav").read_bytes(), "yes.wav")
    assert not classifier.predict(speech.samples).novelty.familiar  # a spoken word is none of them
