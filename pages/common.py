"""Streamlit pieces shared by several pages (not a page itself: app.py lists the pages)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from core import paths
from core.formatting import (  # noqa: F401 - re-exported: pages format through these
    format_bytes, format_metric, format_number, format_percent, format_seconds, metric_label)
from core.glossary import help_for  # noqa: F401 - re-exported for pages
from core.params import Param
from core.runs import ACTIVE_STATUSES, Run, RunStore

APP_NAVIGATION_FLAG = "_app_navigation"  # set by app.py on every run
STATUS_BADGES = {
    "queued": ("⏳", "gray"), "running": ("▶️", "blue"), "completed": ("✅", "green"),
    "stopped": ("⏹️", "orange"), "failed": ("❌", "red"), "interrupted": ("⚠️", "red"),
}


def page_setup() -> None:
    """Call first in every page: make sure the page runs inside app.py's navigation.

    Streamlit keeps its legacy "pages/ folder" mode on until the first `st.navigation` call, so a
    deep link (say /train) opened on a freshly started server runs the page file alone, without
    app.py: wrong sidebar, no wide layout. Then switch that mode off and rerun, once, through app.py.
    """
    if st.session_state.get(APP_NAVIGATION_FLAG) or st.session_state.get("_navigation_retried"):
        return
    from streamlit.runtime.pages_manager import PagesManager
    st.session_state["_navigation_retried"] = True
    PagesManager.uses_pages_directory = False
    st.rerun()


def keep_settings(defaults: dict) -> None:
    """Call at the top of a settings page: its widgets keep their values when the page is left.

    Streamlit drops a widget's value once a run does not draw it (any other page), so coming back
    showed the defaults beside results of other settings. Each value is copied under a key of its
    own, which Streamlit keeps, and handed back to its widget. The widgets then take no default
    argument (`defaults` gives it): a widget with both logs a warning."""
    for key, default in defaults.items():
        kept = f"_kept-{key}"
        if key in st.session_state:
            st.session_state[kept] = st.session_state[key]
        st.session_state[key] = st.session_state.get(kept, default)


def get_store() -> RunStore:
    """The run store of the current data directory (one connection pool per directory)."""
    return _store(str(paths.data_dir()))


@st.cache_resource
def _store(data_dir: str) -> RunStore:
    return RunStore()


def status_badge(status: str) -> None:
    icon, color = STATUS_BADGES.get(status, ("", "gray"))
    st.badge(status, icon=icon, color=color)


def param_widget(name: str, spec: Param, key: str):
    """One widget for one registry knob, chosen by its type and range.

    Its help is the knob's own, else the glossary's for its label (β₂, glorot...): no jargon on
    screen without a plain-words sentence behind the ⓘ."""
    help_text = spec.help or help_for(spec.label) or None
    if spec.choices is not None:
        return st.selectbox(spec.label, spec.choices, index=spec.choices.index(spec.default),
                            key=key, help=help_text)
    if isinstance(spec.default, bool):
        return st.toggle(spec.label, value=spec.default, key=key, help=help_text)
    if isinstance(spec.default, int):
        if spec.min is not None and spec.max is not None and spec.max - spec.min <= 16:
            return st.slider(spec.label, int(spec.min), int(spec.max), spec.default, key=key, help=help_text)
        return st.number_input(spec.label, value=spec.default, step=1, key=key, help=help_text)
    if spec.log_scale:
        options = sorted({spec.default, *[round(10 ** e, 10) for e in range(-6, 0)], 0.0})
        return st.select_slider(spec.label, options, value=spec.default, key=key, help=help_text)
    # As many decimals as the default has (β₂ = 0.999 must not show, or snap to, 1.00).
    decimals = max(2, len(f"{spec.default:.6f}".rstrip("0").split(".")[1]))
    return st.slider(spec.label, float(spec.min), float(spec.max), float(spec.default), key=key,
                     step=10 ** -decimals, format=f"%.{decimals}f", help=help_text)


def progress_ui(run: Run) -> None:
    p = run.progress or {}
    state = p.get("state", run.status)
    if "total_steps" not in p:
        st.progress(0.0, text=f"{state.capitalize()}…")
        return
    fraction = min(1.0, p["step"] / max(1, p["total_steps"]))
    if not run.is_active:
        fraction = 1.0 if run.status == "completed" else fraction
    text = (f"Epoch {min(p['epoch'], p['epochs'])}/{p['epochs']} · step {p['batch']}/{p['steps_per_epoch']}"
            f" · {format_seconds(p.get('elapsed'))} elapsed")
    if run.is_active:
        text += f" · {time_left_text(p)}"
    if state not in ("training",) and run.is_active:
        text += f" · {state}"
    st.progress(fraction, text=text)


def time_left_text(progress: dict) -> str:
    """The time left as the runner measured it (core/training/eta.py: steady step times, validation
    and every remaining epoch); nothing is promised while the first, compiling steps run."""
    eta = progress.get("eta")
    if eta is None:
        return "timing the first steps…"
    text = f"about {format_seconds(max(1.0, eta))} left"
    if progress.get("eta_complete") is False:  # a later stage (fine-tuning) has not been timed yet
        text += " + the fine-tuning stage (timed once it starts)"
    return text


def curves_ui(run: Run, store: RunStore) -> None:
    from core import charts  # Plotly loads on first chart, not with the home page
    metrics = store.metrics(run.id)
    if metrics.empty:
        st.info("The curves appear here as soon as the first batches are done.")
        return
    steps_per_epoch = (run.progress or {}).get("steps_per_epoch")
    left, right = st.columns(2)
    left.plotly_chart(charts.curves_figure(metrics, "loss", steps_per_epoch), key=f"loss-{run.id}")
    right.plotly_chart(charts.curves_figure(metrics, "accuracy", steps_per_epoch), key=f"acc-{run.id}")


def gan_losses_ui(run: Run, store: RunStore) -> None:
    """A GAN's generator and discriminator losses per epoch (it has no accuracy to chart)."""
    from core import charts
    metrics = store.metrics(run.id, "epoch")
    if metrics.empty:
        st.info("The generator's and discriminator's losses appear after the first epoch.")
        return
    st.plotly_chart(charts.gan_losses_figure(metrics), key=f"gan-losses-{run.id}")


