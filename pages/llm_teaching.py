"""Teach the language model a business task (LoRA): the pieces the Language Model Lab's "Teach it" tab,
the Train page and every run panel share. Not a page itself; the work is in core/llm/teach.py and
core/training/finetune_llm.py."""
from __future__ import annotations

import dataclasses

import streamlit as st

from core.models import ARCHITECTURES, LORA_HELP, LORA_LAYERS
from core.runs import Run, RunStore
from core.training.config import RunConfig
from pages.common import (format_number, format_percent, format_seconds, get_store, help_for, limited_uploader,
                          over_limit, shown_name)

ARCHITECTURE = "smollm2_lora"
BUNDLED = "business_tasks"
LAYER_TITLES = {"all": "All: attention and feed-forward", "attention": "Attention only (q/k/v, output)",
                "feed-forward": "Feed-forward only (gate/up, down)"}
TASK_TITLES = {"ticket": "🎫 Ticket → category", "fields": "🧾 Document → JSON fields",
               "reply": "💬 Complaint → house-style reply", "summary": "✉️ Email → 2-sentence summary"}


# -- 1 · the examples ----------------------------------------------------------------------------------

def data_ui(prefix: str) -> str | None:
    """The bundled business tasks, or the user's own CSV / JSONL of prompt/response pairs (checked,
    with a message that says what to fix). Returns the dataset key."""
    from core.data import uploads
    stored = [m for m in uploads.list_uploads() if m.get("kind") == "chat"]
    choices = {BUNDLED: "📦 The bundled business tasks (779 examples, 4 tasks)"}
    choices.update({uploads.UPLOAD_PREFIX + m["id"]: f"📄 {m['title']} ({sum(m['class_counts'].values()):,} pairs)"
                    for m in stored})
    with st.expander("⬆️ Or upload your own prompts and answers (CSV or JSONL)"):
        st.markdown("One row per example: a **prompt** column and a **response** column (the answer you want). "
                    "Optional: **task** (to score each task apart) and **split** (`train` or `held-out`; without "
                    "it a fifth of the rows is held out to measure the model).", help=help_for("prompt/response pairs"))
        file = limited_uploader("Prompt/response pairs", "csv to learn from", type=["csv", "jsonl", "json"],
                                key=f"{prefix}-pairs-file")
        if file is not None and st.session_state.get(f"{prefix}-pairs-done") != file.file_id:
            too_large = over_limit(file, "csv to learn from")
            if too_large:
                st.error(too_large)
            else:
                try:
                    report, notes = uploads.import_pairs(file.getvalue(), file.name,
                                                         title=shown_name(file.name, 40))
                except uploads.DataError as err:
                    st.error(f"**{shown_name(file.name)}** cannot be used: {err}")
                else:
                    st.session_state[f"{prefix}-pairs-done"] = file.file_id
                    st.session_state[f"{prefix}-data"] = report.dataset_key
                    st.success(f"Read {sum(report.class_counts.values()):,} pairs from **{shown_name(file.name)}**.")
                    for note in notes:
                        st.caption(note)
                    choices[report.dataset_key] = f"📄 {report.title} ({sum(report.class_counts.values()):,} pairs)"
    if st.session_state.get(f"{prefix}-data") not in choices:
        st.session_state[f"{prefix}-data"] = BUNDLED
    return st.selectbox("Examples to learn from", list(choices), format_func=choices.get, key=f"{prefix}-data")


def preview_ui(key: str, data=None) -> None:
    """A few of the examples, as a person reads them (`data`: the dataset, when already loaded)."""
    from core.data import load_dataset
    from core.data.uploads import dataset_pairs
    try:
        train, held = dataset_pairs(data if data is not None else load_dataset(key))
    except Exception as err:  # noqa: BLE001 - a damaged upload: say so, keep the page
        st.error(f"These examples cannot be read: {err}")
        return
    shown = {}
    for pair in train:
        shown.setdefault(pair.task, pair)
    rows = [{"task": TASK_TITLES.get(p.task, p.task), "prompt": p.prompt.replace("\n", " ")[:160],
             "the answer it should learn": p.response[:160]} for p in shown.values()]
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(f"{len(train):,} examples to learn from · {len(held):,} held out, never trained on: they measure "
               "the model before and after.", help=help_for("held-out examples"))


# -- 2 · the knobs -------------------------------------------------------------------------------------

