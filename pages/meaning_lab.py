"""Meaning: a pretrained sentence encoder (all-MiniLM-L6-v2) searches a document set by meaning beside
keyword search, labels texts with no training (zero-shot) or from a few examples (few-shot), shows
why a pretrained model beats one trained from scratch, and draws a map of the documents."""
from __future__ import annotations

import hashlib
import time

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from core.meaning import documents as docs_mod
from core.meaning import encoder as enc
from core.data import DataError
from core.meaning import fewshot, image_map, maps, search, zeroshot
from core.text.io import TextInputError
from pages.common import (format_number, format_percent, format_seconds, handed_off, help_for, keep_settings,
                          limited_uploader, load_classifier, model_card_ui, page_setup, shown_name, use_new_file_ui)

SOURCES = {
    "answers": "📚 Help-centre answers (bundled, 10)",
    "desk": "🎫 Help desk: tickets and answers (bundled, labelled)",
    "csv": "📄 My CSV",
    "txt": "📝 My .txt (one document per line)",
    "paste": "✍️ Pasted lines",
}
DEFAULT_QUERY = "my parcel never came"
DEFAULT_LABELS = "delivery, refund, account, billing, technical"
STATE = "meaning_documents"


def intro_ui() -> None:
    st.title("🔎 Meaning")
    st.markdown("A **pretrained sentence encoder** (all-MiniLM-L6-v2, trained on a billion sentence pairs) turns "
                "each text into 384 numbers placed so that texts meaning the same thing land close together. "
                "With that one model: **search by meaning** beside keyword search, **label texts with no "
                "training**, **teach labels from a few examples**, and **draw a map** of your documents.",
                help=help_for("embedding"))


@st.cache_resource(show_spinner=False)
def _encoder():
    return enc.load_encoder()


def encoder_ui():
    """The page's sentence encoder: the catalogue's "meaning" entries (English MiniLM, multilingual e5)."""
    if not enc.available():
        st.error(enc.missing_message())
        st.stop()
    from core.catalog import CATALOG
    choices = {e.key: e for e in CATALOG.values() if e.task == "meaning" and e.is_available()}
    key = st.selectbox("Sentence encoder", list(choices), format_func=lambda k: choices[k].title,
                       key="meaning_encoder", help="all-MiniLM-L6-v2 knows English only; multilingual-e5-small "
                       "reads about 100 languages (an English question finds a Chinese, Spanish or German answer).")
    model_card_ui(choices[key].card())
    if key != enc.KEY:
        return load_classifier(key, "Loading the multilingual encoder…")
    with st.spinner("Loading the sentence encoder (converted once, then read from the data directory)…"):
        return _encoder()


def _encoder_key(encoder) -> str:
    return getattr(encoder, "key", enc.KEY)


# -- the document set ---------------------------------------------------------------------------------

def _keep(documents) -> None:
    st.session_state[STATE] = documents


FROM_DOCUMENT = "meaning_from_document"


def from_document_source() -> dict:
    """The lines another lab handed over (the Document Lab's "search it by meaning") as one more
    source, picked once when they arrive; the user can go back to the bundled sets."""
    received = handed_off("pages/meaning_lab.py")
    if received:
        source, rows = received
        try:
            handed = docs_mod.clean(f"lines read from {source}", rows)
        except docs_mod.DocumentError as err:
            st.error(f"The Document Lab's text cannot be searched: {err}")
        else:
            st.session_state[FROM_DOCUMENT] = (source, handed)
            st.session_state["meaning_source"] = "document"
    return {"document": "📄 From the Document Lab"} if FROM_DOCUMENT in st.session_state else {}