def results_ui(run: Run) -> None:
    from core import charts  # Plotly loads on first chart, not with the home page
    r = run.results
    if r and r.get("task") == "finetune-llm":  # before and after on held-out prompts
        from pages import llm_teaching
        llm_teaching.results_ui(run)
        return
    if r and r.get("task") == "gan":  # no test set: what it trained, not a score
        cols = st.columns(3)
        cols[0].metric("Epochs", format_number(r.get("epochs_completed")), help=help_for("epoch"))
        cols[1].metric("Generator parameters", format_number(r.get("parameters")), help=help_for("generator"))
        cols[2].metric("Training time", format_seconds(r.get("fit_seconds")))
        return
    if not r or "test_accuracy" not in r:  # nothing scored (e.g. stopped before its test)
        return
    cols = st.columns(4)
    cols[0].metric("Test accuracy", format_percent(r["test_accuracy"]),
                   help=f"{help_for('test accuracy')} Here: {format_number(r.get('test_examples'))} examples.")
    cols[1].metric("Test loss", format_number(r.get("test_loss")), help=help_for("loss"))
    cols[2].metric("Parameters", format_number(r.get("parameters")), help=help_for("parameters"))
    cols[3].metric("Training time", format_seconds(r.get("fit_seconds")),
                   help=f"{format_number(r.get('samples_per_second'))} examples per second")
    from core.chance import chance_note
    if note := chance_note(r):
        st.warning(note)
    where = r.get("distribution")
    if where and (where.get("replicas", 1) > 1 or where.get("gpus") or where.get("mixed_precision")):
        st.caption(f"Trained with {where['strategy']}: {where['workers']} machine(s), {where['replicas']} "
                   f"model copies, {where['gpus']} GPU(s) here" + (", mixed precision" if where["mixed_precision"] else "")
                   + f". Final weights {r.get('weights_fingerprint', '')}.")
    left, right = st.columns(2)
    left.plotly_chart(charts.per_class_figure(r["per_class_accuracy"], r["class_names"]),
                      key=f"per-class-{run.id}")
    right.plotly_chart(charts.confusion_figure(r["confusion_matrix"], r["class_names"]),
                       key=f"confusion-{run.id}")


