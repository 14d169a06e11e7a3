"""Home: what the studio does, in plain words, and a door to every page. No TensorFlow here."""
import streamlit as st

from core.runs import ACTIVE_STATUSES
from pages.common import get_store, page_setup


def intro_ui():
    st.title("🧪 Model Studio")
    st.markdown(
        "See what deep-learning models do, and watch them learn. Everything runs **on this "
        "computer**, offline: real Keras models, real data, real measurements.")


def doors_ui():
    with st.container(border=True):
        st.subheader("🖼️ Image Lab")
        st.markdown("Show it a photo: a real ImageNet model names what it sees, shows **where** it "
                    "looked (Grad-CAM heatmap), and learns your own classes from a few examples.")
        st.page_link("pages/image_lab.py", label="Open the Image Lab", icon="➡️")
    with st.container(border=True):
        st.subheader("🎧 Audio Lab")
        st.markdown("Play it a clip or record one: see the sound as a spectrogram, let a Keras "
                    "network spot command words (and show where it listened), transcribe speech "
                    "offline, and teach it your own sounds.")
        st.page_link("pages/audio_lab.py", label="Open the Audio Lab", icon="➡️")
    with st.container(border=True):
        st.subheader("📝 Text Lab")
        st.markdown("Paste a review or an email: see its sentiment word by word, its topic with the "
                    "words that decided it and a Transformer's attention map, translate with the "
                    "alignment on screen, score a whole CSV, and teach it your own labels.")
        st.page_link("pages/text_lab.py", label="Open the Text Lab", icon="➡️")
    with st.container(border=True):
        st.subheader("🧭 Optimizer playground")
        st.markdown("Watch gradient descent, momentum, RMSprop, Adam and friends walk downhill on a "
                    "loss surface you can see, with their update rules beside them: why some zig-zag, "
                    "some overshoot, and some blow up.")
        st.page_link("pages/optimizers.py", label="Open the optimizer playground", icon="➡️")
        st.page_link("pages/race.py", label="Race optimizers on real training runs", icon="🏁")
        st.page_link("pages/anatomy.py", label="Look inside a network: slopes, vanishing gradients, feature maps",
                     icon="🫀")
        st.page_link("pages/scale.py", label="Why large models win: loss against size", icon="📈")
        st.page_link("pages/gan.py", label="GAN studio: a network that learns to draw", icon="🎨")
    left, right = st.columns(2)
    with left.container(border=True):
        st.subheader("🏋️ Train a model")
        st.markdown("Pick a dataset (bundled, or your own images or texts), a network and an "
                    "optimizer, press **Launch** and watch the loss fall, live. Stop it any time.")
        st.page_link("pages/train.py", label="Open the training page", icon="➡️")
    with right.container(border=True):
        st.subheader("📈 Compare runs")
        st.markdown("Every run is kept: its settings, curves and model. Overlay several runs, see "
                    "what differs between them, download a model, delete the rest.")
        st.page_link("pages/runs.py", label="Open the runs page", icon="➡️")


def recent_runs_ui():
    runs = get_store().list_runs()
    if not runs:
        st.info("No runs yet. The quickest first demo: **Train a model** → *Digits 8x8* → *CNN* → "
                "**Launch**. It trains in a few seconds.")
        return
    active = [r for r in runs if r.status in ACTIVE_STATUSES]
    done = [r for r in runs if r.results]
    st.caption(f"{len(runs)} runs stored · {len(active)} active"
               + (f" · best test accuracy {max(r.results['test_accuracy'] for r in done):.1%}" if done else ""))


page_setup()
intro_ui()
doors_ui()
recent_runs_ui()
