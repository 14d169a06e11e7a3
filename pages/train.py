"""Train: pick data, a network and an optimizer, launch, and watch it learn live."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import streamlit as st

from core import charts, paths
from core.data import CHAT, DATASETS, DataError, dataset_title, load_dataset, uploads
from core.modalities import modality_of
from core.models import ARCHITECTURES
from core.optim import OPTIMIZERS, SCHEDULES
from core.params import ConfigError
from core.training.config import LOSSES, RunConfig
from pages.common import csv_columns_ui as shared_csv_columns_ui
from pages.common import (
    help_for,
    limited_uploader,
    over_limit,
    page_setup,
    param_widget,
    run_panel_ui,
    skipped_ui,
    start_run_ui,
)

SAMPLES = paths.ASSETS_DIR / "samples"


def intro_ui():
    st.title("🏋️ Train a model")
    st.markdown("Choose **data**, a **network** and an **optimizer**, then press **Launch**. "
                "Training runs in the background: the curves below update every second, and "
                "you can stop it at any moment. Every run is kept on the *Runs* page.")


# -- 1. data --------------------------------------------------------------------------------------

def dataset_ui() -> tuple[str, dict] | None:
    st.subheader("1 · Data")
    source = st.segmented_control("Source", ["Bundled datasets", "Your own data"],
                                  default="Bundled datasets", key="data_source")
    if source == "Your own data":
        return upload_ui()
    key = st.selectbox("Dataset", list(DATASETS), format_func=lambda k: DATASETS[k].title,
                       key="dataset")
    spec = DATASETS[key]
    st.caption(spec.description)
    params = {}
    if spec.params:
        cols = st.columns(len(spec.params))
        for col, (name, param) in zip(cols, spec.params.items()):
            with col:
                params[name] = param_widget(name, param, key=f"ds-{key}-{name}")
    return key, params


def upload_ui() -> tuple[str, dict] | None:
    images_tab, texts_tab, pairs_tab = st.tabs(["🖼️ Images (zip of class folders)", "📝 Texts (CSV)",
                                                "💬 Prompts and answers (CSV or JSONL)"])
    with images_tab:
        st.markdown("A **.zip** with one folder per class: `cats/1.jpg`, `cats/2.jpg`, `dogs/1.jpg` … "
                    "Images are resized to a square; files that are not images are skipped and counted.")
        size = st.select_slider("Image size (pixels)", [16, 24, 32, 48, 64], value=32, key="zip_size")
        uploaded = limited_uploader("Zip of class folders", "images zip", type=["zip"], key="zip_upload")
        if uploaded is not None:
            _import_once(uploaded.file_id, lambda: uploads.import_image_zip(
                uploaded.getvalue(), title=uploaded.name.rsplit(".", 1)[0], image_size=size),
                too_large=over_limit(uploaded, "images zip"))
        if st.button("Use the sample: 120 drawn shapes (circle, square, triangle)", key="sample_zip"):
            _import_once("sample-zip", lambda: uploads.import_image_zip(
                (SAMPLES / "shapes.zip").read_bytes(), title="Sample shapes", image_size=size), force=True)
    with texts_tab:
        st.markdown("A **.csv** (any common encoding) with a header row, a text column and a label column.")
        uploaded = limited_uploader("CSV of texts and labels", "csv to learn from", type=["csv"], key="csv_upload")
        if st.button("Use the sample: 150 short product reviews (positive / negative)", key="sample_csv"):
            st.session_state["csv_bytes"] = ("sample", "Sample reviews", (SAMPLES / "reviews.csv").read_bytes())
        elif uploaded is not None and uploaded.file_id != st.session_state.get("csv_seen"):
            # Only a *new* upload replaces the current CSV (not every rerun with the file still there).
            st.session_state["csv_seen"] = uploaded.file_id
            st.session_state["csv_bytes"] = (uploaded.file_id, uploaded.name.rsplit(".", 1)[0],
                                             over_limit(uploaded, "csv to learn from") or uploaded.getvalue())
        if "csv_bytes" in st.session_state:
            csv_columns_ui(*st.session_state["csv_bytes"])
    with pairs_tab:
        st.markdown("Examples to **teach the language model** (LoRA): a **prompt** column and a **response** "
                    "column (the answer you want); optional **task** and **split** (`train` / `held-out`).")
        uploaded = limited_uploader("Prompt/response pairs", "csv to learn from", type=["csv", "jsonl", "json"],
                                    key="pairs_upload")
        if uploaded is not None:
            def import_pairs():
                report, notes = uploads.import_pairs(uploaded.getvalue(), uploaded.name,
                                                     title=uploaded.name.rsplit(".", 1)[0])
                st.session_state["pairs_notes"] = (uploaded.file_id, notes)  # how it was read, said below
                return report
            _import_once(uploaded.file_id, import_pairs, too_large=over_limit(uploaded, "csv to learn from"))
            file_id, notes = st.session_state.get("pairs_notes", (None, []))
            for note in notes if file_id == uploaded.file_id else []:
                st.caption(note)
    return stored_upload_ui()


def csv_columns_ui(file_id: str, title: str, data: bytes | str) -> None:
    picked = shared_csv_columns_ui(title, data, f"c-{file_id}")  # read it, say how, pick the columns
    if picked is None:
        return
    frame, text_col, label_col = picked
    st.dataframe(frame.head(5), hide_index=True)
    if st.button(f"Import {len(frame):,} rows", key=f"import-{file_id}", type="primary"):
        _import_once(f"{file_id}-{text_col}-{label_col}",
                     lambda: uploads.import_text_csv(frame, text_col, label_col, title=title), force=True)


def _import_once(token: str, do_import, force: bool = False, too_large: str | None = None) -> None:
    """Import an upload once per file (reruns must not import it again), and report the outcome.
    `too_large`: why the file is over its widget's limit (then it is not read at all)."""
    done = st.session_state.setdefault("imported", {})
    if too_large:
        done[token] = ("error", too_large)
    elif token not in done or force:
        try:
            with st.spinner("Checking and converting your data…"):
                report = do_import()
            done[token] = ("ok", report)
            st.session_state["upload_select"] = report.dataset_key  # select what was just imported
        except DataError as err:
            done[token] = ("error", str(err))
    outcome, detail = done[token]
    if outcome == "error":
        st.error(f"Could not use this file. {detail}")
    else:
        st.success(f"Imported **{detail.title}**: {sum(detail.class_counts.values()):,} examples in "
                   f"{len(detail.class_counts)} classes.")
        skipped_ui(detail.skipped)


