"""GAN studio: a DCGAN learns to draw digits (or clothes) from noise, watched epoch by epoch."""
from __future__ import annotations

import numpy as np
import streamlit as st

from core.data import DATASETS
from pages.common import get_store, help_for, start_run_ui, page_setup, status_badge

GAN_DATASETS = ["digits", "mnist", "fashion_mnist"]


def intro_ui():
    st.title("🎨 GAN studio")
    st.markdown("Two networks trained against each other. The **generator** turns 32 random numbers "
                "(noise) into an image; the **discriminator** sees real images and generated ones and "
                "learns to tell them apart; the generator learns to fool it. Below, the same 16 noise "
                "vectors are drawn after every epoch, so you watch the same images come into focus.")
    words_ui({"GAN": "gan", "Generator": "generator", "Discriminator": "discriminator",
              "Noise (latent) dimensions": "latent", "Epoch": "epoch"})


def words_ui(words: dict[str, str]) -> None:
    """The page's technical words (shown name -> glossary term) in plain words, until asked for."""
    with st.popover("What do these words mean?"):
        for shown, term in words.items():
            st.markdown(f"**{shown}**: {help_for(term)}")


def settings_ui():
    from core.training import RunConfig
    # Three settings on a row, the button under them: in four columns at 1024 px the dataset's
    # name ("Digits 8x8 (sci…") and then the button's label were cut.
    cols = st.columns([4, 2, 3])
    dataset = cols[0].selectbox("Images", GAN_DATASETS, format_func=lambda k: DATASETS[k].title, key="gan_data")
    epochs = cols[1].number_input("Epochs", 1, 200, 30 if dataset == "digits" else 10, key=f"gan_epochs-{dataset}",
                                  help=help_for("epoch"))
    latent = cols[2].select_slider("Noise dimensions", [2, 8, 16, 32, 64], 32, key="gan_latent",
                                   help=help_for("latent"))
    if st.button("🎨 Train the GAN", key="gan_start", type="primary"):
        start_run_ui(RunConfig(dataset=dataset, architecture="dcgan", task="gan", epochs=int(epochs),
                            batch_size=64, learning_rate=2e-4, arch_params={"latent_dim": latent},
                            name=f"GAN: {DATASETS[dataset].title}"), "gan_run")


def gan_runs():
    return [r for r in get_store().list_runs() if r.config.get("task") == "gan"]


def run_ui():
    runs = gan_runs()
    if not runs:
        st.info("Press **Train the GAN**. On the 8x8 digits, 30 epochs take under a minute; MNIST's "
                "28x28 digits take longer and come out far more recognisable.")
        return None
    wanted = st.session_state.pop("gan_run_pick", None) or st.session_state.get("gan_run")
    names = {r.id: f"{r.name} · {r.id}" for r in runs}  # its status: the live badge below
    ids = list(names)
    index = ids.index(wanted) if wanted in ids else 0
    # Options are ids, not Run objects: a widget may hand back the Run it stored on an earlier
    # rerun (status "running" for ever), and the panel would poll a finished run without end.
    store = get_store()
    run = store.get_run(st.selectbox("Run", ids, index=index, format_func=names.get, key=f"gan_select-{wanted}"))
    every = 1.0 if run.is_active else None

    @st.fragment(run_every=every)
    def live():
        from core import charts
        from core.training.gan import sample_paths
        current = store.get_run(run.id)
        head = st.columns([5, 1])
        with head[0]:
            status_badge(current.status)
        if current.is_active and head[1].button("⏹ Stop", key="gan_stop", type="primary"):
            store.request_stop(run.id)
        samples = sample_paths(run.id)
        left, right = st.columns([3, 2])
        if samples:
            shown = pick_sample(samples, current, run.id)
            grid = np.load(shown)
            fig = charts.image_grid_figure(grid, [""] * len(grid), columns=4, width=340)
            fig.update_layout(title=f"Same 16 noise vectors, epoch {int(shown.stem.split('_')[1])}")
            left.plotly_chart(fig, key="gan_grid")
        else:
            left.info("Waiting for the first epoch…")
        metrics = store.metrics(run.id, "epoch")
        if metrics.empty:
            right.info("The generator's and discriminator's losses appear after the first epoch.")
        else:
            right.plotly_chart(charts.gan_losses_figure(metrics), key="gan_losses")
        right.caption("Neither loss should reach zero: if the discriminator's did, it would have won and "
                      "the generator would stop learning. A tug of war that stays balanced is healthy.")
        if every and not current.is_active:
            st.rerun()

    live()
    return store.get_run(run.id)


def pick_sample(samples: list, run, run_id: str):
    """The sample grid to show: the newest while training; after, any epoch on a slider. One
    epoch gives one grid and no slider (a slider from 1 to 1 is an error in Streamlit)."""
    if run.is_active or len(samples) == 1:
        return samples[-1]
    epoch = st.slider("Epoch", 1, len(samples), len(samples), key=f"gan_epoch-{run_id}",
                      help=help_for("epoch"))
    return samples[epoch - 1]


@st.cache_resource(max_entries=4, show_spinner="Loading the generator…")
def load_generator(run_id: str):
    import keras
    from core import paths
    return keras.models.load_model(paths.run_dir(run_id) / "model.keras", safe_mode=True)


def interpolation_ui(run):
    from core.training.gan import to_pixels
    if run is None or run.is_active or not run.model_path.exists():
        return
    st.subheader("Walk between two images")
    st.markdown("Every point of the noise space is an image. Pick two points; the slider walks the "
                "straight line between them, and the generator draws every step: one image morphs "
                "into the other.")
    generator = load_generator(run.id)
    latent = generator.input_shape[-1]
    cols = st.columns(3)
    a = cols[0].number_input("Start point (seed)", 0, 10_000, 1, key="gan_a")
    b = cols[1].number_input("End point (seed)", 0, 10_000, 2, key="gan_b")
    t = cols[2].slider("Position", 0.0, 1.0, 0.5, step=0.05, key="gan_t")
    za = np.random.default_rng(int(a)).normal(size=latent)
    zb = np.random.default_rng(int(b)).normal(size=latent)
    steps = np.linspace(0, 1, 9)
    z = np.stack([(1 - s) * za + s * zb for s in list(steps) + [t]]).astype("float32")
    images = to_pixels(generator.predict_on_batch(z))
    strip = [img[..., 0] if img.shape[-1] == 1 else img for img in images]
    st.image(strip[:-1], width=72, caption=[f"{s:.2f}" for s in steps])
    st.image(strip[-1], width=180, caption=f"position {t:.2f}")


def main():
    page_setup()
    intro_ui()
    settings_ui()
    run = run_ui()
    interpolation_ui(run)


main()
