"""Image Lab: show the model a photo, see what it recognises and why; teach it your own classes."""
from __future__ import annotations


import numpy as np
import streamlit as st

from core.data import DataError, uploads
from pages.common import (format_number, format_seconds, get_store, help_for,
                          import_examples, import_model_ui, import_outcome_ui, imported_notice_ui,
                          limited_uploader, model_card_ui, over_limit, page_setup,
                          launch_ui, taught_run_ui, use_new_file_ui)

PHOTO_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]
DEFAULT_MODEL = "efficientnet_lite0_imagenet"


def intro_ui():
    st.title("🖼️ Image Lab")
    st.markdown("Show the computer a photo: a real ImageNet model (EfficientNet-Lite0, 1,000 "
                "everyday object classes) says what it sees, how sure it is, and **where** in the "
                "picture it looked. Then teach it your own classes in a minute.")


# -- heavy objects, loaded once per process -------------------------------------------------------

@st.cache_data(show_spinner=False)
def example_photos() -> dict[str, np.ndarray]:
    """Photos bundled with scikit-image and scikit-learn (no download)."""
    from skimage import data as skdata
    from sklearn.datasets import load_sample_image
    return {"Chelsea the cat": skdata.chelsea(), "A cup of coffee": skdata.coffee(),
            "Astronaut": skdata.astronaut(), "Rocket": skdata.rocket(),
            "Temple in China": load_sample_image("china.jpg"), "Flower": load_sample_image("flower.jpg")}


@st.cache_resource(show_spinner=False, max_entries=6)
def load_classifier(key: str):
    from core.inference import load_image_model
    bar = st.progress(0.0, text="Preparing the model…")
    try:
        return load_image_model(key, progress=lambda f, message: bar.progress(min(1.0, f), text=message))
    finally:
        bar.empty()


def model_choices() -> dict[str, "ModelInfo"]:  # noqa: F821 - typing only
    from core.inference import list_image_models
    return {info.key: info for info in list_image_models(get_store())}


# -- 1. the photo ---------------------------------------------------------------------------------

def photo_ui() -> tuple[str, np.ndarray] | None:
    st.subheader("1 · A photo")
    examples, upload, camera = st.tabs(["📚 Examples", "⬆️ Upload", "📷 Camera"])
    with examples:
        photos = example_photos()
        cols = st.columns(len(photos))
        for col, (name, photo) in zip(cols, photos.items()):
            col.image(photo, caption=name, width="stretch")
            if col.button("Use this", key=f"example-{name}"):
                st.session_state["photo"] = (name, photo)
    with upload:
        file = limited_uploader("A photo (PNG, JPEG, WebP, BMP, GIF, TIFF)", "photo",
                                type=PHOTO_TYPES, key="photo_upload")
        use_new_file_ui(file, "upload", _use_photo, limit="photo")
    with camera:
        shot = st.camera_input("Take a picture", key="camera")
        use_new_file_ui(shot, "camera", _use_photo, limit="photo")
    return st.session_state.get("photo")


def _use_photo(name: str, data: bytes) -> str | None:
    """Decode a photo and make it the current one; or say why it cannot be used."""
    try:
        photo = uploads.decode_image(data)
    except DataError as err:
        return f"**{name}** cannot be used: {err} Try a PNG or JPEG photo."
    st.session_state["photo"] = (name, photo)
    return None


# -- 2. what the model sees -----------------------------------------------------------------------

def model_picker_ui() -> str:
    choices = model_choices()
    keys = list(choices)
    wanted = st.session_state.pop("pick_model", None)
    if wanted in keys:
        st.session_state["image_model"] = wanted
    key = st.selectbox("Model", keys, format_func=lambda k: choices[k].title, key="image_model",
                       index=keys.index(DEFAULT_MODEL) if DEFAULT_MODEL in keys else 0)
    model_card_ui(choices[key].card)
    imported_notice_ui()
    import_model_ui("image", "pick_model")
    return key


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
        from core.calibration import describe, headline
        best, p = prediction.top[0]
        st.markdown(headline("It sees", best, p, prediction.sure))
        st.plotly_chart(charts.top_k_figure(prediction.top), key="topk")
        st.caption(describe(classifier.calibration), help=help_for("calibrated"))
        st.caption(f"Answered in {format_seconds(prediction.seconds)} on this computer's CPU.")
    explain_ui(classifier, photo, prediction, model_key)


def explain_ui(classifier, photo: np.ndarray, prediction, model_key: str) -> None:
    st.subheader("3 · Why? Where it looked")
    show = st.toggle("Show the Grad-CAM heatmap", value=True, key="gradcam_on", help=help_for("grad-cam"))
    if not show:
        return
    labels = [label for label, _ in prediction.top]
    cols = st.columns([2, 2, 3])
    from core.inference import input_key
    # Keyed on the photo and the model: a new photo or model starts again from its top answer.
    target = cols[0].selectbox("For the class", labels, key=input_key("gradcam_class", model_key, photo))
    opacity = cols[1].slider("Heatmap opacity", 0.0, 1.0, 0.5, 0.05, key="gradcam_opacity")
    from core.image.explain import grad_cam, overlay
    try:
        with st.spinner("Computing the heatmap…"):
            heatmap = _grad_cam_cached(classifier, photo, classifier.class_names.index(target), grad_cam)
    except ValueError as err:  # e.g. a model without convolutional layers
        st.info(f"No heatmap for this model: {err}")
        return
    st.image(overlay(photo, heatmap, opacity), width=min(640, photo.shape[1]),
             caption=f"Red: regions that made the model say “{target}”; blue: regions it ignored. "
                     "The tinted frame is the part of the photo the model looks at.")