def settings_ui(prefix: str) -> dict:
    """The knobs a person can understand, each explained (core.models: the LoRA architecture's params)."""
    params = ARCHITECTURES[ARCHITECTURE].params
    cols = st.columns(3)
    rank = cols[0].select_slider("LoRA rank", [2, 4, 8, 16, 32], value=params["rank"].default,
                                 key=f"{prefix}-rank", help=help_for("lora rank") + " " + LORA_HELP["rank"])
    layers = cols[1].selectbox("Which layers learn", list(LORA_LAYERS), format_func=LAYER_TITLES.get,
                               key=f"{prefix}-layers", help=LORA_HELP["layers"])
    max_tokens = cols[2].select_slider("Longest example (tokens)", [128, 192, 256, 384, 512],
                                       value=params["max_tokens"].default, key=f"{prefix}-max-tokens",
                                       help=LORA_HELP["max_tokens"])
    cols = st.columns(3)
    learning_rate = cols[0].select_slider("Learning rate", [1e-4, 2e-4, 5e-4, 1e-3, 2e-3], value=5e-4,
                                          format_func=lambda v: f"{v:g}", key=f"{prefix}-lr",
                                          help=help_for("learning rate"))
    epochs = cols[1].number_input("Epochs", 1, 10, 1, key=f"{prefix}-epochs",
                                  help=help_for("epoch") + " One epoch of the bundled tasks takes about 9 minutes "
                                       "here (2 CPU cores).")
    batch_size = cols[2].select_slider("Batch size", [1, 2, 4, 8], value=4, key=f"{prefix}-batch",
                                       help=help_for("batch size") + " Here the examples are packed end to end "
                                            "into rows as long as the longest example allowed (no padding to pay "
                                            "for); a step reads rows holding about this many examples.")
    return dict(arch_params={"rank": rank, "layers": layers, "max_tokens": max_tokens},
                learning_rate=float(learning_rate), epochs=int(epochs), batch_size=int(batch_size))


def config_for(dataset: str, settings: dict, name: str = "") -> RunConfig:
    """The fine-tuning run's config: AdamW without weight decay (LoRA's usual), validation from the
    held-out examples (so no validation split is cut from the training ones)."""
    return RunConfig(dataset=dataset, architecture=ARCHITECTURE, task="finetune-llm", optimizer="adamw",
                     optimizer_params={"weight_decay": 0.0}, validation_split=0.0, name=name, **settings)


def launch_ui(prefix: str, config: RunConfig) -> str | None:
    """The launch button; the new run's id (also kept in the session under `<prefix>-run`)."""
    from core.data import DataError, dataset_title
    from core.params import ConfigError
    from core.training import launch
    suggested = f"{dataset_title(config.dataset).replace('Upload: ', '')}, rank {config.arch_params['rank']}"
    name = st.text_input("Name of the tuned model", value=suggested, key=f"{prefix}-name",
                         help="The Language Model Lab lists it as “SmolLM2-135M + this name”.")
    if not st.button("🎓 Teach it", type="primary", key=f"{prefix}-launch"):
        return None
    busy = [r for r in get_store().list_runs() if r.is_active]
    try:
        with st.spinner("Checking the settings…"):
            run_id = launch(dataclasses.replace(config, name=name.strip() or suggested))
    except ConfigError as err:
        st.error("Cannot start yet. Please fix:\n" + "\n".join(f"- {p}" for p in err.problems))
        return None
    except DataError as err:
        st.error(f"Cannot start: {err}")
        return None
    st.session_state[f"{prefix}-run"] = run_id
    if busy:
        st.info(f"Another run is training ({busy[0].name}); this one is **queued** and starts by itself after it.")
    return run_id


# -- 3 · the run, live and finished (drawn inside pages/common.py's run panel) ---------------------------