def documents_ui():
    """Pick a document set; it stays in the session until another is picked."""
    st.subheader("1 · Documents")
    sources = {**SOURCES, **from_document_source()}
    choice = st.radio("Documents", list(sources), format_func=sources.get, horizontal=True,
                      key="meaning_source", label_visibility="collapsed")
    if choice == "document":
        source, handed = st.session_state[FROM_DOCUMENT]
        if st.session_state.get(STATE) is not handed:
            _keep(handed)
        st.info(f"📄 These documents are the lines the **Document Lab** read from **{source}**, one per "
                "line of the page. Pick a bundled set above to go back to the examples.")
    elif choice in ("answers", "desk"):
        wanted = docs_mod.support_documents(answers_only=choice == "answers")
        current = st.session_state.get(STATE)
        if current is None or current.name != wanted.name:
            _keep(wanted)
    elif choice == "csv":
        csv_ui()
    elif choice == "txt":
        file = limited_uploader("A .txt file, one document per line", "text file", type=["txt"],
                                key="meaning_txt")
        use_new_file_ui(file, "meaning_txt", _use_txt, limit="text file", forget=STATE)
    else:
        pasted = st.text_area("One document per line", key="meaning_paste", height=140,
                              placeholder="Delivery delayed: your order is late\nHow to reset your password")
        if st.button("Use these lines", key="meaning_use_paste"):
            try:
                _keep(docs_mod.from_pasted(pasted))
            except docs_mod.DocumentError as err:
                st.session_state.pop(STATE, None)
                st.error(str(err))
    documents = st.session_state.get(STATE)
    if documents is None:
        st.info("Pick or upload a document set to begin.")
        return None
    labelled = f", labelled ({len(set(documents.labels))} labels)" if documents.labels else ""
    st.caption(f"**{documents.name}**: {format_number(len(documents))} documents{labelled}. "
               f"Up to {format_number(docs_mod.MAX_DOCUMENTS)} documents at once.")
    for note in documents.notes:
        st.caption(f"ℹ️ {note}")
    if docs_mod.mostly_not_english(documents.texts):
        if st.session_state.get("meaning_encoder", enc.KEY) == enc.KEY:
            st.warning("Most of these documents do not look like English. This encoder was trained on English "
                       "only: search and labels will be much weaker in other languages. Pick "
                       "multilingual-e5-small above for them.")
    return documents


def _use_txt(name: str, data: bytes):
    try:
        _keep(docs_mod.from_txt(name, data))
    except TextInputError as err:
        return str(err)
    return None


def csv_ui() -> None:
    file = limited_uploader("A CSV with a column of texts (and optionally a column of labels)", "csv to learn from",
                            type=["csv"], key="meaning_csv")
    use_new_file_ui(file, "meaning_csv", _keep_csv, limit="csv to learn from", forget="meaning_csv_table")
    kept = st.session_state.get("meaning_csv_table")
    if not kept:
        return
    name, data, columns, text_column, label_column, all_columns = kept
    left, right = st.columns(2)
    text_column = left.selectbox("Text column", columns, index=columns.index(text_column), key="meaning_csv_text")
    options = ["(none)"] + [c for c in all_columns if c != text_column]
    label_column = right.selectbox("Label column", options,
                                   index=options.index(label_column) if label_column in options else 0,
                                   key="meaning_csv_label")
    try:
        documents = docs_mod.from_csv(name, data, text_column, None if label_column == "(none)" else label_column)
    except TextInputError as err:
        st.session_state.pop(STATE, None)
        st.error(str(err))
        return
    current = st.session_state.get(STATE)
    if current is None or current.texts != documents.texts or current.labels != documents.labels:
        _keep(documents)


def _keep_csv(name: str, data: bytes):
    st.session_state.pop(STATE, None)
    try:
        texty, text_column, label_column = docs_mod.csv_columns(data)
        all_columns = docs_mod.open_csv(data).columns
    except TextInputError as err:
        st.session_state.pop("meaning_csv_table", None)
        return str(err)
    st.session_state["meaning_csv_table"] = (name, data, texty, text_column, label_column, all_columns)
    return None