def stored_upload_ui() -> tuple[str, dict] | None:
    stored = uploads.list_uploads()
    if not stored:
        st.info("No uploaded data yet: upload a file above, or use a sample.")
        return None
    keys = [uploads.UPLOAD_PREFIX + m["id"] for m in stored]
    titles = {uploads.UPLOAD_PREFIX + m["id"]: f"{m['title']} ({m['kind']}, "
              f"{sum(m['class_counts'].values()):,} examples, {len(m['class_names'])} classes)" for m in stored}
    if st.session_state.get("upload_select") not in keys:
        st.session_state.pop("upload_select", None)  # e.g. an upload deleted meanwhile
    key = st.selectbox("Train on", keys, format_func=titles.get, key="upload_select")
    kind = next(m["kind"] for m in stored if uploads.UPLOAD_PREFIX + m["id"] == key)
    # The settings an upload of this kind takes (texts: words or characters as tokens).
    return key, {name: param_widget(name, param, key=f"upload_{name}")
                 for name, param in modality_of(kind).upload_params().items()}


def preview_ui(key: str, params: dict):
    try:
        with st.spinner("Loading the data…"):
            data = load_dataset(key, params)
    except DataError as err:
        st.error(str(err))
        return None
    for note in data.notes:
        st.caption(note)
    if data.kind == CHAT:  # prompts and answers: they are read, not drawn
        from pages import llm_teaching
        llm_teaching.preview_ui(key, data)
        return data
    left, right = st.columns([3, 2])
    with left:
        rng = np.random.default_rng(0)
        # 16 examples: from an image upload (a memmap on disk) only these 16 images are read.
        pick = np.sort(rng.choice(len(data.x), size=min(16, len(data.x)), replace=False))
        titles = [data.class_names[i] for i in data.y[pick]]
        modality = modality_of(data.kind)
        figure = modality.preview_figure(data.x[pick], titles, data.x, [data.class_names[i] for i in data.y])
        if figure is not None:
            st.plotly_chart(figure, key="preview")
        else:
            st.dataframe({"text": data.x[pick], "label": titles}, hide_index=True)
    with right:
        st.plotly_chart(charts.class_counts_figure(data.class_counts()), key="counts")
        st.caption(f"{len(data.x):,} training-pool examples · {len(data.x_test):,} test examples · "
                   f"{data.num_classes} classes · input {modality_of(data.kind).shape_label(data.input_shape)}")
    return data


