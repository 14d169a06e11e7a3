"""Runs: every run kept, compared side by side, downloaded or deleted."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core import charts
from core.data import dataset_title
from core.runs import Run
from pages.common import (format_bytes, format_number, format_percent, format_seconds, get_store, help_for,
                          metric_label, page_setup, run_panel_ui)

METRICS = ["val_loss", "loss", "val_accuracy", "accuracy"]


def intro_ui():
    st.title("📈 Runs")
    st.markdown("Every training run, kept across refreshes and restarts. Pick several runs to "
                "overlay their curves and see what differs between their settings.")


def model_title(config: dict) -> str:
    """'MLP · Adam': the architecture's short name and the optimizer's, for a narrow table column."""
    from core.models import ARCHITECTURES
    from core.optim import OPTIMIZERS
    arch, opt = config.get("architecture"), config.get("optimizer")
    parts = [ARCHITECTURES[arch].title.split(" (")[0] if arch in ARCHITECTURES else arch,
             OPTIMIZERS[opt].title.split(" (")[0] if opt in OPTIMIZERS else opt]
    return " · ".join(str(p) for p in parts if p) or "—"


def runs_table(runs: list[Run]) -> pd.DataFrame:
    """One row per run, few and narrow columns so the table fits the page; every cell is text, so
    each column has one type (a mixed column cannot be sent to the browser as Arrow) and a missing
    value reads '—', never 'None'."""
    rows = []
    for run in runs:
        c, r = run.config, run.results or {}
        rows.append({
            "name": run.name or run.id, "status": run.status,
            "dataset": dataset_title(c.get("dataset") or "") or "—", "model": model_title(c),
            "epochs": format_number(c.get("epochs")),
            "test accuracy": format_percent(r.get("test_accuracy")),  # none (a GAN, a failed run): "—"
            "time": format_seconds(r.get("fit_seconds"), dash="—"),
            "created": dt.datetime.fromtimestamp(run.created_at).strftime("%d %b %H:%M"),
        })
    return pd.DataFrame(rows)


def table_ui(runs: list[Run]) -> list[Run]:
    st.dataframe(
        runs_table(runs), hide_index=True, key="runs_table",
        column_config={
            # Pinned: on a narrow screen the other columns scroll under it, the run stays named.
            # A fixed width: a long name ("Race 21:06:57 · SGD with momentum") pushed the last
            # columns off the right edge; the whole name is in the picker below.
            "name": st.column_config.TextColumn("name", pinned=True, width=230),
            "status": st.column_config.TextColumn("status", width="small"),
            "epochs": st.column_config.TextColumn("epochs", width="small", help=help_for("epoch")),
            "test accuracy": st.column_config.TextColumn("test accuracy", help=help_for("test accuracy")),
            "time": st.column_config.TextColumn("time", help="How long its training took."),
        })
    st.caption("Learning rate, batch size, parameters and the rest of each run's settings: pick the run below.")
    by_id = {run.id: run for run in runs}
    if "selected_runs" not in st.session_state:  # a link like /runs?run=<id> opens that run
        linked = [i for i in st.query_params.get_all("run") if i in by_id]
        st.session_state["selected_runs"] = linked
    chosen = st.multiselect("Runs to inspect (one) or compare (several)", list(by_id),
                            format_func=lambda i: f"{by_id[i].name or 'unnamed'} · {i}",
                            key="selected_runs")
    return [by_id[i] for i in chosen]


def compare_ui(selected: list[Run]) -> None:
    store = get_store()
    st.subheader(f"Compare {len(selected)} runs")
    left, right = st.columns([1, 3])
    metric = left.radio("Curve", METRICS, format_func=metric_label, key="overlay_metric")
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
    """Settings (flattened, e.g. arch_params.units) whose values are not the same in all runs,
    indexed by their names in words ('arch params · units'); an unset value shows as '—'."""
    flat = {f"{r.name} ({r.id[-4:]})": pd.json_normalize(r.config, sep=".").iloc[0].to_dict() for r in runs}
    frame = pd.DataFrame(flat).map(lambda v: "—" if v is None or v != v else str(v))
    varying = frame.nunique(axis=1) > 1
    frame = frame[varying & (frame.index != "name")]
    frame.index = [setting_label(key) for key in frame.index]
    return frame


def setting_label(key: str) -> str:
    """'arch_params.units' -> 'arch params · units'; 'learning_rate' -> 'learning rate'."""
    return " · ".join(part.replace("_", " ") for part in str(key).split("."))


def detail_ui(run: Run) -> None:
    st.subheader(f"Run: {run.name}")
    run_panel_ui(run.id)
    actions_ui(run)
    export_ui(run)
    with st.expander("Settings (the run's config)"):
        st.json(run.config)


def actions_ui(run: Run) -> None:
    cols = st.columns([2, 1, 1])  # a third of a 1024 px page cut "Download model (.k…"
    adapter = run.dir / "adapter.npz"
    if adapter.exists():  # a fine-tune: its model is the LoRA adapters (the lab merges them into the base)
        cols[0].download_button("⬇️ Download adapters (.npz)", adapter.read_bytes(), file_name=f"{run.id}.adapter.npz",
                                mime="application/octet-stream", key=f"download-{run.id}",
                                help=help_for("adapter"))
        from pages import llm_teaching
        llm_teaching.export_ui(run)
    elif run.model_path.exists():
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


def export_ui(run: Run) -> None:
    """Export the run's model as .keras, SavedModel and TFLite, each checked against Keras."""
    if not run.model_path.exists() or run.is_active:
        return
    from core.export import EXPORT_FORMATS, ExportError, export_package, export_run
    with st.expander("📤 Export the model (.keras, SavedModel, TFLite) with labels, model card and code",
                     expanded=f"exports-{run.id}" in st.session_state):
        formats = st.multiselect("Formats", list(EXPORT_FORMATS), default=list(EXPORT_FORMATS),
                                 format_func=lambda f: EXPORT_FORMATS[f].title, key=f"formats-{run.id}")
        if st.button("Export and check", key=f"export-{run.id}", disabled=not formats):
            exports, errors = {}, {}
            bar = st.progress(0.0)
            for i, fmt in enumerate(formats):
                bar.progress(i / len(formats), text=f"{EXPORT_FORMATS[fmt].title}: converting, then "
                                                    "comparing its outputs with Keras…")
                try:
                    exports[fmt] = export_run(run.id, fmt)
                except ExportError as err:
                    errors[fmt] = str(err)
            bar.progress(1.0, text="Packing labels, model card and code…")
            package = export_package(run.id, list(exports)) if exports else None
            bar.empty()
            st.session_state[f"exports-{run.id}"] = (exports, errors, package)
        exports, errors, package = st.session_state.get(f"exports-{run.id}", ({}, {}, None))
        for fmt, message in errors.items():
            st.error(f"{EXPORT_FORMATS[fmt].title}: {message}")
        for fmt, export in exports.items():
            exported_file_ui(run, EXPORT_FORMATS[fmt].title, export)
        if package:
            st.download_button(f"⬇️ Everything in one zip ({format_bytes(package.stat().st_size)}): models, "
                               "labels.txt, model_card.json, README with the code", package.read_bytes(),
                               file_name=package.name, mime="application/zip", key=f"package-{run.id}")