def index_ui(encoder, documents):
    """The documents' vectors (stored in the data directory: a second visit reads them)."""
    key = search.index_key(documents.texts, _encoder_key(encoder))
    cached = st.session_state.get("meaning_index")
    if cached and cached[0] == key:
        return cached[1], cached[2]
    bar = st.progress(0.0, text="Encoding the documents…")
    index = search.SemanticIndex.build(encoder, documents.texts, progress=lambda f, m: bar.progress(f, text=m))
    bar.empty()
    keyword = search.BM25(documents.texts)
    st.session_state["meaning_index"] = (key, index, keyword)
    how = "read from the stored index" if index.reused else "encoded and stored"
    st.caption(f"{format_number(len(documents))} documents {how} in {format_seconds(index.seconds)}.")
    return index, keyword


# -- 2 · search ---------------------------------------------------------------------------------------

def hits_frame(hits, typical: float | None = None) -> pd.DataFrame:
    """The hits; by meaning, each score's lift above the typical document too (encoders' raw scales
    differ: e5 gives every document 0.8 or more)."""
    frame = pd.DataFrame({"score": [format_number(h.score) for h in hits], "document": [h.text for h in hits]})
    if typical is not None:
        frame.insert(1, "above typical", [format_percent(search.lift(h.score, typical), 0) for h in hits])
    return frame


def search_ui(encoder, index, keyword) -> None:
    query = st.text_input("Search", key="meaning_query",
                          help="Type a question in your own words; both searches look for it.")
    if not query.strip():
        st.info("Type something to search for.")
        return
    found = search.search_both(encoder, index, keyword, query, k=5)
    english_only = getattr(encoder, "key", enc.KEY) == enc.KEY
    if english_only and docs_mod.mostly_not_english([query]):
        st.warning(f"Your query does not look like English, and this encoder learnt English only: its "
                   f"matches are a guess (the best scores {format_number(found['meaning'][0].score)}). "
                   "Pick multilingual-e5-small above to search in other languages.")
    elif found["meaning"] and found["standout"] < search.STANDS_OUT_FROM:
        st.warning(f"**Nothing stands out**: the best match scores {format_number(found['meaning'][0].score)} "
                   f"and a typical document {format_number(found['typical'])}: it is only "
                   f"{format_percent(found['standout'], 0)} of the way from typical to a perfect match. No "
                   "document answers this query clearly: try other words, or the documents may not hold it.")
    by_meaning, by_words = st.columns(2)
    by_meaning.markdown("**By meaning** (cosine similarity of sentence vectors)", help=help_for("cosine similarity"))
    by_meaning.table(hits_frame(found["meaning"], found["typical"]).set_index("score"))  # a table wraps long documents
    by_words.markdown("**By keywords** (BM25: shared words, rarer words count more)", help=help_for("bm25"))
    if found["keywords"]:
        by_words.table(hits_frame(found["keywords"]).set_index("score"))
    else:
        by_words.warning("No document shares a word with the query: keyword search finds nothing.")
    st.caption(f"Query encoded in {format_seconds(found['query_seconds'])}, "
               f"{format_number(len(index.texts))} documents compared in {format_seconds(found['search_seconds'])}.")


# -- 3 · zero-shot ------------------------------------------------------------------------------------

