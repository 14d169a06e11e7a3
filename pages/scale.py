"""Why large models win: one network at several sizes, trained on the same data, loss against size."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data import DATASETS
from core.principles.scale import WIDTHS
from pages.common import get_store, live_runs_ui, page_setup

SCALE_DATASETS = ["mnist", "digits", "fashion_mnist"]


def intro_ui():
    st.title("📈 Why large models win")
    st.markdown("The same kind of network (an MLP with two hidden layers) at several **widths**, each "
                "trained on the same data for the same number of epochs. Plot the validation loss "
                "against the number of parameters on log-log axes and it falls along a nearly straight "
                "line, a **power law** L ≈ A·N^b: each doubling of size buys a similar fraction of loss. "
                "That is the observation behind today's large models, here on a scale a laptop can run.")


def settings_ui():
    cols = st.columns([1, 2, 1])
    dataset = cols[0].selectbox("Dataset", SCALE_DATASETS, format_func=lambda k: DATASETS[k].title, key="scale_data")
    widths = cols[1].multiselect("Widths (neurons per hidden layer)", WIDTHS, [4, 8, 16, 32, 64, 128],
                                 key="scale_widths")
    epochs = cols[2].number_input("Epochs", 1, 50, 10, key="scale_epochs")
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
            spread = rows[-1]["parameters"] / rows[0]["parameters"]
            st.markdown(f"Fitted power law: **L ≈ {fit[0]:.3g} · N^{fit[1]:.3f}** over a {spread:,.0f}× "
                        f"range of sizes: doubling the parameters multiplies the loss by {2 ** fit[1]:.2f}.")
            st.plotly_chart(charts.cost_figure(rows), key="scale_costs")
            st.dataframe(pd.DataFrame(rows), hide_index=True)
            st.caption("Where it stops: with a fixed dataset the curve flattens and then turns up once a "
                       "model can memorise its training set (watch the largest widths' validation loss); "
                       "real scaling laws grow the data and the compute together with the model. At these "
                       "sizes training time hardly grows (each step's fixed overhead dominates on this CPU) "
                       "and memory is the runner process's peak, mostly TensorFlow itself; the file size "
                       "grows with the parameters.")

    live_runs_ui(run_ids, draw)

def main():
    page_setup()
    intro_ui()
    dataset, widths, epochs = settings_ui()
    launch_ui(dataset, widths, epochs)
    results_ui()


main()