def exported_file_ui(run: Run, title: str, export) -> None:
    check = export.check
    cols = st.columns([2, 1, 2])
    cols[0].download_button(f"⬇️ {title} · {export.path.name}", export.path.read_bytes(),
                            file_name=export.path.name, mime="application/octet-stream",
                            key=f"dl-{run.id}-{export.format}")
    cols[1].metric("Size", format_bytes(export.bytes))
    verdict = "✅ matches Keras" if check.get("passed") else "⚠️ differs from Keras"
    cols[2].metric("Check", verdict, help=f"{check.get('samples')} examples from {check.get('source')}",
                   delta=f"max difference {check.get('max_abs_diff', 0):.1e} (tolerance {check.get('tolerance', 0):g})",
                   delta_color="off")
    with st.popover(f"Code to run the {title} file"):
        st.code(export.snippet, language="python")


def bundle_ui() -> None:
    """All runs (configs, curves, models) in one zip, and such a zip brought in from another studio."""
    from core.bundle import BundleError, export_bundle, import_bundle
    from pages.common import limited_uploader, over_limit
    st.divider()
    st.subheader("📦 Project bundle")
    st.caption("Every finished run with its settings, curves, results and model in one zip: open it in "
               "Model Studio on another computer and this Runs page appears there, curves included. "
               "Importing never replaces a run that is already here.")
    left, right = st.columns(2)
    with left:
        include_models = st.checkbox("Include the trained models", value=True, key="bundle_models")
        if st.button("Export all runs as one zip", key="bundle_export"):
            bar = st.progress(0.0, text="Packing…")
            try:
                export = export_bundle(include_models=include_models, progress=lambda done, total: bar.progress(
                    done / max(total, 1), text=f"Packing file {done} of {total}"))
            except BundleError as err:
                st.error(str(err))
            else:
                st.session_state["bundle"] = (str(export.path), export.summary)
            bar.empty()
        if "bundle" in st.session_state:
            path, summary = st.session_state["bundle"]
            from pathlib import Path
            if Path(path).exists():
                st.success(summary)
                st.download_button("⬇️ Download the bundle", Path(path).read_bytes(), file_name=Path(path).name,
                                   mime="application/zip", key="bundle_download")
    with right:
        with st.form("bundle_import", clear_on_submit=True):
            upload = limited_uploader("A bundle exported by Model Studio (.zip)", "bundle", type=["zip"],
                                      key="bundle_file")
            submitted = st.form_submit_button("Import the runs")
        if submitted:
            if upload is None:
                st.error("Choose a bundle (.zip) first.")
            elif too_large := over_limit(upload, "bundle"):
                st.error(too_large)
            else:
                bar = st.progress(0.0, text="Checking the bundle…")
                try:
                    report = import_bundle(upload.getvalue(), progress=lambda done, total: bar.progress(
                        done / max(total, 1), text=f"Checking and unpacking file {done} of {total}"))
                except BundleError as err:
                    st.error(str(err))
                else:
                    st.session_state["bundle_report"] = report.summary
                    st.rerun()
                finally:
                    bar.empty()
        if "bundle_report" in st.session_state:
            st.success(st.session_state.pop("bundle_report"))


def main():
    page_setup()
    intro_ui()
    runs = get_store().list_runs()
    if not runs:
        st.info("No runs yet. Open **Train a model** and press Launch: the run appears here at once.")
        st.page_link("pages/train.py", label="Train a model", icon="🏋️")
        bundle_ui()
        return
    selected = table_ui(runs)
    if not selected:
        st.caption("Pick a run above to see its details; pick several to compare them.")
    elif len(selected) == 1:
        detail_ui(selected[0])
    else:
        compare_ui(selected)
    bundle_ui()


main()
