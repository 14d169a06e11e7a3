"""Why large models win: one network at several sizes, trained on the same data, loss against size."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data import DATASETS
from core.principles.scale import WIDTHS
from pages.common import (format_bytes, format_number, format_percent, format_seconds, get_store, help_for,
                          keep_settings, live_runs_ui, page_setup)

SCALE_DATASETS = ["mnist", "digits", "fashion_mnist"]


def intro_ui():
    st.title("📈 Why large models win")
    st.markdown("The same kind of network (an MLP with two hidden layers) at several **widths**, each "
                "trained on the same data for the same number of epochs. Plot the validation loss "
                "against the number of parameters on log-log axes and it falls along a nearly straight "
                "line, a **power law** L ≈ A·N^b: each doubling of size buys a similar fraction of loss. "
                "That is the observation behind today's large models, here on a scale a laptop can run.")
    with st.popover("What do these words mean?"):
        for term in ("parameters", "width", "power law", "scaling law", "log-log", "training compute",
                     "validation loss", "peak memory"):
            st.markdown(f"**{term.capitalize()}**: {help_for(term) or ''}")


# The settings' starting values: keep_settings hands them (then the last ones chosen) to the widgets.
SETTINGS = {"scale_data": "mnist", "scale_epochs": 10, "scale_widths": [4, 8, 16, 32, 64, 128]}


def settings_ui():
    keep_settings(SETTINGS)  # coming back to the page, the settings beside the last sweep's results
    # Widths on a row of their own: beside the others, at 1024 px the dataset's name was cut.
    cols = st.columns([3, 1])
    dataset = cols[0].selectbox("Dataset", SCALE_DATASETS, format_func=lambda k: DATASETS[k].title, key="scale_data")
    epochs = cols[1].number_input("Epochs", 1, 50, key="scale_epochs", help=help_for("epoch"))
    widths = st.multiselect("Widths (neurons per hidden layer)", WIDTHS, key="scale_widths", help=help_for("width"))
    return dataset, sorted(widths), int(epochs)


def launch_ui(dataset, widths, epochs):
    from core.data import DataError
    from core.params import ConfigError
    from core.principles.scale import scale_configs
    from core.training import launch
    if len(widths) < 2:
        st.info("Pick at least two widths (five or more show the trend).")
        return
    if st.button(f"📈 Train {len(widths)} sizes", key="scale_start", type="primary"):
        try:
            st.session_state["scale"] = [launch(c) for c in scale_configs(dataset, widths, epochs)]
        except (ConfigError, DataError) as err:
            st.error(f"Cannot start the sweep: {err}")
            return
        st.rerun()


def results_ui():
    run_ids = st.session_state.get("scale")
    if not run_ids:
        return
    store = get_store()

    def draw(runs):
        from core import charts
        from core.principles.scale import power_law, scale_table
        active = [run for run in runs if run.is_active]
        done = len(runs) - len(active)
        st.progress(done / len(runs), text=f"{done} of {len(runs)} sizes trained"
                    + (" (they take turns in the runner's queue)" if active else ""))
        if active and st.button("⏹ Stop the sweep", key="scale_stop"):
            for run in active:
                store.request_stop(run.id)
        rows = scale_table([r for r in runs if not r.is_active and r.status in ("completed", "stopped")], store)
        if len(rows) >= 2:
            fit = power_law([r["parameters"] for r in rows], [r["best val loss"] for r in rows])
            left, right = st.columns(2)
            left.plotly_chart(charts.scaling_figure(rows, "parameters", fit), key="scale_params")
            right.plotly_chart(charts.scaling_figure(rows, "training FLOPs", None), key="scale_flops")
            power_law_ui(rows, fit)
            st.plotly_chart(charts.cost_figure(rows), key="scale_costs")
            st.dataframe(pd.DataFrame(display_rows(rows)), hide_index=True, column_config={
                column: st.column_config.Column(help=text) for column, text in (  # short names: 1024 px fit
                    ("Width", help_for("width")), ("Parameters", help_for("parameters")),
                    ("Loss", "Best validation loss: " + help_for("validation loss")),
                    ("Accuracy", "Test accuracy: " + help_for("test accuracy")),
                    ("Compute", "Training compute in FLOPs: " + help_for("training compute")),
                    ("Memory added", "What this run's training added to its process's memory, at its peak."),
                    ("File", "The size of the saved model file."))})
            st.caption("Where it stops: with a fixed dataset the curve flattens and then turns up once a "
                       "model can memorise its training set (watch the largest widths' validation loss); "
                       "real scaling laws grow the data and the compute together with the model. At these "
                       "sizes training time hardly grows (each step's fixed overhead dominates on this CPU); "
                       "the file size grows with the parameters.")
            memory_note_ui(rows)

    live_runs_ui(run_ids, draw)

def power_law_ui(rows: list[dict], fit: tuple[float, float]) -> None:
    a, b = fit
    spread = rows[-1]["parameters"] / rows[0]["parameters"]
    st.markdown(f"Fitted power law: **L ≈ {format_number(a)} · N^{format_number(b)}** over a "
                f"{format_number(spread, digits=2)}× range of sizes: doubling the parameters multiplies the "
                f"loss by {format_number(2 ** b)}.")


def memory_note_ui(rows: list[dict]) -> None:
    """Say what the memory figures are: each run's own, on top of a base shared by every size."""
    before = [r["memory before training (MB)"] for r in rows if r.get("memory before training (MB)")]
    if not before:
        st.caption("These runs were trained before the studio measured each run's own memory: "
                   "train the sweep again to see it.")
        return
    base = sorted(before)[len(before) // 2] * 2**20
    added = [r["training memory (MB)"] * 2**20 for r in rows if r.get("training memory (MB)") is not None]
    largest = max(rows, key=lambda r: r["parameters"])
    st.caption(f"Memory is what each run's training itself added (the model, its optimizer's state, "
               f"gradients, activations and the input pipeline), measured while it trained, on top of the "
               f"about {format_bytes(base)} its runner process held before training: TensorFlow and the "
               f"dataset, the same for every width.", help=help_for("peak memory"))
    if added:
        # Measured here: every width added 50-54 MB (the widest one about 2 MB more): the rise is
        # TensorFlow tracing the training step and the input pipeline's buffers, not the model.
        st.caption(f"At these sizes that rise is nearly the same for every width "
                   f"({format_bytes(min(added))} to {format_bytes(max(added))}): it is TensorFlow building the "
                   f"training step and the input pipeline's buffers. The model's own numbers (weights, "
                   f"gradients, Adam's state) take only {format_bytes(model_state_bytes(largest['parameters']))} "
                   f"at width {largest['width']}; they would dominate only in far larger models.")


def display_rows(rows: list[dict]) -> list[dict]:
    """The table as people read it: formatted numbers, words for column names."""
    return [{"Width": row["width"], "Parameters": format_number(row["parameters"]),
             "Loss": format_number(row["best val loss"]),
             "Accuracy": format_percent(row["test accuracy"]),
             "Compute": format_large(row["training FLOPs"]),
             "Time": format_seconds(row["seconds"]),
             "Memory added": format_bytes(_mb(row["training memory (MB)"])),
             "File": format_bytes(row["model file (KB)"] * 1024)} for row in rows]


def model_state_bytes(parameters: int) -> int:
    """Weights, gradients and Adam's two moments: four float32 numbers per parameter."""
    return 4 * 4 * int(parameters)


def format_large(value) -> str:
    """11,385,000 -> '11.4 million': a count too long to read digit by digit."""
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if value is not None and abs(value) >= size:
            return f"{format_number(value / size)} {word}"
    return format_number(value)


def _mb(value):
    return None if value is None else value * 2**20


def main():
    page_setup()
    intro_ui()
    dataset, widths, epochs = settings_ui()
    launch_ui(dataset, widths, epochs)
    results_ui()


main()