def mistakes_ui(run: Run) -> None:
    """A gallery (images) or table (texts) of the test examples the model got most wrong."""
    from core.data import DataError, load_dataset
    from core.modalities import modality_of
    items, r = run.results.get("mistakes"), run.results
    if not items:
        return
    try:
        data = load_dataset(run.config["dataset"], run.config.get("dataset_params"))
    except DataError:
        return  # the data is gone (a deleted upload): nothing to show, nothing to break
    names = r["class_names"]
    modality = modality_of(data.kind)
    with st.expander(f"What it got wrong · {len(items)} of the {r['test_examples']:,} test {modality.noun}, "
                     "most confident mistakes first"):
        shown = items[:24]
        pictures = modality.pictures([data.x_test[m["index"]] for m in shown])
        if pictures is not None:
            st.image(pictures, width=96,
                     caption=[f"{names[m['true']]} → {names[m['predicted']]} ({m['confidence']:.0%})"
                              for m in shown])
        else:  # texts (or table rows): one line each
            st.dataframe([{"input": _shown_input(data.x_test[m["index"]]), "true": names[m["true"]],
                           "predicted": names[m["predicted"]], "confidence": format_percent(m["confidence"], 0)}
                          for m in items], hide_index=True)


def _shown_input(x) -> str:
    """A text as it is; a row of numbers as a short list (one type per column: Arrow needs it)."""
    return x if isinstance(x, str) else ", ".join(format_number(float(v)) for v in np.ravel(x)[:12])


def run_panel_ui(run_id: str) -> None:
    """Status, progress, Stop, live curves and (when done) results of one run.

    While the run is active the panel is a fragment that re-reads the store every second; when
    the run ends it reruns the page once more and stops polling.
    """
    store = get_store()
    run = store.get_run(run_id)
    if run is None:
        st.warning("That run no longer exists (it was deleted).")
        return
    # A fine-tune's steps take seconds, and redrawing its panel every second cost its training a
    # third of the 2 cores (the server and the browser drawing the charts): every 3 s there.
    every = (3.0 if run.config.get("task") == "finetune-llm" else 1.0) if run.is_active else None

    @st.fragment(run_every=every)
    def live():
        current = store.get_run(run_id)
        if current is None:
            return
        head = st.columns([5, 1])
        with head[0]:
            st.markdown(f"**{current.name}** · run `{current.id}`")
            status_badge(current.status)
        if current.is_active and head[1].button("⏹ Stop", key=f"stop-{run_id}", type="primary",
                                                 help="Stops after the current batch."):
            store.request_stop(run_id)
            st.toast("Stopping after the current batch…")
        if current.status == "failed":
            st.error(f"Training failed: {current.error}")
        elif current.status == "interrupted":
            st.warning(f"{current.error} The metrics written before are kept below.")
        if current.status in resumable_statuses(current):
            resume_ui(current, st)  # full width: "Resume from epoch N" must be readable
        progress_ui(current)
        if current.config.get("task") == "gan":  # no accuracy, no validation: its own two losses
            gan_losses_ui(current, store)
        elif current.config.get("task") == "finetune-llm":  # the answers' loss, speed, answers per epoch
            from pages import llm_teaching
            llm_teaching.curves_ui(current, store)
            llm_teaching.answers_ui(current)
        else:
            curves_ui(current, store)
        if every and not current.is_active:
            st.rerun()  # the run just ended: redraw the whole page once, without polling

    live()
    if not run.is_active:
        results_ui(run)
        mistakes_ui(run)


def resumable_statuses(run: Run) -> tuple:
    """The statuses from which this kind of run resumes (core.training.runner says; an odd config: the usual)."""
    from core.training.config import RunConfig
    from core.training.runner import resumable_statuses as statuses
    try:
        return statuses(RunConfig.from_dict(run.config))
    except Exception:  # noqa: BLE001 - an odd config: the usual ones
        return ("failed", "interrupted")


