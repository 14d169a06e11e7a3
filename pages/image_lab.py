"""Image Lab: show the model a photo, see what it recognises and why; teach it your own classes."""
from __future__ import annotations


import numpy as np
import streamlit as st

from core.data import DataError, uploads
from pages.common import (cached_explanation, format_number, format_seconds, help_for, input_tabs_ui, limited_uploader,
                          load_classifier, model_picker_ui, none_of_these_ui, novelty_caption_ui, page_setup,
                          param_widget)
from pages.teach import ClassFolders, TeachSpec, teach_ui

PHOTO_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]
DEFAULT_MODEL = "efficientnet_lite0_imagenet"


def intro_ui():
    st.title("🖼️ Image Lab")
    st.markdown("Show the computer a photo: a real ImageNet model (EfficientNet-Lite0, 1,000 "
                "everyday object classes) says what it sees, how sure it is, and **where** in the "
                "picture it looked. Then teach it your own classes in a minute.")


# -- heavy objects, loaded once per process (the models: pages.common.load_classifier) ------------

@st.cache_data(show_spinner=False)
def example_photos() -> dict[str, np.ndarray]:
    """Photos bundled with scikit-image and scikit-learn (no download)."""
    from skimage import data as skdata
    from sklearn.datasets import load_sample_image
    return {"Chelsea the cat": skdata.chelsea(), "A cup of coffee": skdata.coffee(),
            "Astronaut": skdata.astronaut(), "Rocket": skdata.rocket(),
            "Temple in China": load_sample_image("china.jpg"), "Flower": load_sample_image("flower.jpg")}


# -- 1. the photo ---------------------------------------------------------------------------------

def photo_ui() -> tuple[str, np.ndarray] | None:
    st.subheader("1 · A photo")
    input_tabs_ui("📷 Camera", example_photos_ui,
                  lambda: limited_uploader("A photo (PNG, JPEG, WebP, BMP, GIF, TIFF)", "photo",
                                           type=PHOTO_TYPES, key="photo_upload"),
                  lambda: st.camera_input("Take a picture", key="camera"), _use_photo, limit="photo")
    return st.session_state.get("photo")


def example_photos_ui() -> None:
    photos = example_photos()
    cols = st.columns(len(photos))
    for col, (name, photo) in zip(cols, photos.items()):
        col.image(photo, caption=name, width="stretch")
        if col.button("Use this", key=f"example-{name}"):
            st.session_state["photo"] = (name, photo)


def _use_photo(name: str, data: bytes) -> str | None:
    """Decode a photo and make it the current one; or say why it cannot be used."""
    try:
        photo = uploads.decode_image(data)
    except DataError as err:
        return f"**{name}** cannot be used: {err} Try a PNG or JPEG photo."
    st.session_state["photo"] = (name, photo)
    return None


# -- 2. what the model sees -----------------------------------------------------------------------

def predict_ui(name: str, photo: np.ndarray, model_key: str) -> None:
    from core import charts
    classifier = load_classifier(model_key)
    prediction = classifier.predict(photo)
    st.session_state["prediction"] = prediction
    left, right = st.columns([2, 3])
    with left:
        st.image(photo, caption=f"{name} · {format_number(photo.shape[1])}x{format_number(photo.shape[0])} pixels",
                 width="stretch")
    with right:
        from core.calibration import describe
        best, _ = prediction.top[0]
        if not none_of_these_ui("It sees", classifier, prediction):  # a clock shown to a shapes model
            answer_ui(prediction)
        if classifier.label_help.get(best):
            st.caption(classifier.label_help[best])  # e.g. "tiger cat": "ImageNet class 282: a cat having a striped coat."
        st.plotly_chart(charts.top_k_figure(prediction.top), key="topk")
        st.caption(describe(classifier.calibration), help=help_for("calibrated"))
        novelty_caption_ui(classifier, prediction)
        st.caption(f"Answered in {format_seconds(prediction.seconds)} on this computer's CPU.")
    explain_ui(classifier, photo, prediction, model_key)


def answer_ui(prediction) -> None:
    """The headline: its best class, or the group of classes a person names as one thing."""
    from core.calibration import headline
    from core.image.groups import describe as members
    from core.image.groups import shown_group
    group = shown_group(prediction)
    if group is None:
        st.markdown(headline("It sees", *prediction.top[0], prediction.sure))
        return
    st.markdown(headline("It sees", group.name, group.probability, prediction.sure))  # "cat 92 %"
    st.caption(f"All kinds of {group.name} added up: {members(group)}. The model names 1,000 classes, "
               "several of them kinds of one thing; their probabilities add up to the group's.")