# -- 2. model -------------------------------------------------------------------------------------

def architecture_ui(kind: str) -> tuple[str, dict]:
    st.subheader("2 · Network")
    fitting = [k for k, a in ARCHITECTURES.items() if kind in a.supports and a.task == "classification"]
    key = st.selectbox("Architecture", fitting, format_func=lambda k: ARCHITECTURES[k].title, key="arch")
    st.caption(ARCHITECTURES[key].description)
    params = {}
    knobs = {n: p for n, p in ARCHITECTURES[key].params.items() if modality_of(kind).tokens or n != "embedding_dim"}
    cols = st.columns(3)
    for i, (name, param) in enumerate(knobs.items()):
        with cols[i % 3]:
            params[name] = param_widget(name, param, key=f"arch-{key}-{name}")
    return key, params


@st.cache_data(show_spinner=False, max_entries=32)
def _summary(config_json: str):
    from core.training.summary import summarize
    summary = summarize(RunConfig.from_dict(json.loads(config_json)))
    return summary.layers, summary.parameters


def layer_table_ui(config: RunConfig) -> None:
    try:
        with st.spinner("Building the network to describe it (the first time loads TensorFlow)…"):
            layers, parameters = _summary(config.to_json())
    except (ConfigError, DataError, ValueError) as err:
        st.error(f"This network cannot be built with these settings: {err}")
        return
    with st.expander(f"Layers · {parameters:,} trainable parameters", expanded=False):
        st.dataframe(layers, hide_index=True)


# -- 3. optimizer and training --------------------------------------------------------------------

def optimizer_ui() -> dict:
    st.subheader("3 · Optimizer and training")
    left, right = st.columns(2)
    with left:
        key = st.selectbox("Optimizer", list(OPTIMIZERS), index=list(OPTIMIZERS).index("adam"),
                           format_func=lambda k: OPTIMIZERS[k].title, key="optimizer", help=help_for("optimizer"))
        st.code(OPTIMIZERS[key].rule, language=None, wrap_lines=True)
        params = {name: param_widget(name, p, key=f"opt-{key}-{name}")
                  for name, p in OPTIMIZERS[key].params.items()}
        learning_rate = st.number_input("Learning rate α", value=0.001, format="%g", step=0.0005,
                                        key="lr", help=help_for("learning rate"))
        schedule = st.selectbox("Learning-rate schedule", list(SCHEDULES), key="schedule",
                                help=help_for("schedule") + "\n\n" + "\n\n".join(SCHEDULES.values()))
    with right:
        epochs = st.number_input("Epochs", value=10, step=1, key="epochs", help=help_for("epoch"))
        batch_size = st.number_input("Batch size", value=64, step=1, key="batch_size",
                                     disabled=OPTIMIZERS[key].full_batch,
                                     help=help_for("batch size"))
        if OPTIMIZERS[key].full_batch:
            st.caption("Full-batch gradient descent uses the whole training set for every step.")
        validation_split = st.slider("Validation split", 0.0, 0.5, 0.2, 0.05, key="val_split",
                                     help=help_for("validation split"))
        loss = st.selectbox("Loss", list(LOSSES), format_func=LOSSES.get, key="loss", help=help_for("loss"))
        seed = st.number_input("Seed", value=0, step=1, key="seed", help="Same seed, same run.")
    return dict(optimizer=key, optimizer_params=params, learning_rate=learning_rate, schedule=schedule,
                epochs=epochs, batch_size=batch_size, validation_split=validation_split, loss=loss, seed=seed,
                **hardware_ui())


@st.cache_resource
def _gpus() -> list[str]:
    from core.training.distributed import visible_gpus
    return visible_gpus()