def zeroshot_ui(encoder, documents) -> None:
    st.markdown("No training: each label becomes a sentence (*This text is about …*), and a text gets the "
                "labels it is closest to in meaning.", help=help_for("zero-shot"))
    raw = st.text_input("Labels, separated by commas", key="meaning_labels")
    try:
        labels = zeroshot.parse_labels(raw)
    except zeroshot.LabelError as err:
        st.error(str(err))
        return
    model = zeroshot.ZeroShot(encoder, labels)
    text = st.text_input("A text to label", key="meaning_zs_text")
    if text.strip():
        p = model.probabilities([text])[0]
        order = np.argsort(p)
        figure = go.Figure(go.Bar(x=p[order], y=[labels[i] for i in order], orientation="h",
                                  text=[format_percent(v) for v in p[order]], textposition="auto"))
        figure.update_layout(height=60 + 28 * len(labels), margin=dict(l=10, r=10, t=10, b=10),
                             xaxis=dict(range=[0, 1], tickformat=".0%", title="probability"))
        st.plotly_chart(figure, width="stretch")
    if st.button(f"Label all {format_number(len(documents))} documents", key="meaning_zs_batch"):
        bar = st.progress(0.0, text="Labelling…")
        table = model.label_table(documents.texts, progress=lambda f, m: bar.progress(f, text=m))
        bar.empty()
        st.session_state["meaning_zs_table"] = (tuple(labels), documents.name, table)
    kept = st.session_state.get("meaning_zs_table")
    if kept and kept[0] == tuple(labels) and kept[1] == documents.name:
        table = kept[2]
        shown = table.copy()
        for column in shown.columns[2:]:
            shown[column] = shown[column].map(format_percent)
        st.dataframe(shown, hide_index=True, width="stretch", height=260)
        st.download_button("Download the labels (CSV)", table.to_csv(index=False).encode("utf-8"),
                           "zero_shot_labels.csv", "text/csv", key="meaning_zs_download")


# -- 4 · few-shot -------------------------------------------------------------------------------------

FS_RUN = "meaning_fs_run"   # (document set name, run id) of the head taught in this session


def fewshot_ui(encoder, documents, index) -> None:
    st.markdown("Teach labels from examples: a small Keras layer learns on top of the frozen encoder, "
                "trained by the studio's runner with live curves (it also appears in **Runs**), then labels "
                "new texts at once. A learning curve shows how few examples it needs compared with a network "
                "trained from scratch on the same texts.", help=help_for("few-shot"))
    if not documents.labels:
        st.info("These documents have no labels. Pick the bundled help desk, or a CSV with a label column.")
        return
    try:
        fewshot.check_examples(documents.labels, minimum=2)
    except fewshot.FewShotError as err:
        st.error(str(err))
        return
    teach_ui(documents)
    taught_ui(documents)
    curve_ui(documents, index)


def _dataset_key(documents) -> str:
    """The runner's dataset for these documents: the bundled help desk (its held-out split keeps every
    copy of a message on one side), else the texts imported once as an upload of this session."""
    if documents.name == docs_mod.support_documents().name:
        return fewshot.DATASET
    import hashlib

    from core.data import uploads
    digest = hashlib.sha1(repr((documents.texts, documents.labels)).encode()).hexdigest()
    kept = st.session_state.get("meaning_fs_upload")
    if not kept or kept[0] != digest:
        frame = pd.DataFrame({"text": documents.texts, "label": documents.labels})
        report = uploads.import_text_csv(frame, "text", "label", title=documents.name)
        kept = (digest, report.dataset_key)
        st.session_state["meaning_fs_upload"] = kept
    return kept[1]


def teach_ui(documents) -> None:
    """The button that launches the head as a run, and that run's live panel (progress, Stop, curves)."""
    from core.data import DataError
    from pages.common import start_run_ui, run_panel_ui
    epochs = st.slider("Epochs", 5, 100, 30, key="meaning_fs_epochs", help=help_for("epoch"))
    if st.button("Teach the labels", key="meaning_fs_train", type="primary"):
        try:
            dataset = _dataset_key(documents)
        except DataError as err:
            st.error(f"These documents cannot be taught: {err}")
            return
        from core.inference import fitting_batch_size
        # The help desk dresses every message three times: a random validation cut would hold copies of
        # training messages (a curve near 100 %), so its run keeps none; its test side holds whole messages.
        config = fewshot.run_config(dataset, f"Meaning: {documents.name} (MiniLM + head)", epochs=int(epochs),
                                    validation_split=0.0 if dataset == fewshot.DATASET else 0.2)
        config.batch_size, note = fitting_batch_size(dataset, None, config.validation_split, config.batch_size)
        if note:
            st.info(note, icon="ℹ️")
        start_run_ui(config, "meaning_fs_launched")
        if st.session_state.get("meaning_fs_launched"):
            st.session_state[FS_RUN] = (documents.name, st.session_state.pop("meaning_fs_launched"))
    kept = st.session_state.get(FS_RUN)
    if kept and kept[0] == documents.name:
        if documents.name == docs_mod.support_documents().name:
            st.caption("The help desk repeats each message in three dressings, so this run keeps no validation "
                       "examples (they would be copies of training ones); its test set holds messages it never saw.")
        run_panel_ui(kept[1])


