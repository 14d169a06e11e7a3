"""Optimizer playground: the studio's own Keras optimizers walk a 2-D loss surface, side by side."""
from __future__ import annotations

import streamlit as st

from core.optim import OPTIMIZERS
from core.principles.surfaces import SURFACES
from pages.common import format_number, help_for, page_setup

PLAYGROUND_OPTIMIZERS = ["gd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw"]
LEARNING_RATES = [0.0001, 0.0003, 0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.2, 0.3, 0.5, 1.0]
DEFAULT_RATE = {"bowl": 0.1, "valley": 0.03, "rosenbrock": 0.002, "saddle": 0.05, "several_minima": 0.01}
TITLES = {"gd": "Gradient descent"} | {k: OPTIMIZERS[k].title for k in PLAYGROUND_OPTIMIZERS if k != "gd"}


def intro_ui():
    st.title("🧭 Optimizer playground")
    st.markdown("Training a network means walking downhill on its **loss surface**: the loss J for "
                "every setting θ of its weights. A real network has millions of weights; here there "
                "are two, x and y, so you can see the surface and watch each optimizer's path. They are "
                "the very `keras.optimizers` the studio trains with: each step hands them the slope "
                "∇J(θ) at the current point, and they move θ by their own rule.")


@st.cache_data(show_spinner="The optimizers are walking…", max_entries=64)
def paths_for(surface_key: str, optimizers: tuple, learning_rate: float, steps: int, params_json: str,
              noise: float, start: tuple):
    import json

    from core.principles.playground import walk
    params = json.loads(params_json)
    return {key: walk(SURFACES[surface_key], key, learning_rate, steps,
                      {name: value for name, value in params.items() if name in OPTIMIZERS[key].params},
                      start, noise) for key in optimizers}


# The knobs the playground offers, each shown only when a chosen optimizer uses it (five sliders
# side by side were too narrow for their labels): key -> (label, optimizers that read it, widget).
KNOBS = {
    "momentum": ("Momentum β", ("momentum", "nesterov"),
                 lambda label, tip: st.slider(label, 0.0, 0.99, 0.9, step=0.01, key="beta", help=tip)),
    "rho": ("RMSprop ρ", ("rmsprop",),
            lambda label, tip: st.slider(label, 0.0, 0.99, 0.9, step=0.01, key="rho", help=tip)),
    "beta_1": ("Adam β₁", ("adam", "adamw"),
               lambda label, tip: st.slider(label, 0.0, 0.99, 0.9, step=0.01, key="beta_1", help=tip)),
    "beta_2": ("Adam β₂", ("adam", "adamw"),
               lambda label, tip: st.select_slider(label, [0.9, 0.99, 0.999, 0.9999], 0.999, key="beta_2",
                                                    help=tip)),
    "weight_decay": ("AdamW λ", ("adamw",),
                     lambda label, tip: st.select_slider(label, [0.0, 0.001, 0.004, 0.01, 0.05, 0.1], 0.004,
                                                          key="weight_decay", help=tip)),
}


def knob_help(name: str, users: tuple) -> str | None:
    """The registry's own plain-words help for a knob (the first optimizer that has it)."""
    specs = [OPTIMIZERS[k].params[name] for k in users if name in OPTIMIZERS[k].params]
    return next((spec.help or help_for(spec.label) for spec in specs if spec.help or help_for(spec.label)), None)


def knobs_ui(chosen: list[str]) -> dict:
    """Sliders for the knobs of the chosen optimizers; the others keep their defaults."""
    shown = [name for name, (_, users, _) in KNOBS.items() if set(users) & set(chosen)]
    values = {"momentum": 0.9, "rho": 0.9, "beta_1": 0.9, "beta_2": 0.999, "weight_decay": 0.004}
    if not shown:
        return values
    # Rows of three: five side by side wrapped their labels ("Momen tum β") at 1024 px.
    cols = [col for start in range(0, len(shown), 3) for col in st.columns(3)]
    for col, name in zip(cols, shown):
        label, users, widget = KNOBS[name]
        with col:
            values[name] = widget(label, knob_help(name, users))
    return values