def curves_ui(run: Run, store: RunStore) -> None:
    """Training loss per step and validation loss per epoch (the base model's as a dashed line), and
    the training speed."""
    from core import charts
    metrics = store.metrics(run.id)
    if metrics.empty:
        st.info("The curves appear after the first steps. Before them: the language model loads, the base "
                "model answers held-out prompts, and the first step of each batch length compiles (about 20 s each).")
        return
    steps_per_epoch = (run.progress or {}).get("steps_per_epoch")
    left, right = st.columns(2)
    figure = charts.curves_figure(metrics, "loss", steps_per_epoch)
    base = _base(run)
    if base is not None:
        figure.add_hline(y=base, line_dash="dash", line_color="gray",
                         annotation_text=f"base model, held out: {base:.2f}", annotation_position="top right")
    figure.update_layout(title="Answer loss (lower: better)")  # short: half of a 1024 px page
    left.plotly_chart(figure, key=f"ft-loss-{run.id}")
    speed = metrics[(metrics.name == "tokens_per_second")]
    if len(speed):
        right.plotly_chart(charts.curves_figure(metrics, "tokens_per_second", steps_per_epoch)
                           .update_layout(title="Tokens per second", showlegend=False),
                           key=f"ft-speed-{run.id}")
        right.caption("The first steps of each new batch length are slow: XLA compiles the step for it once.",
                      help=help_for("tokens per second"))


def answers_ui(run: Run) -> None:
    """The 3 held-out prompts: the base model's answer and the answer after each epoch, side by side."""
    from core.training.finetune_llm import read_answers
    lines = read_answers(run.dir)
    if not lines:
        return
    st.markdown("**Held-out prompts, answered before and after each epoch** (never trained on)")
    for i, probe in enumerate(lines[0]["answers"]):
        with st.container(border=True):
            st.markdown(f"{TASK_TITLES.get(probe['task'], probe['task'])} · *{_short(probe['prompt'], 220)}*")
            columns = st.columns(len(lines[-2:]) + 2 if len(lines) > 1 else 2)
            columns[0].caption("Wanted")
            columns[0].markdown(_quoted(probe["expected"]))
            columns[1].caption("Base model")
            columns[1].markdown(_quoted(probe["answer"]))
            for column, line in zip(columns[2:], lines[1:][-2:]):
                column.caption(f"After epoch {line['epoch']}")
                column.markdown(_quoted(line["answers"][i]["answer"]))


def results_ui(run: Run) -> None:
    """Before and after, in the task's own terms: loss, each task metric, the held-out answers."""
    import pandas as pd
    r = run.results or {}
    if r.get("task") != "finetune-llm":
        return
    metrics = r.get("metrics", {})
    # Two metrics a row: four in a row were cut ("58.7 t…", "+100 pts vs bas…") at 1024 px.
    cols = st.columns(2)
    cols[0].metric("Held-out loss", f"{r['val_loss']:.2f}", f"{r['val_loss'] - r['base_val_loss']:+.2f} vs base "
                   f"{r['base_val_loss']:.2f}", delta_color="inverse", help=help_for("validation loss"))
    cols[1].metric("Training tokens/s", format_number(r.get("tokens_per_second")),
                   f"{format_seconds(r.get('fit_seconds'))} in all", delta_color="off", help=help_for("tokens per second"))
    for row in range(0, len(metrics), 2):
        for column, (name, pair) in zip(st.columns(2), list(metrics.items())[row:row + 2]):
            column.metric(name[:1].upper() + name[1:], format_percent(pair["tuned"], 0),
                          f"{(pair['tuned'] - pair['base']) * 100:+.0f} pts (base {format_percent(pair['base'], 0)})")
    if metrics:
        st.plotly_chart(_before_after_figure(metrics), key=f"ft-before-after-{run.id}")
    st.caption(f"Measured on held-out examples never trained on: the loss on {r.get('validation_examples')} of them, "
               f"the task metrics on {len(r.get('answers', []))} answers (greedy, the same prompts before and after). "
               + (f"Few-shot: the base model with {r['shots']} training examples of the task shown in its prompt, no "
                  "training: the cheap alternative. " if r.get("shots") else "") +
               f"{r.get('trainable_parameters', 0):,} numbers learnt (LoRA rank {r.get('rank')}), "
               f"{r.get('parameters', 0):,} frozen." + (f" {r['too_long']} examples longer than the limit were left "
                                                        "out." if r.get("too_long") else ""))
    answers = r.get("answers", [])
    if answers:
        with st.expander(f"All {len(answers)} held-out answers: base | tuned", expanded=False):
            st.dataframe(pd.DataFrame([{"task": a["task"], "prompt": _short(a["prompt"], 120), "wanted": a["expected"],
                                        "base model": a["base"], **({"few-shot": a["few_shot"]} if "few_shot" in a else {}),
                                        "tuned": a["tuned"]} for a in answers]),
                         hide_index=True, width="stretch")
    if run.status in ("completed", "stopped") and st.button(
            "💬 Use it in the Language Model Lab", key=f"ft-use-{run.id}", type="primary",
            on_click=_use_in_lab, args=(run.id,)):  # the callback: before the lab's model picker is drawn
        st.switch_page("pages/llm_lab.py")