def taught_ui(documents) -> None:
    """Once the run has finished: its head labels a new text, and every document, at once."""
    from pages.common import get_store, load_classifier
    kept = st.session_state.get(FS_RUN)
    run = get_store().get_run(kept[1]) if kept and kept[0] == documents.name else None
    if run is None or run.status not in ("completed", "stopped") or not run.model_path.exists():
        return
    classifier = load_classifier(f"run:{run.id}", "Loading the taught head…")
    st.caption(f"Taught: **{run.name}**. It is also in the Text Lab's model picker.")
    text = st.text_input("Try it on a new text", key="meaning_fs_text")
    if text.strip():
        prediction = classifier.predict(text)
        best, p = prediction.top[0]
        st.success(f"**{best}** · {format_percent(p)}")
    if st.button(f"Label all {format_number(len(documents))} documents with it", key="meaning_fs_batch"):
        p = classifier.predict_batch(documents.texts)
        table = pd.DataFrame({"document": documents.texts, "given label": documents.labels,
                              "taught label": [classifier.class_names[i] for i in p.argmax(1)],
                              "confidence": [format_percent(v) for v in p.max(1)]})
        agree = (table["given label"] == table["taught label"]).mean()
        st.caption(f"It agrees with the given labels on {format_percent(agree)} of the documents "
                   "(most of them it was taught on: the run's test accuracy above is the fair figure).")
        st.dataframe(table, hide_index=True, width="stretch", height=260)


def curve_ui(documents, index) -> None:
    st.markdown("**Learning curve**: both models are trained on 2, 4, 8, 16, 32 and all examples per label "
                "and scored on the same held-out documents.", help=help_for("learning curve"))
    if st.button("Measure the learning curve", key="meaning_curve"):
        with st.spinner("Training both models at every point (a few seconds each)…"):
            measured = _learning_curve(search.index_key(documents.texts), tuple(documents.labels),
                                       tuple(documents.groups or ()), documents.texts, index.vectors)
        st.session_state["meaning_curve_points"] = (documents.name, *measured)
    curve = st.session_state.get("meaning_curve_points")
    if curve and curve[0] == documents.name:
        learning_curve_ui(curve[1], curve[2], curve[3])


@st.cache_data(show_spinner=False, max_entries=4)
def _learning_curve(key: str, labels: tuple, groups: tuple, _texts, _vectors):
    """Measured once per document set and labels in this process (about 12 fits on 2 cores); with the
    seconds the measurement took (a second visit shows them too, not the cache's milliseconds)."""
    import time
    started = time.perf_counter()
    points, n_test = fewshot.learning_curve(_texts, list(labels), _vectors, list(groups) or None)
    return points, n_test, time.perf_counter() - started


def learning_curve_ui(points, n_test: int, seconds: float | None = None) -> None:
    x = [p.shots for p in points]
    figure = go.Figure([
        go.Scatter(x=x, y=[p.pretrained for p in points], mode="lines+markers+text", name="pretrained encoder + head",
                   text=[format_percent(p.pretrained, 0) for p in points], textposition="top center"),
        go.Scatter(x=x, y=[p.from_scratch for p in points], mode="lines+markers+text",
                   name="from scratch (the Text Lab's bag-of-words network)",
                   text=[format_percent(p.from_scratch, 0) for p in points], textposition="bottom center"),
    ])
    figure.update_layout(height=340, xaxis=dict(type="category", title="examples per label"),  # "all" too
                         yaxis=dict(range=[0, 1.08], tickformat=".0%", title="test accuracy"),
                         margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=-0.25))
    st.plotly_chart(figure, width="stretch")
    took = f" Measured in {format_seconds(seconds)}." if seconds else ""
    st.caption(f"Accuracy on the same {format_number(n_test)} held-out documents for every point "
               f"(\"all\": {format_number(points[-1].examples)} training examples).{took}")