def _grad_cam_cached(classifier, photo, index, grad_cam):
    """One heatmap per (photo, class): moving the opacity slider must not recompute it."""
    key = (id(classifier), hash(photo.tobytes()), index)
    cache = st.session_state.setdefault("gradcam_cache", {})
    if key not in cache:
        cache.clear()
        cache[key] = grad_cam(classifier, photo, index)
    return cache[key]


# -- 4. teach it your own classes -----------------------------------------------------------------

def teach_ui() -> None:
    st.divider()
    st.subheader("4 · Teach it your own classes")
    st.markdown("Give a few photos of each thing you want it to tell apart (10–20 each is plenty). "
                "The studio keeps EfficientNet's eyes (its ImageNet features) and trains a small "
                "new last layer on your classes: **transfer learning**. Curves appear live.")
    zip_tab, classes_tab = st.tabs(["🗜️ A zip of class folders", "➕ Add photos class by class"])
    with zip_tab:
        file = limited_uploader("Zip: one folder per class (cats/…, dogs/…)", "images zip", type=["zip"],
                                key="teach_zip")
        if file is not None and st.session_state.get("teach_zip_seen") != file.file_id:
            st.session_state["teach_zip_seen"] = file.file_id
            if too_large := over_limit(file, "images zip"):
                st.session_state["teach_import"] = ("error", too_large)
            else:
                _import_for_teaching(lambda: uploads.import_image_zip(
                    file.getvalue(), title=file.name.rsplit(".", 1)[0], image_size=224))
        if st.button("Use the sample: drawn shapes (circle, square, triangle)", key="teach_sample"):
            from core import paths
            _import_for_teaching(lambda: uploads.import_image_zip(
                (paths.ASSETS_DIR / "samples" / "shapes.zip").read_bytes(), title="Sample shapes",
                image_size=224))
    with classes_tab:
        class_by_class_ui()
    report = import_outcome_ui("teach_import", "photos")
    if report:
        teach_settings_ui(report)
    taught_run_ui(st.session_state.get("teach_run"), "🔍 Try it on a photo above", "pick_model")


def class_by_class_ui() -> None:
    classes: dict = st.session_state.setdefault("teach_classes", {})
    cols = st.columns([2, 3])
    name = cols[0].text_input("Class name", key="new_class_name", placeholder="e.g. mug")
    files = limited_uploader("Its photos", "photo", cols[1], type=PHOTO_TYPES, accept_multiple_files=True,
                             key=f"class_files_{len(classes)}")
    snap = st.camera_input("…or take snapshots one by one", key=f"class_snap_{len(classes)}")
    if st.button("Add this class", key="add_class"):
        too_large = [error for f in [*(files or []), snap] if f is not None and (error := over_limit(f, "photo"))]
        images = [] if too_large else [(f.name, f.getvalue()) for f in files or []]
        if snap is not None and not too_large:
            images.append(("snapshot.jpg", snap.getvalue()))
        if too_large:
            st.error(" ".join(too_large))
        elif not name.strip():
            st.error("Give the class a name first.")
        elif not images:
            st.error("Add at least one photo (upload or snapshot) for this class.")
        else:
            classes.setdefault(name.strip(), []).extend(images)
            st.rerun()
    if classes:
        st.markdown(" · ".join(f"**{k}**: {len(v)} photos" for k, v in classes.items()))
        left, right = st.columns(2)
        if left.button("Use these classes", key="use_classes", type="primary"):
            _import_for_teaching(lambda: uploads.import_image_files(dict(classes), title="My classes"))
        if right.button("Start over", key="clear_classes"):
            classes.clear()
            st.rerun()


def _import_for_teaching(do_import) -> None:
    import_examples("teach_import", do_import, "Checking and resizing the photos…")


def teach_settings_ui(report) -> None:
    from core.inference import fitting_batch_size
    from core.models import ARCHITECTURES
    from core.training import RunConfig
    from pages.common import param_widget
    spec = ARCHITECTURES["efficientnet_transfer"]
    cols = st.columns(len(spec.params) + 1)
    params = {}
    for col, (name, param) in zip(cols, spec.params.items()):
        with col:
            params[name] = param_widget(name, param, key=f"teach-{name}")
    epochs = cols[-1].number_input("Epochs", value=15, step=1, key="teach_epochs")
    batch_size, note = fitting_batch_size(report.dataset_key, None, 0.25)
    if note:
        st.info(note, icon="ℹ️")
    if st.button("🚀 Train my classifier", key="teach_launch", type="primary"):
        config = RunConfig(dataset=report.dataset_key, architecture="efficientnet_transfer",
                           arch_params=params, optimizer="adam", learning_rate=1e-3, epochs=epochs,
                           batch_size=batch_size, validation_split=0.25, name=f"Image classes: {report.title}")
        launch_ui(config, "teach_run")


def main():
    page_setup()
    intro_ui()
    chosen = photo_ui()
    st.subheader("2 · What the model sees")
    model_key = model_picker_ui()
    if chosen is None:
        st.info("Pick an example photo above (one click), upload one, or take one with the camera.")
    else:
        try:
            predict_ui(*chosen, model_key)
        except DataError as err:
            st.error(str(err))
    teach_ui()


main()
