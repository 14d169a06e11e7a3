"""Runs: every run kept, compared side by side, downloaded or deleted."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core import charts
from core.data import dataset_title
from core.runs import Run
from pages.common import page_setup, format_seconds, get_store, run_panel_ui

METRICS = {"val_loss": "Validation loss", "loss": "Training loss",
           "val_accuracy": "Validation accuracy", "accuracy": "Training accuracy"}


def intro_ui():
    st.title("📈 Runs")
    st.markdown("Every training run, kept across refreshes and restarts. Pick several runs to "
                "overlay their curves and see what differs between their settings.")


def runs_table(runs: list[Run]) -> pd.DataFrame:
    rows = []
    for run in runs:
        c, r = run.config, run.results
        rows.append({
            "name": run.name, "status": run.status,
            "dataset": dataset_title(c.get("dataset", "")), "architecture": c.get("architecture"),
            "optimizer": c.get("optimizer"), "learning rate": c.get("learning_rate"),
            "epochs": c.get("epochs"), "batch": c.get("batch_size"),
            "test accuracy": r.get("test_accuracy"), "test loss": r.get("test_loss"),
            "parameters": r.get("parameters"),
            "time": format_seconds(r.get("fit_seconds")) if r else "",
            "created": dt.datetime.fromtimestamp(run.created_at).strftime("%Y-%m-%d %H:%M"),
            "id": run.id,
        })
    return pd.DataFrame(rows)


def table_ui(runs: list[Run]) -> list[Run]:
    st.dataframe(
        runs_table(runs), hide_index=True, key="runs_table",
        column_config={"test accuracy": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
                       "learning rate": st.column_config.NumberColumn(format="%g")})
    by_id = {run.id: run for run in runs}
    chosen = st.multiselect("Runs to inspect (one) or compare (several)", list(by_id),
                            format_func=lambda i: f"{by_id[i].name} · {by_id[i].status} · {i}",
                            key="selected_runs")
    return [by_id[i] for i in chosen]


def compare_ui(selected: list[Run]) -> None:
    store = get_store()
    st.subheader(f"Compare {len(selected)} runs")
    left, right = st.columns([1, 3])
    metric = left.radio("Curve", list(METRICS), format_func=METRICS.get, key="overlay_metric")
    axis = left.radio("Against", ["epoch", "time"], format_func={"epoch": "epochs", "time": "seconds"}.get,
                      key="overlay_axis")
    curves = {f"{r.name} ({r.id[-4:]})": store.metrics(r.id) for r in selected}
    right.plotly_chart(charts.overlay_figure(curves, metric, axis), key="overlay")
    st.markdown("**What differs between their settings**")
    differences = config_differences(selected)
    if differences.empty:
        st.caption("Their settings are identical (only the random run-to-run noise differs).")
    else:
        st.dataframe(differences, hide_index=False)


def config_differences(runs: list[Run]) -> pd.DataFrame:
    """Settings (flattened, e.g. arch_params.units) whose values are not the same in all runs."""
    flat = {f"{r.name} ({r.id[-4:]})": pd.json_normalize(r.config, sep=".").iloc[0].to_dict() for r in runs}
    frame = pd.DataFrame(flat).astype(str)
    varying = frame.nunique(axis=1) > 1
    return frame[varying & (frame.index != "name")]


def detail_ui(run: Run) -> None:
    st.subheader(f"Run: {run.name}")
    run_panel_ui(run.id)
    actions_ui(run)
    with st.expander("Settings (the run's config)"):
        st.json(run.config)


def actions_ui(run: Run) -> None:
    cols = st.columns(3)
    if run.model_path.exists():
        cols[0].download_button("⬇️ Download model (.keras)", run.model_path.read_bytes(),
                                file_name=f"{run.id}.keras", mime="application/octet-stream",
                                key=f"download-{run.id}")
    else:
        cols[0].caption("No final model (the run did not finish).")
    if run.is_active:
        cols[2].caption("Stop the run before deleting it.")
        return
    if cols[2].button("🗑️ Delete run", key=f"delete-{run.id}"):
        st.session_state["confirm_delete"] = run.id
    if st.session_state.get("confirm_delete") == run.id:
        st.warning(f"Delete **{run.name}** with its curves and model? This cannot be undone.")
        yes, no = st.columns(2)
        if yes.button("Yes, delete", type="primary", key=f"confirm-{run.id}"):
            get_store().delete_run(run.id)
            st.session_state.pop("confirm_delete", None)
            st.toast(f"Deleted {run.name}.")
            st.rerun()
        if no.button("Cancel", key=f"cancel-{run.id}"):
            st.session_state.pop("confirm_delete", None)
            st.rerun()


def main():
    page_setup()
    intro_ui()
    runs = get_store().list_runs()
    if not runs:
        st.info("No runs yet. Open **Train a model** and press Launch: the run appears here at once.")
        st.page_link("pages/train.py", label="Train a model", icon="🏋️")
        return
    selected = table_ui(runs)
    if not selected:
        st.caption("Pick a run above to see its details; pick several to compare them.")
    elif len(selected) == 1:
        detail_ui(selected[0])
    else:
        compare_ui(selected)


main()