def resume_ui(run: Run, button_place) -> None:
    """An interrupted or failed run with a usable checkpoint: a button that resumes it; a damaged
    checkpoint: why it cannot be. Never raises (the checks read files that may be anything)."""
    from core.data import DataError
    from core.training.checkpoints import ResumeError, read_checkpoint
    from core.training.config import RunConfig
    from core.training.runner import NO_CHECKPOINT, resume, resume_refusal
    try:
        state = read_checkpoint(run.dir)
        refusal = resume_refusal(RunConfig.from_dict(run.config)) if state else None
    except ResumeError as err:
        st.error(str(err))
        return
    except Exception as err:  # noqa: BLE001 - an odd config or an unreadable file: say so, go on
        st.error(f"This run cannot be resumed: {err}")
        return
    if state is None or refusal:
        if run.status == "interrupted":
            st.caption(refusal or NO_CHECKPOINT)
        return
    epochs = run.config.get("epochs", "?")
    steps_per_epoch = (run.progress or {}).get("steps_per_epoch") or 0
    label = (f"▶️ Resume from step {state.step} (in epoch {state.epoch + 1})"
             if steps_per_epoch and state.step > state.epoch * steps_per_epoch else f"▶️ Resume from epoch {state.epoch}")
    if not button_place.button(label, key=f"resume-{run.id}",
                               help=f"Its checkpoint holds {state.epoch} of {epochs} epochs: training goes "
                                    f"on with epoch {state.epoch + 1}, in this same run."):
        return
    try:
        with st.spinner("Checking the checkpoint and starting the runner…"):
            resume(run.id)
    except (ResumeError, DataError) as err:
        st.error(str(err))
        return
    except Exception as err:  # noqa: BLE001
        st.error(f"Could not resume this run: {type(err).__name__}: {err}")
        return
    st.rerun()  # the whole page: the panel polls again while the run trains


def latest_run_id(store: RunStore) -> str | None:
    runs = store.list_runs()
    active = [r for r in runs if r.status in ACTIVE_STATUSES]
    return (active or runs or [None])[0].id if (active or runs) else None


# -- uploads: every widget's own size limit ------------------------------------------------------

# In MB, per file. Each upload widget states its limit in its label and its drop zone, the browser
# refuses a larger file, and the page checks the size again before reading a byte (a client can
# skip the browser's check; the server itself only enforces `server.maxUploadSize` in
# .streamlit/config.toml, which is the largest of these).
UPLOAD_LIMITS_MB = {
    # a clip: 10 minutes of 44.1 kHz stereo WAV is 106 MB (Whisper's 10-minute limit is checked after)
    "photo": 25, "clip": 110, "text file": 5, "images zip": 200, "sounds zip": 200,
    "csv to score": 200, "csv to learn from": 50, "model": 200, "model side file": 32, "bundle": 500,
}


def limited_uploader(label: str, kind: str, container=None, **kwargs):
    """`st.file_uploader` with its limit in the label ("… · up to 25 MB") and in the browser's check."""
    limit = UPLOAD_LIMITS_MB[kind]
    each = " each" if kwargs.get("accept_multiple_files") else ""
    return (container or st).file_uploader(f"{label} · up to {limit} MB{each}", max_upload_size=limit, **kwargs)


def shown_name(name: str, width: int = 60) -> str:
    """An uploaded file's name, safe to show: no control characters or markdown marks, long ones cut."""
    name = "".join(ch for ch in str(name) if ch.isprintable() and ch not in "*`[]<>|\\$~")
    name = name.strip() or "the file"
    return name if len(name) <= width else f"{name[:width - 16]}…{name[-15:]}"


def over_limit(file, kind: str) -> str | None:
    """Why an upload is too large for its widget, or None when it is within the limit."""
    limit = UPLOAD_LIMITS_MB[kind]
    size = getattr(file, "size", None)
    size = len(file.getvalue()) if size is None else size
    if size <= limit << 20:
        return None
    return (f"**{shown_name(file.name)}** is {size / 2**20:,.1f} MB; the limit here is {limit} MB. "
            "Nothing was read from it: upload a smaller file.")


# -- pieces the labs share ------------------------------------------------------------------------

def use_new_file_ui(file, source: str, use, limit: str | None = None, forget: str | None = None) -> None:
    """The one upload path: hand a new upload or recording to `use(name, bytes) -> error or None` once.

    A widget keeps returning the same file on every rerun; it is used only when it changes, and
    its error (if any) stays on screen while it is there. Nothing else on the page is touched.
    `limit`: the UPLOAD_LIMITS_MB kind whose size limit is checked before `use` sees a byte.
    `forget`: the session-state key of what the previous file left (an import's outcome, a CSV
    kept for its columns): a refused file drops it, so its error is not shown beside stale results.
    """
    if file is None:
        return
    if st.session_state.get(f"{source}_seen") == file.file_id:
        if st.session_state.get(f"{source}_error"):
            st.error(st.session_state[f"{source}_error"])
        return
    st.session_state[f"{source}_seen"] = file.file_id
    too_large = limit and over_limit(file, limit)
    if too_large and forget:
        st.session_state.pop(forget, None)
    error = too_large or use(shown_name(file.name), file.getvalue())
    st.session_state[f"{source}_error"] = error
    if error:
        st.error(error)