# -- 5 · map ------------------------------------------------------------------------------------------

def point_picker_ui(clicked: int | None, count: int, key: str, label: str, format_func) -> int:
    """The box that picks a point of a map: a new click on the map picks that point in it (once:
    the box stays the user's after); a pick left from a larger set is dropped."""
    if clicked is not None and clicked != st.session_state.get(f"{key}_clicked"):
        st.session_state[f"{key}_clicked"] = clicked
        st.session_state[f"{key}_pick"] = clicked
    if st.session_state.get(f"{key}_pick", 0) >= count:
        st.session_state.pop(f"{key}_pick")
    return st.selectbox(label, range(count), format_func=format_func, key=f"{key}_pick")


def map_ui(documents, index, encoder_key: str = enc.KEY) -> None:
    left, right = st.columns(2)
    method = left.radio("Projection", ["pca", "tsne"], horizontal=True, key="meaning_map_method",
                        format_func={"pca": "PCA (fast)", "tsne": "t-SNE (keeps neighbours together)"}.get,
                        help=help_for("t-sne"))
    colour_options = (["label"] if documents.labels else []) + ["cluster"]
    colour = right.radio("Colour by", colour_options, horizontal=True, key="meaning_map_colour")
    coordinates = _projection(search.index_key(documents.texts, encoder_key), index.vectors, method)
    groups = (documents.labels if colour == "label"
              else [f"cluster {c + 1}" for c in maps.clusters(index.vectors)])
    frame = pd.DataFrame({"x": coordinates[:, 0], "y": coordinates[:, 1], "group": groups,
                          "row": np.arange(len(documents)),
                          "document": [t if len(t) <= 90 else t[:89] + "…" for t in documents.texts]})
    figure = px.scatter(frame, "x", "y", color="group", custom_data=["row"],
                        hover_data={"document": True, "x": False, "y": False, "row": False}, height=440)
    figure.update_layout(xaxis_title="", yaxis_title="", margin=dict(l=10, r=10, t=10, b=10))
    event = st.plotly_chart(figure, width="stretch", on_select="rerun", selection_mode="points",
                            key="meaning_map_chart")
    picked = point_picker_ui(_clicked_row(event), len(documents), "meaning_map",
                             "Pick a document (or click a point) to see its nearest neighbours",
                             lambda i: documents.texts[i][:100])
    near = maps.neighbours(index.vectors, int(picked), k=5)
    st.dataframe(pd.DataFrame({"similarity": [format_number(s) for _, s in near],
                               "document": [documents.texts[i] for i, _ in near]}),
                 hide_index=True, width="stretch")


def _clicked_row(event):
    """The document of the first point selected on the map (None when none is)."""
    try:
        points = event.selection.points if event else []
        return int(points[0]["customdata"][0]) if points else None
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        return None


@st.cache_data(show_spinner="Drawing the map…", max_entries=8)
def _projection(key: str, _vectors, method: str):
    return maps.project(_vectors, method)


# -- 5 · map of images ----------------------------------------------------------------------------

IMAGES_STATE = "meaning_images"


def map_tab_ui(documents, index, encoder_key: str = enc.KEY) -> None:
    """The map of the documents above, or of a zip of images (EfficientNet-Lite0's view of them)."""
    what = st.radio("What to map", ["texts", "images"], horizontal=True, key="meaning_map_what",
                    format_func={"texts": "📝 These documents", "images": "🖼️ A zip of images"}.get)
    if what == "texts":
        map_ui(documents, index, encoder_key)
    else:
        image_map_ui()


