"""Network anatomy: activation functions, vanishing gradients, and what each layer of a trained
model outputs for one input."""
from __future__ import annotations

import numpy as np
import streamlit as st

from core.data import DataError, dataset_title
from pages.common import (format_number, format_percent, format_seconds, get_store, help_for, start_run_ui, live_runs_ui, page_setup,
                          run_panel_ui)

QUICK_CNN = dict(dataset="digits", architecture="cnn", optimizer="adam", epochs=8, batch_size=32,
                 name="Digits CNN (for the anatomy page)")
# Launch to end of the quick CNN on an idle 2-core machine: 19 s (issue #14; the runner imports
# TensorFlow and loads the data before it fits; 37 s, 13 s of it fitting, with the machine 7x
# oversubscribed). The button shows what it took here once it has run.
QUICK_CNN_SECONDS = 20


def intro_ui():
    st.title("🫀 Network anatomy")
    st.markdown(
        "**Forward pass**: each layer computes z = W·x + b and passes f(z) on, from the pixels to the "
        "class probabilities. **Loss**: how wrong those probabilities are for the true class. "
        "**Backpropagation**: the chain rule carries the blame back, layer by layer: every step back "
        "multiplies by the layer's weights and by the slope f′(z) of its activation, and each weight "
        "moves a little against its share of the blame.")


@st.cache_data(show_spinner=False)
def _curves():
    from core.principles.anatomy import activation_curves
    return activation_curves()


@st.cache_data(show_spinner="Computing the gradients…")
def _norms(activations: tuple, depth: int):
    from core.principles.anatomy import vanishing_gradients
    return vanishing_gradients(activations, depth)


@st.cache_resource(max_entries=4, show_spinner="Loading the model…")
def _run_model(run_id: str):
    from core.inference import load_run_model
    model, labels, _, _ = load_run_model(run_id)
    return model, labels


def activations_ui():
    from core import charts
    st.subheader("1 · Activation functions and their slopes")
    st.plotly_chart(charts.activations_figure(_curves()), key="activations")
    st.caption("The slope is what backpropagation multiplies by at each layer. A sigmoid's slope is at "
               "most 0.25 and almost 0 once |z| > 4 (saturated); ReLU's is exactly 1 wherever it is "
               "active, and 0 elsewhere.")


def vanishing_ui():
    from core import charts
    st.subheader("2 · Vanishing gradients", help=help_for("vanishing gradients"))
    st.markdown("A fresh deep MLP (every hidden layer 32 neurons) looks at 256 digits once; the bars "
                "show how large each layer's gradient is: how much that layer would learn.")
    cols = st.columns([1, 2])
    depth = cols[0].slider("Hidden layers", 2, 16, 8, key="depth", help=help_for("hidden layer"))
    chosen = cols[1].multiselect("Activations", ["sigmoid", "tanh", "relu", "gelu"], ["sigmoid", "relu"],
                                 key="vanishing_activations", help=help_for("activation"))
    if not chosen:
        st.info("Pick at least one activation.")
        return
    norms = _norms(tuple(chosen), depth)
    st.plotly_chart(charts.gradient_norms_figure(norms), key="gradient_norms")
    if "sigmoid" in norms:
        first, last = norms["sigmoid"][0][1], norms["sigmoid"][-2][1]
        st.caption(f"With sigmoid, the first layer's gradient is {format_number(last / first, 2)}× smaller than "
                   "the last hidden layer's: the layers near the input barely learn. This is why deep networks "
                   "use ReLU (and careful initialisation, normalisation and residual connections).",
                   help=help_for("gradient norm"))