def input_tabs_ui(capture_title: str, examples_ui, upload, capture, use, limit: str) -> None:
    """A lab's input, three ways: its examples, an upload, or a capture (camera, microphone).

    `examples_ui()` draws the examples; `upload()` and `capture()` draw their widget and return
    what it holds; every new file of either goes through the one upload path to `use(name, bytes)`."""
    examples, upload_tab, capture_tab = st.tabs(["📚 Examples", "⬆️ Upload", capture_title])
    with examples:
        examples_ui()
    with upload_tab:
        use_new_file_ui(upload(), "upload", use, limit=limit)
    with capture_tab:
        use_new_file_ui(capture(), "capture", use, limit=limit)


def kept_file_ui(file, state_key: str, limit: str, sample=None):
    """An upload (or the sample, when `sample` gives one) kept as (file id, shown name, bytes)
    under `state_key` until another replaces it, for a page that reads it on later reruns (a CSV
    whose columns are picked next). Returns what is kept, or None.
    `sample`: a bundled file's (id, name, bytes), given on the run its button is pressed."""
    if sample:
        st.session_state[state_key] = sample

    def keep(name: str, data: bytes) -> None:
        st.session_state[state_key] = (file.file_id, name, data)
    use_new_file_ui(file, state_key, keep, limit=limit, forget=state_key)
    return st.session_state.get(state_key)


def import_examples(state_key: str, do_import, spinner: str) -> None:
    """Run an upload import; keep ('ok', report) or ('error', message) under `state_key`."""
    from core.data import DataError
    try:
        with st.spinner(spinner):
            st.session_state[state_key] = ("ok", do_import())
    except DataError as err:
        st.session_state[state_key] = ("error", str(err))


def import_outcome_ui(state_key: str, unit: str):
    """The outcome of `import_examples`: an error, or a summary; returns the report when ready."""
    outcome = st.session_state.get(state_key)
    if not outcome:
        return None
    if outcome[0] == "error":
        st.error(f"Could not use these {unit}. {outcome[1]}")
        return None
    report = outcome[1]
    st.success(f"Ready: **{report.title}** · " + ", ".join(f"{k} ({v})" for k, v in report.class_counts.items()))
    skipped_ui(report.skipped)
    return report


def skipped_ui(skipped: dict[str, int]) -> None:
    """A warning listing the files an import left out, by reason (nothing when none were)."""
    if skipped:
        st.warning(f"Left out {sum(skipped.values()):,}: " + ", ".join(f"{n} {why}" for why, n in skipped.items())
                   + ". Everything else was imported.")


def live_runs_ui(run_ids: list[str], draw) -> None:
    """`draw(runs)` in a fragment that re-reads the runs every second while any is active, and
    redraws the whole page once when the last one ends (then stops polling)."""
    store = get_store()
    every = 1.0 if any(run.is_active for run in map(store.get_run, run_ids) if run) else None

    @st.fragment(run_every=every)
    def live():
        runs = [run for run in map(store.get_run, run_ids) if run]
        draw(runs)
        if every and not any(run.is_active for run in runs):
            st.rerun()

    live()


def text_label_columns_ui(frame, key: str, cols=None) -> tuple[str, str]:
    """Two pickers for a CSV's text and label columns, starting from the best guess."""
    from core.data import uploads
    text_guess, label_guess = uploads.guess_columns(frame)
    columns = list(frame.columns)
    left, right = cols or st.columns(2)
    return (left.selectbox("Text column", columns, index=columns.index(text_guess), key=f"t{key}"),
            right.selectbox("Label column", columns, index=columns.index(label_guess), key=f"l{key}"))


def csv_columns_ui(title: str, data: bytes | str, key: str, cols=None):
    """A CSV given to learn from: read it (any common encoding), say how, and pick its text and
    label columns. Returns (frame, text column, label column), or None after saying why it cannot
    be used. `data` may be the error message that refused the file (then nothing is read)."""
    from core.data import DataError, uploads
    if isinstance(data, str):  # over the widget's limit: its error message
        st.error(data)
        return None
    try:
        frame = uploads.read_csv_upload(data)
    except DataError as err:
        st.error(f"**{title}** cannot be used: {err}")
        return None
    if not frame.attrs.get("encoding", "utf-8").startswith("utf-8"):
        st.caption(f"The file is not UTF-8; it was read as {frame.attrs['encoding']}.")
    return (frame, *text_label_columns_ui(frame, key, cols))