def explain_ui(classifier, photo: np.ndarray, prediction, model_key: str) -> None:
    st.subheader("3 · Why? Where it looked")
    show = st.toggle("Show the Grad-CAM heatmap", value=True, key="gradcam_on", help=help_for("grad-cam"))
    if not show:
        return
    from core.image.groups import members_of, shown_group
    group = shown_group(prediction)
    # The group the headline names comes first, explained as a whole (all its kinds together).
    labels = ([group.name] if group else []) + [label for label, _ in prediction.top]
    cols = st.columns([2, 2, 3])
    from core.inference import input_key
    # Keyed on the photo and the model: a new photo or model starts again from its top answer.
    target = cols[0].selectbox("For the class", labels, key=input_key("gradcam_class", model_key, photo))
    opacity = cols[1].slider("Heatmap opacity", 0.0, 1.0, 0.5, 0.05, key="gradcam_opacity")
    from core.image.explain import overlay
    try:
        with st.spinner("Computing the heatmap…"):
            index = members_of(target, classifier.groups) if group and target == group.name \
                else classifier.class_names.index(target)
            heatmap = cached_explanation(classifier.explain, classifier, photo, index)
    except ValueError as err:  # e.g. a model without convolutional layers
        st.info(f"No heatmap for this model: {err}")
        return
    st.image(overlay(photo, heatmap, opacity), width=min(640, photo.shape[1]),
             caption=f"Red: regions that made the model say “{target}”; blue: regions it ignored. "
                     "The tinted frame is the part of the photo the model looks at.")


# -- 4. teach it your own classes -----------------------------------------------------------------

def capture_photos(classes: dict, place) -> list:
    """One class's photos: uploaded (several at once) and snapshots; new widgets for each class."""
    files = limited_uploader("Its photos", "photo", place, type=PHOTO_TYPES, accept_multiple_files=True,
                             key=f"class_files_{len(classes)}")
    snap = st.camera_input("…or take snapshots one by one", key=f"class_snap_{len(classes)}")
    return [(f.name, f) for f in files or []] + ([("snapshot.jpg", snap)] if snap is not None else [])


def teach_settings_ui(report) -> dict:
    from core.models import ARCHITECTURES
    spec = ARCHITECTURES["efficientnet_transfer"]
    cols = st.columns(len(spec.params) + 1)
    params = {}
    for col, (name, param) in zip(cols, spec.params.items()):
        with col:
            params[name] = param_widget(name, param, key=f"teach-{name}")
    epochs = cols[-1].number_input("Epochs", value=15, step=1, key="teach_epochs")
    return dict(architecture="efficientnet_transfer", arch_params=params, learning_rate=1e-3, epochs=epochs,
                name=f"Image classes: {report.title}")


def _shapes_zip() -> tuple[bytes, str]:
    from core import paths
    return (paths.ASSETS_DIR / "samples" / "shapes.zip").read_bytes(), "Sample shapes"


TEACH = TeachSpec(
    task="image", prefix="teach", heading="4 · Teach it your own classes", noun="photos",
    intro="Give a few photos of each thing you want it to tell apart (10–20 each is plenty). "
          "The studio keeps EfficientNet's eyes (its ImageNet features) and trains a small "
          "new last layer on your classes: **transfer learning**. Curves appear live.",
    spinner="Checking and resizing the photos…",
    examples=ClassFolders(
        zip_label="Zip: one folder per class (cats/…, dogs/…)", zip_limit="images zip",
        import_zip=lambda data, title: uploads.import_image_zip(data, title=title, image_size=224),
        sample_label="Use the sample: drawn shapes (circle, square, triangle)", sample=_shapes_zip,
        classes_tab="➕ Add photos class by class", placeholder="e.g. mug", capture=capture_photos,
        example_limit="photo", add_label="Add this class",
        nothing_captured="Add at least one photo (upload or snapshot) for this class.",
        import_classes=lambda classes, title: uploads.import_image_files(classes, title=title),
        classes_title="My classes"),
    settings=teach_settings_ui, launch_label="🚀 Train my classifier", try_label="🔍 Try it on a photo above",
    validation_split=0.25)


def main():
    page_setup()
    intro_ui()
    chosen = photo_ui()
    st.subheader("2 · What the model sees")
    model_key = model_picker_ui("image", default=DEFAULT_MODEL)
    if chosen is None:
        st.info("Pick an example photo above (one click), upload one, or take one with the camera.")
    else:
        try:
            predict_ui(*chosen, model_key)
        except DataError as err:
            st.error(str(err))
    teach_ui(TEACH)


main()
