"""Network anatomy: activation functions, vanishing gradients, and what each layer of a trained
model outputs for one input."""
from __future__ import annotations

import numpy as np
import streamlit as st

from pages.common import get_store, launch_ui, live_runs_ui, page_setup, run_panel_ui

QUICK_CNN = dict(dataset="digits", architecture="cnn", optimizer="adam", epochs=8, batch_size=32,
                 name="Digits CNN (for the anatomy page)")


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
    st.subheader("2 · Vanishing gradients")
    st.markdown("A fresh deep MLP (every hidden layer 32 neurons) looks at 256 digits once; the bars "
                "show how large each layer's gradient is: how much that layer would learn.")
    cols = st.columns([1, 2])
    depth = cols[0].slider("Hidden layers", 2, 16, 8, key="depth")
    chosen = cols[1].multiselect("Activations", ["sigmoid", "tanh", "relu", "gelu"], ["sigmoid", "relu"],
                                 key="vanishing_activations")
    if not chosen:
        st.info("Pick at least one activation.")
        return
    norms = _norms(tuple(chosen), depth)
    st.plotly_chart(charts.gradient_norms_figure(norms), key="gradient_norms")
    if "sigmoid" in norms:
        first, last = norms["sigmoid"][0][1], norms["sigmoid"][-2][1]
        st.caption(f"With sigmoid, the first layer's gradient is {last / first:,.0f}× smaller than the last "
                   "hidden layer's: the layers near the input barely learn. This is why deep networks "
                   "use ReLU (and careful initialisation, normalisation and residual connections).")


def trained_model_ui():
    from core import charts
    from core.data import load_dataset
    from core.inference import finished_runs
    from core.models import layer_table
    st.subheader("3 · Inside a trained model")
    runs = [r for r in finished_runs("image", get_store()) if r.config.get("architecture") in ("cnn", "mlp")]
    if st.button("Train a small digits CNN now (about 20 s)", key="anatomy_train"):
        from core.training import RunConfig
        launch_ui(RunConfig(**QUICK_CNN), "anatomy_run")
    if st.session_state.get("anatomy_run") and not any(r.id == st.session_state["anatomy_run"] for r in runs):
        run_panel_ui(st.session_state["anatomy_run"])
    if not runs:
        st.info("No trained image model yet: train the small digits CNN above (one click).")
        return
    run = st.selectbox("Model", runs, format_func=lambda r: f"{r.name} ({r.config['architecture']}, "
                                                             f"{r.config['dataset']})", key="anatomy_model")
    model, labels = _run_model(run.id)
    data = load_dataset(run.config["dataset"], run.config.get("dataset_params"))
    index = st.slider("Test image", 0, len(data.x_test) - 1, 0, key="anatomy_image")
    image = data.x_test[index]
    from core.principles.anatomy import layer_outputs
    outputs = layer_outputs(model, image[None].astype("float32"))
    left, right = st.columns([1, 3])
    with left:
        st.image(image if image.shape[-1] == 3 else image[..., 0], width=140,
                 caption=f"true: {labels[data.y_test[index]]}")
        probabilities = outputs[-1][1][0]
        st.metric("Model says", labels[int(probabilities.argmax())], f"{probabilities.max():.0%} sure")
    with right:
        st.dataframe(layer_table(model), hide_index=True, height=260)
    for name, out in outputs[:-1]:
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
        elif out.ndim == 1 and out.size <= 256:
            st.bar_chart(out, height=140, x_label=f"{name}: {out.size} outputs", y_label="")
    st.caption("Early filters respond to strokes and edges; later ones to larger parts of the digit. "
               "Bright = strongly active.")
    across_training_ui(run)


def across_training_ui(run):
    from core import charts
    from core.training.callbacks import read_layer_stats
    records = read_layer_stats(run.dir / "layer_stats.jsonl")
    if not records:
        st.caption("This run was trained before the studio recorded layer statistics.")
        return
    st.markdown("**Across training**: after every epoch the runner measured each layer's gradient on "
                "the same 128 training examples and took a histogram of its weights.")
    left, right = st.columns(2)
    left.plotly_chart(charts.gradient_norms_over_training_figure(records, "Gradient norm per layer, epoch by epoch"),
                      key="grad_over_training")
    layer = right.selectbox("Layer", [item["name"] for item in records[0]["layers"]], key="hist_layer")
    right.plotly_chart(charts.weight_histograms_figure(records, layer), key="weight_histograms")


def deep_pair_ui():
    from core.training import RunConfig, launch
    st.subheader("4 · Vanishing gradients during training")
    st.markdown("The same 8-layer MLP on the digits, once with sigmoid and once with ReLU, trained for "
                "real: compare how much their first layers learn, epoch after epoch.")
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