def image_map_ui() -> None:
    st.markdown("Each image becomes EfficientNet-Lite0's **1,280-number summary** of what it sees (the layer "
                "just before its ImageNet classes), and images that look alike land close together. Colour is "
                "the folder each image came from, so a misfiled or unusual image stands out among its "
                "neighbours.", help=help_for("embedding"))
    images = image_source_ui()
    if images is None:
        return
    vectors = image_vectors_ui(images)
    method = st.radio("Projection", ["pca", "tsne"], horizontal=True, key="meaning_imgmap_method",
                      format_func={"pca": "PCA (fast)", "tsne": "t-SNE (keeps neighbours together)"}.get,
                      help=help_for("t-sne"))
    odd = image_map.odd_ones_out(vectors, images.labels)
    clicked = image_scatter_ui(images, vectors, method, {o.index for o in odd})
    picked = point_picker_ui(clicked, len(images), "meaning_imgmap",
                             "Pick an image (or click a point) to see its nearest neighbours",
                             lambda i: f"{images.files[i]} ({images.labels[i]})")
    image_neighbours_ui(images, vectors, int(picked))
    odd_ones_ui(images, vectors, odd)


def image_source_ui():
    """The bundled example or the user's zip; the images stay in the session until others are picked."""
    left, right = st.columns([1, 2])
    if left.button("Use the example: trousers, sneakers and bags", key="meaning_imgmap_example",
                   help="50 Fashion-MNIST pictures in three folders; two are in the wrong folder on purpose."):
        st.session_state[IMAGES_STATE] = image_map.example_images()
        st.session_state.pop("meaning_image_zip_error", None)
    file = limited_uploader(f"A zip of images, one folder per label (up to {format_number(image_map.MAX_IMAGES)} "
                            "images)", "images zip", container=right, type=["zip"], key="meaning_image_zip")
    use_new_file_ui(file, "meaning_image_zip", _use_image_zip, limit="images zip", forget=IMAGES_STATE)
    images = st.session_state.get(IMAGES_STATE)
    if images is None:
        st.info("Use the example, or upload a zip with one folder per label (cats/1.jpg, dogs/1.jpg …).")
        return None
    counts = pd.Series(images.labels).value_counts()
    st.caption(f"**{shown_name(images.name)}**: {format_number(len(images))} images, "
               f"{format_number(len(counts))} labels (" + ", ".join(f"{k} {format_number(v)}" for k, v in counts.items())
               + ").")
    for note in images.notes:
        st.warning(note)
    return images


def _use_image_zip(name: str, data: bytes):
    st.session_state.pop(IMAGES_STATE, None)
    try:
        st.session_state[IMAGES_STATE] = image_map.read_image_zip(data, name)
    except DataError as err:
        return f"**{name}** cannot be mapped: {err}"
    return None


def image_vectors_ui(images):
    """The images' vectors, from the same cached EfficientNet-Lite0 as the Image Lab (no second copy)."""
    key = hashlib.sha1(images.pixels.tobytes()).hexdigest()
    cached = st.session_state.get("meaning_image_vectors")
    if cached and cached[0] == key:
        return cached[1]
    classifier = load_classifier(image_map.BACKBONE, "Preparing EfficientNet-Lite0…")
    bar = st.progress(0.0, text="Embedding the images…")
    start = time.perf_counter()
    vectors = image_map.embed(classifier, images.pixels, progress=lambda f, m: bar.progress(f, text=m))
    bar.empty()
    st.session_state["meaning_image_vectors"] = (key, vectors)
    st.caption(f"{format_number(len(images))} images embedded in {format_seconds(time.perf_counter() - start)}.")
    return vectors