def start_run_ui(config, state_key: str) -> str | None:
    """Launch `config` (checked first) and keep the run's id in the session under `state_key`; or
    say in words why it cannot start. Says so when it waits behind another run. Every page that
    launches a run launches it here."""
    from core.data import DataError
    from core.params import ConfigError
    from core.training import launch
    busy = [r for r in get_store().list_runs() if r.is_active]
    try:
        with st.spinner("Checking the settings…"):
            run_id = launch(config)
    except ConfigError as err:
        st.error("Cannot start yet. Please fix:\n" + "\n".join(f"- {p}" for p in err.problems))
        return None
    except DataError as err:
        st.error(f"Cannot start: {err}")
        return None
    st.session_state[state_key] = run_id
    if busy:
        st.info(f"Another run is training ({busy[0].name}); this one is **queued** and starts by itself "
                "when a slot frees up.")
    else:
        st.toast("Run launched: training starts in a few seconds.")
    return run_id


def taught_run_ui(run_id: str | None, button: str, task: str) -> None:
    """The live panel of a run launched from a lab, then a button that selects its model above."""
    if not run_id:
        return
    run_panel_ui(run_id)
    run = get_store().get_run(run_id)
    if run and run.status in ("completed", "stopped") and st.button(button, key="use_taught", type="primary"):
        st.session_state[pick_key(task)] = f"run:{run_id}"
        st.rerun()


def none_of_these_ui(verb: str, classifier, prediction) -> bool:
    """The “None of these” headline, when a taught model finds the input unlike all its classes
    (core/novelty.py); False, and nothing shown, otherwise."""
    verdict = prediction.novelty
    if verdict is None or verdict.familiar:
        return False
    from core.novelty import headline
    st.markdown(headline(verb, *prediction.top[0]))
    st.caption(classifier.novelty.how_far(verdict, classifier.class_names))
    return True


def novelty_caption_ui(classifier, prediction) -> None:
    """How a taught model says “None of these” (and how far this input is); nothing for a pretrained
    model, whose classes are all it is meant to be shown."""
    if classifier.novelty is None:
        return
    familiar = prediction.novelty is not None and prediction.novelty.familiar
    text = classifier.novelty.describe()
    if familiar:
        text = classifier.novelty.how_far(prediction.novelty, classifier.class_names) + " " + text
    st.caption(text, help=help_for("none of these"))


def cached_explanation(explain, classifier, x: np.ndarray, index):
    """`explain(x, index)` (a Grad-CAM or occlusion map) once per model, input and class: moving
    a slider (the heatmap's opacity) reruns the page and must not recompute it. One is kept."""
    key = (id(classifier), hash(x.tobytes()), index)
    cache = st.session_state.setdefault("explanation_cache", {})
    if key not in cache:
        cache.clear()
        cache[key] = explain(x, index)
    return cache[key]


# -- the model picker every lab shows ------------------------------------------------------------

def pick_key(task: str) -> str:
    """Where a flow (a taught run, an imported model) asks the lab's model picker to select a key."""
    return f"pick_{task}_model"


def model_choices(task: str) -> dict:
    """The lab's models by key, from the one catalogue (pretrained, bundled, runs, imports)."""
    from core.catalog import list_models
    return {info.key: info for info in list_models(task, get_store())}


@st.cache_resource(show_spinner=False, max_entries=12)
def load_classifier(key: str, _loading: str = "Preparing the model…"):
    """A lab's model by catalogue key, loaded once per process, with a progress bar while it loads
    (a pretrained model is converted and cached on its first use). `_loading`: the bar's first words
    (not part of the cache key)."""
    from core.catalog import load_model
    bar = st.progress(0.0, text=_loading)
    try:
        return load_model(key, progress=lambda f, message: bar.progress(min(1.0, f), text=message))
    finally:
        bar.empty()