# The Language Model Lab's tabs (pages/llm_lab.py): "Use it in the lab" opens it on the first.
LAB_TABS = ["💬 Ask it", "🎓 Teach it", "🎲 The next token", "🔤 Tokens", "🔬 Inside", "🪶 Made cheaper to run"]
LAB_TAB_KEY = "llm_tab"


def _use_in_lab(run_id: str) -> None:
    st.session_state["llm_model"] = "tuned:" + run_id
    st.session_state[LAB_TAB_KEY] = LAB_TABS[0]   # ask the tuned model at once, not the Teach it tab again


def export_ui(run: Run) -> None:
    """The merged tuned model as one .keras file, checked against the studio's own generation."""
    from core.formatting import format_bytes
    from core.llm.teach import export_merged
    with st.expander("📦 Export the tuned model as one .keras file (base + adapters merged)",
                     expanded=f"merged-{run.id}" in st.session_state):
        st.caption("Merging adds the adapters into the frozen weights once (W + (α/r)·A·B): a plain SmolLM2 that "
                   "runs as fast as the original. The file is loaded back and must write the same tokens as the "
                   "studio's tuned model.", help=help_for("merge"))
        if st.button("Export and check", key=f"merge-{run.id}", disabled=run.is_active):
            bar = st.progress(0.0, text="Loading the base model…")
            try:
                export = export_merged(run.dir, lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=f"{m}…"))
            except Exception as err:  # noqa: BLE001 - a full disk, a damaged adapter: say so, keep the page
                bar.empty()
                st.error(f"The export failed: {err}")
                return
            bar.empty()
            st.session_state[f"merged-{run.id}"] = export
        export = st.session_state.get(f"merged-{run.id}")
        if export is not None and export.path.exists():
            st.success(f"✅ Checked: the file writes the same {export.tokens} tokens as the studio's tuned model "
                       f"(largest logit difference {export.max_abs_diff:.1e}). {format_bytes(export.bytes)}, made in "
                       f"{format_seconds(export.seconds)}.")
            st.code(f'import keras, core.llm.model  # registers SmolLM\nmodel = keras.saving.load_model('
                    f'"{export.path.name}", safe_mode=True)', language="python")
            st.caption(f"Saved in the run's folder: {export.path}")


def held_out_examples(run_id: str, per_task: int = 1) -> list[dict]:
    """The first held-out prompts of each task of a fine-tuning run (from its results)."""
    run = get_store().get_run(run_id)
    seen, chosen = {}, []
    for answer in ((run.results or {}).get("answers", []) if run else []):
        if seen.get(answer["task"], 0) < per_task:
            seen[answer["task"]] = seen.get(answer["task"], 0) + 1
            chosen.append(answer)
    return chosen


def _before_after_figure(metrics: dict):
    import plotly.graph_objects as go

    from core.charts import _layout
    names = list(metrics)
    bars = [("base", "base model", "#9aa5b1"), ("few_shot", "base + 2 examples in the prompt (few-shot)", "#f0a04b"),
            ("tuned", "tuned (LoRA)", "#2e7d32")]
    figure = go.Figure([go.Bar(name=label, x=names, y=[metrics[n][key] * 100 for n in names], marker_color=color,
                               text=[f"{metrics[n][key]:.0%}" for n in names])
                        for key, label, color in bars if all(key in metrics[n] for n in names)])
    figure.update_layout(barmode="group", legend=dict(orientation="h", y=-0.45))
    figure.update_yaxes(title="% of held-out answers", range=[0, 105])
    return _layout(figure, "Held-out task metrics, before and after")


def _base(run: Run) -> float | None:
    import json
    try:
        return float(json.loads((run.dir / "base.json").read_text(encoding="utf-8"))["val_loss"])
    except (OSError, ValueError, KeyError):
        return None


def _short(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _quoted(text: str) -> str:
    text = str(text).strip() or "(nothing)"
    return "\n".join("> " + line.replace("`", "'") for line in text.splitlines()[:8])