def image_scatter_ui(images, vectors, method: str, odd: set):
    """The scatter (hover: file name and label; odd ones out drawn as crosses); the clicked image or None."""
    coordinates = _projection(hashlib.sha1(vectors.tobytes()).hexdigest(), vectors, method)
    frame = pd.DataFrame({"x": coordinates[:, 0], "y": coordinates[:, 1], "label": images.labels,
                          "file": images.files, "row": np.arange(len(images)),
                          "shape": ["odd one out" if i in odd else "fits in" for i in range(len(images))]})
    figure = px.scatter(frame, "x", "y", color="label", symbol="shape", custom_data=["row"],
                        color_discrete_sequence=px.colors.qualitative.D3,  # distinct hues, not shades of one
                        symbol_map={"fits in": "circle", "odd one out": "x"},
                        hover_data={"file": True, "label": True, "shape": False, "x": False, "y": False, "row": False},
                        height=440)
    figure.update_traces(marker=dict(size=10))
    figure.update_layout(xaxis_title="", yaxis_title="", margin=dict(l=10, r=10, t=10, b=10), legend_title_text="")
    event = st.plotly_chart(figure, width="stretch", on_select="rerun", selection_mode="points",
                            key="meaning_imgmap_chart")
    return _clicked_row(event)


def image_neighbours_ui(images, vectors, picked: int) -> None:
    near = image_map.nearest(vectors, picked)
    columns = st.columns(len(near) + 1)
    columns[0].image(images.thumbnail(picked), caption=f"{images.labels[picked]} · picked", width=96)
    for column, (i, score) in zip(columns[1:], near):
        column.image(images.thumbnail(i), caption=f"{images.labels[i]} · {format_number(score)}", width=96)
    st.caption("The picked image, then its nearest neighbours: their label and cosine similarity "
               "(1 would be the very same summary).", help=help_for("cosine similarity"))


def odd_ones_ui(images, vectors, odd) -> None:
    st.markdown(f"**Odd ones out**: images most of whose {format_number(image_map.NEIGHBOURS)} nearest "
                "neighbours carry another label (misfiled, or unusual for their label).")
    if not odd:
        st.success("None: every image's nearest neighbours mostly share its label.")
        return
    for o in odd[:20]:
        picture, words = st.columns([1, 6])
        picture.image(images.thumbnail(o.index), width=72)
        words.markdown(f"**{shown_name(images.files[o.index])}** is in **{images.labels[o.index]}**, but "
                       f"{format_number(o.others)} of its {format_number(o.neighbours)} nearest neighbours are "
                       f"not: most of them are **{o.looks_like}**.")
    if len(odd) > 20:
        st.caption(f"… and {format_number(len(odd) - 20)} more.")


# What the text boxes start with: keep_settings hands them (then the last ones typed) to the boxes,
# so coming back shows the query beside its answers instead of the default query.
SETTINGS = {"meaning_query": DEFAULT_QUERY, "meaning_labels": DEFAULT_LABELS,
            "meaning_zs_text": "I was billed twice for one order", "meaning_fs_text": "Can I send the shoes back?"}


def main() -> None:
    page_setup()
    keep_settings(SETTINGS)
    intro_ui()
    encoder = encoder_ui()
    documents = documents_ui()
    if documents is None:
        return
    index, keyword = index_ui(encoder, documents)
    # A key keeps the open tab when what is drawn above it changes (the index caption of a first visit).
    tabs = st.tabs(["🔎 Search", "🏷️ Zero-shot labels", "🎓 Few-shot labels", "🗺️ Map"], key="meaning_tabs")
    with tabs[0]:
        search_ui(encoder, index, keyword)
    with tabs[1]:
        zeroshot_ui(encoder, documents)
    with tabs[2]:
        if _encoder_key(encoder) == enc.KEY:
            fewshot_ui(encoder, documents, index)
        else:  # the runner trains the head on MiniLM's vectors (core/meaning/fewshot.py)
            st.info("Few-shot teaching runs on all-MiniLM-L6-v2: pick it as the sentence encoder above.")
    with tabs[3]:
        map_tab_ui(documents, index, _encoder_key(encoder))


main()