def model_picker_ui(task: str, default: str | None = None, card_ui=None, missing: str = "") -> str | None:
    """The lab's model: a picker over the catalogue, its card, then bring-your-own-model.

    Returns the chosen key, or None (after `missing`, a warning) when the lab has no model at all.
    A key asked for under pick_key(task) (a taught or imported model) is selected once."""
    choices = model_choices(task)
    if not choices:
        st.warning(missing or f"No {task} model found.")
        return None
    keys = list(choices)
    wanted = st.session_state.pop(pick_key(task), None)
    if wanted in keys:
        st.session_state[f"{task}_model"] = wanted
    key = st.selectbox("Model", keys, format_func=lambda k: choices[k].title, key=f"{task}_model",
                       index=keys.index(default) if default in keys else 0)
    (card_ui or model_card_ui)(choices[key].card)
    imported_notice_ui()
    import_model_ui(task)
    return key


def model_card_ui(card: dict, skip=()):
    """A model card in an expander (returned, so a page can add to it)."""
    box = st.expander("Model card")
    with box:
        for field, value in card.items():
            if field in skip:
                continue
            if isinstance(value, (list, tuple)):
                value = ", ".join(map(str, value[:30])) + (" …" if len(value) > 30 else "")
            elif isinstance(value, float) and 0 <= value <= 1:
                value = format_percent(value)
            elif value is None or isinstance(value, (int, float)):
                value = format_number(value)  # 616320000 -> 616,320,000; None/nan -> —
            st.markdown(f"**{field.replace('_', ' ').capitalize()}**: {value}")
    return box


def import_model_ui(lab: str) -> None:
    """Bring your own `.keras` model into a lab: checked, loaded safely, then selected above."""
    from core.model_import import ModelImportError, import_model
    from core.modalities import modality_of
    with st.expander("📦 Use your own Keras model (.keras)"):
        st.caption("A model saved with `model.save('model.keras')` (Keras 3), up to "
                   f"{UPLOAD_LIMITS_MB['model']} MB. It is checked before it is opened: no Lambda layers or "
                   "other code, only Keras's own layers, its input and output must fit this lab. "
                   ".h5 files are refused (they can carry code).")
        with st.form(f"import-{lab}", clear_on_submit=True):
            model_file = limited_uploader("Model file", "model", type=["keras", "h5", "hdf5"],
                                          key=f"import-model-{lab}")
            labels_file = limited_uploader("Class names (optional: labels.txt, one per line, or a JSON list)",
                                           "model side file", type=["txt", "json"], key=f"import-labels-{lab}")
            needs_vocabulary = modality_of(lab).tokens   # token ids in: the words' numbers must come with it
            prep_file = limited_uploader("preprocessing.json (" + ("required: the vocabulary" if needs_vocabulary
                                         else "optional") + ")", "model side file", type=["json"],
                                         key=f"import-prep-{lab}")
            submitted = st.form_submit_button("Import and use it")
        if not submitted:
            return
        if model_file is None:
            st.error("Choose a .keras file first.")
            return
        too_large = [error for file, kind in ((model_file, "model"), (labels_file, "model side file"),
                                              (prep_file, "model side file"))
                     if file is not None and (error := over_limit(file, kind))]
        if too_large:
            st.error(" ".join(too_large))
            return
        try:
            with st.spinner("Checking and loading the model…"):
                imported = import_model(model_file.getvalue(), model_file.name, lab,
                                        labels=labels_file.getvalue() if labels_file else None,
                                        labels_filename=labels_file.name if labels_file else None,
                                        preprocessing=prep_file.getvalue() if prep_file else None)
        except ModelImportError as err:
            st.error(str(err))
            return
        st.session_state[pick_key(lab)] = imported.key
        st.session_state["imported_notice"] = f"Imported **{imported.title}**: {len(imported.labels)} classes."
        st.rerun()


def imported_notice_ui() -> None:
    notice = st.session_state.pop("imported_notice", None)
    if notice:
        st.success(notice)


# -- hand-offs between labs -----------------------------------------------------------------------

HANDOFF = "handoff"


def hand_off(page: str, source: str, payload) -> None:
    """Open `page` with `payload` handed to it (e.g. the text the Document Lab read); `source` says
    where it came from. Only `page` takes it, once (handed_off), so it never lingers for another."""
    st.session_state[HANDOFF] = {"page": page, "source": source, "payload": payload}
    st.switch_page(page)


def handed_off(page: str):
    """(source, payload) handed to `page` by another lab, taken once; None when nothing was."""
    held = st.session_state.get(HANDOFF)
    if not held or held["page"] != page:
        return None
    del st.session_state[HANDOFF]
    return held["source"], held["payload"]
