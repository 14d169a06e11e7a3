"""The Audio Lab through AppTest: examples, uploads (good and bad), recording, speech, teaching."""
import io
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile

from core.audio.keywords import KEYWORD_MODEL_PATH
from tests.pages.conftest import open_page, texts, wait_for_run

EXAMPLES = Path(__file__).resolve().parents[2] / "assets" / "samples" / "audio"
needs_model = pytest.mark.skipif(not KEYWORD_MODEL_PATH.exists(), reason="bundled keyword model not built")


@pytest.fixture
def at():
    return open_page("pages/audio_lab.py")


def encode(samples, rate=16000, fmt="WAV") -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format=fmt)
    return buffer.getvalue()


def tone(seconds, rate=16000, channels=1):
    t = np.arange(int(seconds * rate)) / rate
    mono = (0.4 * np.sin(2 * np.pi * 500 * t)).astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono


def mp3_in_wav() -> bytes:
    fmt = struct.pack("<HHIIHH", 0x55, 1, 16000, 32000, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", 3200) + bytes(3200)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def heard(at) -> str:
    return next((m.value for m in at.markdown if "It hears" in m.value), "")


def answer(at) -> str:
    """The class named by "It hears: **go** (98%)" or "It hears: **Not sure** · best guess “go” (41%)"."""
    line = heard(at)
    return line.split("“")[1].split("”")[0] if "**Not sure**" in line else line.split("**")[1]


def explained(at) -> tuple[str, str]:
    """(the class chosen in "Explain the class", the class the occlusion map is titled with)."""
    box = next(b for b in at.selectbox if b.label == "Explain the class")
    title = next(c.proto.spec for c in at.get("plotly_chart") if "Where it listened" in c.proto.spec)
    return box.value, title.split("Where it listened for \u201c")[1].split("\u201d")[0]


def test_opens_with_examples_one_click_away(at):
    assert not at.exception
    assert "Audio Lab" in at.title[0].value
    assert at.button(key="example-yes.wav") and "Pick an example" in texts(at.info)


@needs_model
def test_example_clip_is_spotted_and_explained(at):
    at.button(key="example-yes.wav").click().run()
    assert not at.exception
    assert "**yes**" in heard(at)
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Waveform" in spec for spec in charts) and any("Log-mel spectrogram" in spec for spec in charts)
    assert any("Where it listened" in spec for spec in charts)
    assert len(at.get("audio")) == 1


@needs_model
def test_the_explanation_follows_a_new_clip_to_its_own_answer(at):
    """Issue 14 item 2: example "left", another class explained, then an uploaded clip: the map is
    for the new clip's answer, not for the class chosen before."""
    at.button(key="example-left.wav").click().run()
    assert answer(at) == "left" and explained(at) == ("left", "left")
    box = next(b for b in at.selectbox if b.label == "Explain the class")
    box.set_value(box.options[1]).run()
    assert explained(at) == (box.options[1], box.options[1])
    at.file_uploader(key="clip_upload").set_value(
        ("mine.wav", (EXAMPLES / "stop.wav").read_bytes(), "audio/wav")).run()
    assert not at.exception
    assert answer(at) == "stop" and explained(at) == ("stop", "stop")
    assert "temperature scaling on 1,080 clips spoken by the 20 held-out voices" in texts(at.caption)


@needs_model
def test_uploaded_clip_is_spotted_and_a_sentence_gets_a_timeline(at):
    at.file_uploader(key="clip_upload").set_value(
        ("my_clip.wav", (EXAMPLES / "stop.wav").read_bytes(), "audio/wav")).run()
    assert not at.exception and "**stop**" in heard(at)
    at.button(key="example-go_up_left_stop.wav").click().run()
    assert any("moment by moment" in c.proto.spec for c in at.get("plotly_chart"))


@needs_model
def test_recording_is_used(at):
    at.audio_input(key="recorder").set_value(("recording.wav", (EXAMPLES / "left.wav").read_bytes(), "audio/wav")).run()
    assert not at.exception and "**left**" in heard(at)


LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav")


def transcript_words(at) -> list[str]:
    return list(at.dataframe[-1].value["word"])  # the first table is the model card's


def test_a_real_voice_is_transcribed_in_the_default_mode_with_word_timings(at):
    at.button(key="example-go_forward_ten_meters.wav").click().run()
    assert at.radio(key="speech_mode").value == "auto"
    at.button(key="transcribe").click().run()
    assert not at.exception
    assert "“go forward ten meters”" in texts(at.markdown)
    assert "**Used: Commands (grammar)** · The phrase “go forward ten meters” explains" in texts(at.markdown)
    words = at.dataframe[-1].value
    assert list(words["word"]) == ["go", "forward", "ten", "meters"]
    assert all(t.endswith("s") for t in words["from"])  # formatted durations, not raw floats
    assert any("with the recognised words" in c.proto.spec for c in at.get("plotly_chart"))
    assert "Real-time factor" in [m.label for m in at.metric]


def test_the_yes_example_is_transcribed_in_the_default_mode(at):
    # It gave "No speech recognised that matches one of the phrases": the phrase list had no "yes".
    at.button(key="example-yes.wav").click().run()
    at.button(key="transcribe").click().run()
    assert not at.exception and "“yes”" in texts(at.markdown) and transcript_words(at) == ["yes"]


def test_a_recorded_sentence_gets_a_transcript_not_a_command_word(at):
    if not LIBRIVOX.exists():
        pytest.skip("Debian's pocketsphinx-testdata is not installed")
    at.file_uploader(key="clip_upload").set_value(("sentence.wav", LIBRIVOX.read_bytes(), "audio/wav")).run()
    at.button(key="transcribe").click().run()
    assert not at.exception and "**Used: Dictation** · No phrase fits" in texts(at.markdown)
    assert len(transcript_words(at)) >= 5 and "stop" not in transcript_words(at)


def test_commands_mode_knows_every_example_word(at):
    at.button(key="example-go_up_left_stop.wav").click().run()
    at.radio(key="speech_mode").set_value("commands").run()
    listed = at.text_area(key="phrases").value.splitlines()
    assert {"yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"} <= set(listed)
    assert "go up then turn left and stop" in listed
    at.button(key="transcribe").click().run()
    assert not at.exception and "“go up then turn left and stop”" in texts(at.markdown)


def test_dictation_mode_has_no_phrase_list(at):
    at.button(key="example-go_forward_ten_meters.wav").click().run()
    at.radio(key="speech_mode").set_value("dictation").run()
    assert not [t for t in at.text_area if t.key == "phrases"]
    at.button(key="transcribe").click().run()
    assert not at.exception and "**Used: Dictation**" in texts(at.markdown)


def test_unknown_command_word_is_explained(at):
    at.button(key="example-go_forward_ten_meters.wav").click().run()
    at.text_area(key="phrases").set_value("go zzxqv").run()
    at.button(key="transcribe").click().run()
    assert not at.exception and "zzxqv" in texts(at.error)


@pytest.mark.parametrize("name, data, message", [
    ("empty.wav", b"", "empty (0 bytes)"),
    ("photo.wav", b"\x89PNG\r\n\x1a\n" + bytes(300), "is a PNG image, not audio"),
    ("cut.wav", encode(tone(1.0))[:30], "damaged or truncated WAV"),
    ("garbage.mp3", b"not audio at all " * 50, "could not be read as audio"),
    ("blip.wav", encode(tone(0.05)), "too short: 50 ms"),
    ("long.wav", encode(tone(61, 8000), 8000), "the limit is 60 s"),
    ("mp3inside.wav", mp3_in_wav(), "codec the studio cannot decode"),
])
def test_bad_clips_get_a_message_and_the_page_keeps_working(at, name, data, message):
    at.file_uploader(key="clip_upload").set_value((name, data, "audio/wav")).run()
    assert not at.exception
    assert message in texts(at.error), texts(at.error)
    at.button(key="example-go_forward_ten_meters.wav").click().run()  # everything else still works
    assert not at.exception and at.session_state["clip"][0] == "go_forward_ten_meters.wav"


@pytest.mark.parametrize("rate, channels, note", [(8000, 1, "Resampled from 8,000 Hz"),
                                                  (96000, 1, "Resampled from 96,000 Hz"),
                                                  (16000, 6, "6 channels were mixed down")])
def test_unusual_rates_and_channels_are_converted_and_said(at, rate, channels, note):
    at.file_uploader(key="clip_upload").set_value(("odd.wav", encode(tone(1.0, rate, channels), rate),
                                                   "audio/wav")).run()
    assert not at.exception and note in texts(at.caption)


def test_silence_is_flagged(at):
    at.file_uploader(key="clip_upload").set_value(("quiet.wav", encode(np.zeros(16000, np.float32)),
                                                   "audio/wav")).run()
    assert not at.exception and "This clip is silent" in texts(at.warning)


def test_teach_sounds_from_the_sample_and_use_the_model(at):
    at.button(key="teach_sample").click().run()
    assert "Ready: **Sample sounds**" in texts(at.success)
    at.number_input(key="sound_epochs").set_value(8).run()
    at.button(key="sound_launch").click().run()
    run = wait_for_run(at.session_state["sound_run"])
    assert run.status == "completed", run.error
    at.button(key="example-yes.wav").click().run()
    at.button(key="use_taught").click().run()
    assert at.session_state["audio_model"] == f"run:{run.id}"
    # A taught hiss/knock/whistle model hearing "yes" may well be "Not sure": its best guess is still one of them.
    assert not at.exception and answer(at) in ("hiss", "knock", "whistle")


def test_bad_teaching_zip_gets_a_message(at):
    at.file_uploader(key="teach_zip").set_value(("sounds.zip", b"PK\x03\x04 broken", "application/zip")).run()
    assert not at.exception and "corrupt or truncated" in texts(at.error)


def test_record_class_by_class(at):
    recordings = {"low": [tone(0.6) * 0.5, tone(0.7)], "high": [tone(0.5, 44100)[::2], tone(0.8)]}
    for name, clips in recordings.items():
        for clip in clips:
            at.text_input(key="sound_class_name").set_value(name)
            recorder = next(w for w in at.get("audio_input") if w.key.startswith("sound_rec_"))
            recorder.set_value(("recording.wav", encode(clip), "audio/wav")).run()
            at.button(key="add_clip").click().run()
    assert not at.exception and "**low**: 2 clips · **high**: 2 clips" in texts(at.markdown)
    at.button(key="use_sound_classes").click().run()
    assert "Ready: **My sounds** · high (2), low (2)" in texts(at.success)