def settings_ui():
    # Full width: in a narrow column the chips were cut ("SGD with momenti…").
    chosen = st.multiselect("Optimizers", PLAYGROUND_OPTIMIZERS, default=["gd", "momentum", "adam"],
                            format_func=TITLES.get, key="optimizers",
                            help=help_for("optimizer"))
    left, right = st.columns([1, 2])
    with left:
        surface_key = st.selectbox("Loss surface", list(SURFACES), format_func=lambda k: SURFACES[k].title,
                                   key="surface")
        surface = SURFACES[surface_key]
        st.markdown(f"**{surface.formula}**  \n{surface.description}")
    with right:
        cols = st.columns(3)
        with cols[0]:
            rate = st.select_slider("Learning rate α", LEARNING_RATES, DEFAULT_RATE[surface_key],
                                    key=f"rate-{surface_key}", help=help_for("learning rate"))
        steps = cols[1].slider("Steps", 10, 500, 150, step=10, key="steps",
                               help="How many times each optimizer looks at the slope and moves.")
        noise = cols[2].slider("Gradient noise", 0.0, 5.0, 0.0, step=0.5, key="noise",
                               help="0: the exact slope (full-batch gradient descent). Above 0: each "
                                    "step's slope is jittered, the way a mini-batch's gradient scatters "
                                    "around the full one (stochastic gradient descent).")
        params = knobs_ui(chosen)
        cols = st.columns(2)
        start = (cols[0].number_input("Start x", *surface.x_range, float(surface.start[0]), step=0.1,
                                      key=f"start_x-{surface_key}"),
                 cols[1].number_input("Start y", *surface.y_range, float(surface.start[1]), step=0.1,
                                      key=f"start_y-{surface_key}"))
    return surface_key, chosen, rate, steps, params, noise, start


def paths_ui(surface_key, chosen, rate, steps, params, noise, start):
    import json

    import pandas as pd

    from core import charts
    if not chosen:
        st.info("Pick at least one optimizer.")
        return
    surface = SURFACES[surface_key]
    paths = paths_for(surface_key, tuple(chosen), rate, steps, json.dumps(params, sort_keys=True), noise,
                      tuple(float(v) for v in start))
    st.plotly_chart(charts.optimizer_paths_figure(surface, paths, TITLES), key="paths", theme=None)
    st.caption("Press ▶ Play to watch the steps, or drag the slider. Dark blue is low loss, white is high; the gold "
               "star is the minimum" + (" (colours follow log J: the walls are very steep)." if surface.log_colors else "."))
    rows = [result_row(TITLES[k], p) for k, p in paths.items()]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    st.caption("“Steps to the minimum”: the first step whose loss is within 0.001 of the minimum's. "
               "Diverged: the steps grew until the numbers blew up (too large a learning rate).")
    st.plotly_chart(charts.loss_per_step_figure(paths, TITLES, surface.minimum_loss), key="loss_steps")


def point_text(x: float, y: float) -> str:
    """'(0.000, 1.000)': three decimals, and no '-0.000' for a coordinate that is zero to the eye."""
    return "(" + ", ".join(f"{v:.3f}".replace("-0.000", "0.000") for v in (x, y)) + ")"


def result_row(title: str, path) -> dict:
    """One table row; every cell a string, so each column has one type (Arrow needs it)."""
    if path.diverged:
        steps = "— (diverged)"
    elif path.steps_to_minimum is not None:
        steps = format_number(int(path.steps_to_minimum))
    else:
        steps = f"not within {format_number(len(path.points) - 1)}"
    return {"optimizer": title, "steps to the minimum": steps,
            "final loss": "∞" if path.diverged else format_number(path.final_loss),
            "diverged": "💥 yes" if path.diverged else "no",
            "ends at": "—" if path.diverged else point_text(*path.points[-1, :2])}


def rules_ui(chosen):
    st.subheader("The update rules")
    st.markdown("θ = (x, y), α = learning rate, ∇J(θ) = the slope at θ. Each optimizer turns the slope "
                "into a step differently:")
    for key in chosen:
        st.markdown(f"**{TITLES[key]}**")
        st.code(OPTIMIZERS[key].rule.replace("   with ∇J over the whole training set: one step per epoch",
                                             ""), language=None)
    st.caption("Momentum remembers the last steps (a ball rolling downhill); RMSprop and Adagrad divide "
               "by the size of recent slopes, so steep and flat directions get similar steps; Adam does "
               "both, with bias corrections m̂, v̂ for its first steps; AdamW also shrinks θ towards 0.")


def main():
    page_setup()
    intro_ui()
    settings = settings_ui()
    paths_ui(*settings)
    rules_ui(settings[1])


main()