def hardware_ui() -> dict:
    from core.training.distributed import (
        DISTRIBUTIONS,
        cluster_from_env,
        describe_choice,
    )
    gpus = _gpus()
    with st.expander("Where it trains: " + (f"{len(gpus)} GPU(s)" if gpus else "CPU")):
        distribution = st.selectbox("Devices", list(DISTRIBUTIONS), format_func=DISTRIBUTIONS.get,
                                    key="distribution")
        try:
            cluster = cluster_from_env()
        except ValueError as err:
            st.error(str(err))
            cluster = None
        st.caption(describe_choice(distribution, len(gpus), cluster)
                   + " Several machines: see *Training on a cluster* in the README.")
        mixed = st.toggle("Mixed precision (float16 maths, float32 weights)", key="mixed_precision",
                          disabled=not gpus,
                          help="About twice as fast on recent GPUs, same accuracy in most cases. "
                               "Needs a GPU: on a CPU, float16 is slower.")
        if not gpus:
            st.caption("Mixed precision needs a GPU; none is visible here.")
    return dict(distribution=distribution, mixed_precision=bool(mixed))


# -- 4. launch and watch --------------------------------------------------------------------------

def run_name_ui(config: RunConfig) -> str:
    """The run's name: the suggestion is the field's value (editable), and the one stored.

    The suggestion follows the network and data while the person has not typed a name of their
    own; a name they typed stays; an emptied field falls back to the suggestion."""
    suggested = f"{ARCHITECTURES[config.architecture].title} on {dataset_title(config.dataset)}"
    if st.session_state.get("run_name", "").strip() in ("", st.session_state.get("run_name_suggested")):
        st.session_state["run_name"] = suggested
    st.session_state["run_name_suggested"] = suggested
    name = st.text_input("Run name", key="run_name", help="How the run is listed on the Runs page.")
    return name.strip() or suggested


def launch_ui(config: RunConfig) -> None:
    st.subheader("4 · Launch")
    name = run_name_ui(config)
    if not st.button("🚀 Launch", type="primary", key="launch"):
        return
    from core.inference import fitting_batch_size
    config = dataclasses.replace(config, name=name)
    if not OPTIMIZERS[config.optimizer].full_batch:  # a small upload trains on all it has, as the labs do
        batch_size, note = fitting_batch_size(config.dataset, config.dataset_params, config.validation_split,
                                              config.batch_size)
        config = dataclasses.replace(config, batch_size=batch_size)
        if note:
            st.info(note)
    start_run_ui(config, "run_id")


def current_run_ui() -> None:
    """The run launched from this page in this browser session, and nobody else's (older runs, a
    lab's or another browser's, are on the Runs page)."""
    st.divider()
    run_id = st.session_state.get("run_id")
    if not run_id:
        st.caption("The run you launch appears here, live.")
        st.page_link("pages/runs.py", label="Earlier runs are on the Runs page", icon="📈")
        return
    st.subheader("Current run")
    run_panel_ui(run_id)


def teach_llm_ui(dataset: str) -> None:
    """Prompt/response pairs teach the pretrained language model (LoRA), not a network from scratch."""
    from pages import llm_teaching
    st.subheader("2 · Teach the language model (LoRA fine-tuning)")
    st.caption(ARCHITECTURES[llm_teaching.ARCHITECTURE].description)
    settings = llm_teaching.settings_ui("train")
    st.subheader("3 · Launch")
    run_id = llm_teaching.launch_ui("train", llm_teaching.config_for(dataset, settings))
    if run_id:
        st.session_state["run_id"] = run_id


def main():
    page_setup()
    intro_ui()
    chosen = dataset_ui()
    data = preview_ui(*chosen) if chosen else None
    if data is not None and data.kind == CHAT:
        teach_llm_ui(chosen[0])
        data = None  # no network, optimizer or launch of a classifier below
    if data is not None:
        arch, arch_params = architecture_ui(data.kind)
        model = RunConfig(dataset=chosen[0], dataset_params=chosen[1], architecture=arch,
                          arch_params=arch_params)
        layer_table_ui(model)
        settings = optimizer_ui()
        launch_box = st.container()
    # The run panel's slot, placed before the launch runs: on the run of a Launch click it is
    # emptied at once, so the previous run's panel ("Epoch 30/30") is not shown while the new run
    # is checked and started; on other reruns it is a plain container (no redraw, no flicker).
    panel = st.empty() if st.session_state.get("launch") else st.container()
    if data is not None:
        with launch_box:
            launch_ui(dataclasses.replace(model, **settings))
    with panel.container() if st.session_state.get("launch") else panel:
        current_run_ui()


main()
