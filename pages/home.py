"""Home: what the studio does, in plain words, and a door to every page. No TensorFlow here."""
from collections import Counter

import streamlit as st

from core.formatting import missing
from core.runs import ACTIVE_STATUSES, FINAL_STATUSES
from pages.common import format_number, format_percent, get_store, help_for, page_setup
from pages.site import sections

SUMMARY_ORDER = ("active", *FINAL_STATUSES)


def intro_ui():
    st.title("🧪 Model Studio")
    st.markdown(
        "See what deep-learning models do, and watch them learn. Everything runs **on this "
        "computer**, offline: real Keras models, real data, real measurements.")


def doors_ui():
    """A door to every page, drawn from the one page list (pages/site.py), section by section."""
    for section, specs in sections().items():
        doors = [spec for spec in specs if spec.door]
        if not doors:
            continue
        st.subheader(section)
        for row in range(0, len(doors), 2):  # two a row: three cut the links at 1024 px
            for col, spec in zip(st.columns(2), doors[row:row + 2]):
                with col.container(border=True, height="stretch"):
                    st.markdown(f"**{spec.icon} {spec.title}**")
                    st.markdown(spec.door)
                    st.page_link(spec.path, label=spec.link or f"Open {spec.title}", icon="➡️")


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