def quick_cnn_label(store) -> str:
    """The quick CNN's button, with how long it took here before (launch to end, measured in the
    store); the first time, what it took on an idle 2-core machine (19 s; the runner imports
    TensorFlow and loads the data first)."""
    taken = sorted(r.ended_at - r.created_at for r in store.list_runs()
                   if r.name == QUICK_CNN["name"] and r.status == "completed" and r.ended_at)
    estimate = taken[len(taken) // 2] if taken else QUICK_CNN_SECONDS
    return f"Train a small digits CNN now (about {format_seconds(estimate)})"


def quick_cnn_ui(runs: list) -> str | None:
    """The button that trains the quick CNN, and its live panel until it can be looked inside.
    Returns its run id once it is among the finished runs (so the picker can select it)."""
    from core.training import RunConfig
    if st.button(quick_cnn_label(get_store()), key="anatomy_train",
                 help="8 epochs on the 8x8 digits, in the background: the page stays usable."):
        start_run_ui(RunConfig(**QUICK_CNN), "anatomy_run")
    quick = st.session_state.get("anatomy_run")
    if not quick:
        return None
    if any(r.id == quick for r in runs):
        return quick
    run_panel_ui(quick)  # training (or failed): its progress; the page reruns itself when it ends
    return None


def model_picker_ui(runs: list, quick: str | None):
    """The model to look inside: the quick CNN as soon as it is ready, else the newest run.

    Options are ids, and the key names the quick run, so a run that has just finished is chosen
    (a widget keeps its old choice, e.g. a race's MLP, as long as its key and options allow)."""
    names = {r.id: f"{r.name} ({r.config['architecture'].upper()}, {dataset_title(r.config['dataset'])})"
             for r in runs}
    ids = list(names)
    run_id = st.selectbox("Model", ids, index=ids.index(quick) if quick else 0, format_func=names.get,
                          key=f"anatomy_model-{quick}" if quick else "anatomy_model")
    return next(r for r in runs if r.id == run_id)


def trained_model_ui():
    from core.inference import finished_runs
    st.subheader("3 · Inside a trained model")
    runs = [r for r in finished_runs("image", get_store()) if r.config.get("architecture") in ("cnn", "mlp")]
    quick = quick_cnn_ui(runs)
    if not runs:
        st.info("No trained image model yet: train the small digits CNN above (one click).")
        return
    run = model_picker_ui(runs, quick)
    try:
        inside_ui(run)
    except DataError as err:  # the run's data is gone (a deleted upload): nothing to look at
        st.warning(f"This run's test images cannot be loaded: {err}")
        return
    across_training_ui(run)


def inside_ui(run) -> None:
    """One test image through the model: its answer, its layers, and every layer's output."""
    from core.data import load_dataset
    from core.models import layer_table
    from core.principles.anatomy import layer_outputs
    model, labels = _run_model(run.id)
    data = load_dataset(run.config["dataset"], run.config.get("dataset_params"))
    if len(data.x_test) == 0:
        st.info("This run's dataset has no test images to look at.")
        return
    index = 0
    if len(data.x_test) > 1:  # one image: no slider (a slider from 0 to 0 is an error)
        index = st.slider("Test image", 0, len(data.x_test) - 1, 0, key=f"anatomy_image-{run.id}")
    image = data.x_test[index]
    outputs = layer_outputs(model, image[None].astype("float32"))
    left, right = st.columns([1, 3])
    with left:
        st.image(image if image.shape[-1] == 3 else image[..., 0], width=140,
                 caption=f"true: {labels[data.y_test[index]]}")
        probabilities = outputs[-1][1][0]
        st.metric("Model says", labels[int(probabilities.argmax())],
                  f"{format_percent(probabilities.max(), 0)} sure", help=help_for("confidence"))
    with right:
        st.dataframe(layer_table(model), hide_index=True, height=260)
    maps = layer_outputs_ui(outputs[:-1])
    if maps:
        st.caption("Early filters respond to strokes and edges; later ones to larger parts of the digit. "
                   "Bright = strongly active.", help=help_for("feature map"))
    else:
        st.caption(f"This model is an {run.config['architecture'].upper()}: it has no convolutional filters, so "
                   "there are no feature maps to show. Each bar chart is one layer's outputs (one bar per "
                   "neuron) for this image. Train the small digits CNN above to see filters.",
                   help=help_for(run.config["architecture"]))


def layer_outputs_ui(outputs) -> int:
    """A picture grid per convolutional layer, a bar chart per small dense layer; returns how many
    feature-map grids were drawn."""
    from core import charts
    drawn = 0
    for name, out in outputs:
        if name == "pixels_to_unit":
            continue  # the input again, rescaled to 0-1
        out = out[0]
        if out.ndim == 3:  # feature maps: one small picture per filter
            maps = np.moveaxis(out, -1, 0)[:16]
            scaled = (255 * (maps - maps.min()) / (np.ptp(maps) or 1)).astype(np.uint8)[..., None]
            fig = charts.image_grid_figure(scaled, [f"filter {i + 1}" for i in range(len(scaled))])
            fig.update_layout(title=f"{name}: {out.shape[-1]} feature maps of {out.shape[0]}×{out.shape[1]}"
                                    + (" (first 16)" if out.shape[-1] > 16 else ""))
            st.plotly_chart(fig, key=f"maps-{name}")
            drawn += 1
        elif out.ndim == 1 and out.size <= 256:
            st.bar_chart(out, height=140, x_label=f"{name}: {out.size} outputs", y_label="")
    return drawn


def across_training_ui(run):
    from core import charts
    from core.training.callbacks import read_layer_stats
    records = read_layer_stats(run.dir / "layer_stats.jsonl")
    if not records:
        st.caption("This run was trained before the studio recorded layer statistics.")
        return
    st.markdown("**Across training**: after every epoch the runner measured each layer's gradient on "
                "the same 128 training examples and took a histogram of its weights.",
                help=help_for("gradient norm"))
    left, right = st.columns(2)
    left.plotly_chart(charts.gradient_norms_over_training_figure(records, "Gradient per layer, by epoch"),
                      key="grad_over_training")
    layer = right.selectbox("Layer", [item["name"] for item in records[0]["layers"]], key=f"hist_layer-{run.id}",
                            help=help_for("weights"))
    right.plotly_chart(charts.weight_histograms_figure(records, layer), key="weight_histograms")


def deep_pair_ui():
    from core.training import RunConfig, launch
    st.subheader("4 · Vanishing gradients during training")
    st.markdown("The same 8-layer MLP on the digits (weights started the Glorot way), once with sigmoid and "
                "once with ReLU, trained for real: compare how much their first layers learn, epoch after epoch.",
                help=help_for("glorot"))
    if st.button("Train both (about a minute)", key="deep_pair"):
        base = dict(dataset="digits", architecture="mlp", optimizer="adam", epochs=10, batch_size=32)
        st.session_state["deep_pair_runs"] = [
            launch(RunConfig(**base, arch_params={"hidden_layers": 8, "units": 32, "activation": act,
                                                  "initializer": "glorot"}, name=f"Deep {act} MLP (anatomy)"))
            for act in ("sigmoid", "relu")]
    ids = st.session_state.get("deep_pair_runs")
    if not ids:
        return
    from core import charts
    from core.training.callbacks import read_layer_stats

    def draw(runs):
        cols = st.columns(len(runs))
        for col, run in zip(cols, runs):
            records = read_layer_stats(run.dir / "layer_stats.jsonl")
            col.markdown(f"**{run.name}** · {run.status}")
            if records:
                col.plotly_chart(charts.gradient_norms_over_training_figure(records, run.name.split(" (")[0]),
                                 key=f"pair-{run.id}")

    live_runs_ui(ids, draw)


def main():
    page_setup()
    intro_ui()
    activations_ui()
    vanishing_ui()
    trained_model_ui()
    deep_pair_ui()


main()
