"""Home: what the studio does, in plain words, and a door to every page. No TensorFlow here."""
from collections import Counter

import streamlit as st

from core.formatting import missing
from core.runs import ACTIVE_STATUSES, FINAL_STATUSES
from pages.common import format_number, format_percent, get_store, help_for, page_setup

SUMMARY_ORDER = ("active", *FINAL_STATUSES)


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


def best_test_accuracy(runs):
    """The run with the highest test accuracy among those that have one (a GAN, a failed run or a
    run stopped before its test has none), or None."""
    scored = [r for r in runs if isinstance((r.results or {}).get("test_accuracy"), (int, float))
              and not missing(r.results["test_accuracy"])]
    return max(scored, key=lambda r: r.results["test_accuracy"], default=None)


def recent_runs_ui():
    runs = get_store().list_runs()
    if not runs:
        st.info("No runs yet. The quickest first demo: **Train a model** → *Digits 8x8* → *CNN* → "
                "**Launch**. It trains in a few seconds.")
        return
    counts = Counter("active" if r.status in ACTIVE_STATUSES else r.status for r in runs)
    by_status = ", ".join(f"{format_number(counts[s])} {s}" for s in SUMMARY_ORDER if counts[s])
    line = f"{format_number(len(runs))} run{'s' if len(runs) != 1 else ''} stored: {by_status}"
    best = best_test_accuracy(runs)
    if best is not None:
        line += f" · best test accuracy {format_percent(best.results['test_accuracy'])} ({best.name})"
    gans = sum(1 for r in runs if r.config.get("task") == "gan")
    if gans:
        line += f" · {format_number(gans)} GAN run{'s' if gans != 1 else ''} (GANs draw images: no test accuracy)"
    st.caption(line, help=help_for("test accuracy"))
    st.page_link("pages/runs.py", label="See and compare them on the Runs page", icon="📈")


page_setup()
intro_ui()
doors_ui()
recent_runs_ui()
