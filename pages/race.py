"""Optimizer race: the same data and network trained with several optimizers, curves overlaid live."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data import DATASETS
from core.principles.race import ENTRANTS, Entrant
from pages.common import (format_number, format_seconds, get_store, help_for, keep_settings, live_runs_ui,
                          metric_label, page_setup)

RACE_DATASETS = ["digits", "moons", "spirals", "mnist"]
DEFAULT_ENTRANTS = ["gd", "sgd", "sgd_1", "momentum", "adam"]


def intro_ui():
    st.title("🏁 Optimizer race")
    st.markdown("The same data, the same network, the same starting weights: only the optimizer "
                "differs. Each entrant is a real training run; their validation loss is drawn on top "
                "of each other against **epochs** (how many passes over the data) and against "
                "**seconds** (what you actually wait). Full-batch gradient descent takes one careful "
                "step per epoch; SGD with batch size 1 takes one noisy step per example.")


# The settings' starting values: keep_settings hands them (then the last ones chosen) to the widgets.
SETTINGS = {"race_data": "digits", "race_arch": "mlp", "race_epochs": 10, "race_target": 0.3,
            "race_entrants": DEFAULT_ENTRANTS}


def settings_ui():
    keep_settings(SETTINGS)  # coming back to the page, the settings beside the last race's results
    # Two rows of two: in four columns at 1024 px "Digits 8x8 (scikit-learn)" read "Digits 8x8 (sci…".
    cols = st.columns(2) + st.columns(2)
    dataset = cols[0].selectbox("Dataset", RACE_DATASETS, format_func=lambda k: DATASETS[k].title, key="race_data")
    architecture = cols[1].selectbox("Network", ["mlp", "cnn"], key="race_arch",
                                     format_func={"mlp": "MLP", "cnn": "CNN (images only)"}.get)
    epochs = cols[2].number_input("Epochs", 1, 100, key="race_epochs", help=help_for("epoch"))
    # A short label: "Target validation loss" wrapped onto two lines in a quarter of the page.
    target = cols[3].number_input("Target loss", 0.001, 10.0, step=0.05, key="race_target",
                                  help="The validation loss to reach (how wrong the model is on examples held "
                                       "back from training); the table says when each entrant first got there.")
    chosen = st.multiselect("Entrants", list(ENTRANTS), key="race_entrants",
                            format_func=lambda k: ENTRANTS[k].label)
    table = pd.DataFrame([{"entrant": ENTRANTS[k].label, "learning rate": ENTRANTS[k].learning_rate,
                           "batch size": ENTRANTS[k].batch_size} for k in chosen])
    edited = st.data_editor(table, hide_index=True, disabled=["entrant"], key="race_table",
                            column_config={"learning rate": st.column_config.NumberColumn(format="%g", min_value=1e-6, max_value=10.0),
                                           "batch size": st.column_config.NumberColumn(min_value=1, max_value=100000, step=1)})
    st.caption("Full-batch gradient descent always steps on the whole training set: its batch size is ignored.")
    entrants = [Entrant(ENTRANTS[k].label, ENTRANTS[k].optimizer, float(row["learning rate"]),
                        int(row["batch size"]), ENTRANTS[k].params) for k, (_, row) in zip(chosen, edited.iterrows())]
    return dataset, architecture, int(epochs), float(target), entrants


def launch_ui(dataset, architecture, epochs, entrants):
    from core.params import ConfigError
    from core.principles.race import race_configs
    from core.training import launch
    if st.button("🏁 Start the race", key="race_start", type="primary", disabled=not entrants):
        try:
            configs = race_configs(entrants, dataset, architecture, epochs)
        except ConfigError as err:
            st.error("Cannot start the race:\n" + "\n".join(f"- {p}" for p in err.problems))
            return
        st.session_state["race"] = [launch(config) for config in configs]
        st.rerun()


def race_time_hint() -> str:
    """How long the chosen race takes, from this computer's own finished runs of the same settings
    (each entrant is a runner process of its own, TensorFlow start included; they take turns)."""
    state = st.session_state
    chosen = [ENTRANTS[k] for k in state.get("race_entrants", DEFAULT_ENTRANTS) if k in ENTRANTS]
    wanted = {"dataset": state.get("race_data", RACE_DATASETS[0]), "architecture": state.get("race_arch", "mlp"),
              "epochs": int(state.get("race_epochs", 10))}
    finished = [run for run in get_store().list_runs() if run.status == "completed" and run.started_at
                and run.ended_at and all(run.config.get(k) == v for k, v in wanted.items())]
    timed, untimed = 0.0, 0
    for entrant in chosen:
        same = [run for run in finished if run.config.get("optimizer") == entrant.optimizer
                and run.config.get("batch_size") == entrant.batch_size
                and run.config.get("learning_rate") == entrant.learning_rate]
        if same:  # newest first (list_runs order)
            timed += same[0].ended_at - same[0].started_at
        else:
            untimed += 1
    if chosen and not untimed:
        return f"The same race took {format_seconds(timed)} here last time."
    if timed:
        return (f"{len(chosen) - untimed} of these entrants took {format_seconds(timed)} here before; "
                f"{untimed} more have not been timed on this computer yet.")
    return ("Each entrant is a training run of its own, started one after another (each loads "
            "TensorFlow first, about 10 s); the five default entrants on digits with an MLP were "
            "measured at about 1 min 40 s here.")


def race_ui(target: float):
    run_ids = st.session_state.get("race")
    if not run_ids:
        st.info("Pick the entrants and press **Start the race**. " + race_time_hint())
        return
    store = get_store()

    def draw(runs):
        from core import charts
        from core.principles.race import race_table
        active = [run for run in runs if run.is_active]
        head = st.columns([3, 2])  # room for "⏹ Stop the race" (a fifth of the page cut it)
        head[0].markdown(f"**{len(runs) - len(active)} of {len(runs)} finished**"
                         + (" · runs take turns in the runner's queue" if len(active) > 1 else ""))
        if active and head[1].button("⏹ Stop the race", key="race_stop"):
            for run in active:
                store.request_stop(run.id)
        curves = {run.name.split(" · ", 1)[-1]: store.metrics(run.id) for run in runs}
        left, right = st.columns(2)
        left.plotly_chart(charts.overlay_figure(curves, "val_loss", "epoch"), key="race_epochs_chart")
        right.plotly_chart(charts.overlay_figure(curves, "val_loss", "time"), key="race_time_chart")
        st.dataframe(race_frame(race_table(runs, store, target)), hide_index=True,
                     # Status sized for "completed": widths are set when a live table first shows
                     # ("queued"), and "completed" then read "complete…".
                     column_config={"entrant": st.column_config.TextColumn(pinned=True),
                                    "status": st.column_config.TextColumn(width=100)})
        if not active:
            st.caption("Finished. Every entrant is also on the Runs page, with its model.")

    live_runs_ui(run_ids, draw)


def race_frame(rows: list[dict]) -> pd.DataFrame:
    """The race table as people read it, narrow enough for a 1024 px screen: metric names in words
    ("best val_loss" -> "best validation loss"), when the target was reached in one column ("epoch 3 ·
    18 s"), learning rate and batch size left to the editor above; every cell text, so each column
    has one type (batch size mixed "all" with numbers, which Arrow cannot serialise: a traceback in
    the console at every refresh of a running race)."""
    def cell(key, value):
        if key.startswith("seconds"):
            return format_seconds(value, dash="—")
        return value if isinstance(value, str) else format_number(value)

    def heading(key):
        if key in ("seconds of training", "epochs done"):
            return {"seconds of training": "training time", "epochs done": "epochs"}[key]
        return f"best {metric_label(key[5:]).lower()}" if key.startswith("best ") else key

    def shown(row):
        out = {heading(k): cell(k, v) for k, v in row.items()
               if k not in ("batch size", "learning rate", "epochs to target", "seconds to target")}
        reached = row.get("epochs to target")
        out["reached the target"] = (f"epoch {reached} · {format_seconds(row.get('seconds to target'), dash='—')}"
                                     if reached is not None else "not yet")
        return out
    return pd.DataFrame([shown(row) for row in rows])


def main():
    page_setup()
    intro_ui()
    dataset, architecture, epochs, target, entrants = settings_ui()
    launch_ui(dataset, architecture, epochs, entrants)
    race_ui(target)


main()
