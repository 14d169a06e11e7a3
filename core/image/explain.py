"""Where in a photo an image model looked (Grad-CAM), and the heatmap drawn over the photo.

Grad-CAM (Selvaraju et al., 2017): take the last convolutional feature map A (h x w x k), weight
each channel by how much the class score y_c grows with it, α_k = mean_ij ∂y_c/∂A_ijk, and keep
the positive part of Σ_k α_k A_k. Upsampled to the photo, it shows the regions that pushed the
model towards the class.
"""
from __future__ import annotations

import numpy as np


NOT_FEATURES = ("InputLayer", "Rescaling", "Normalization", "Resizing", "CenterCrop", "RandomFlip",
                "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast", "RandomBrightness")


def last_feature_map_layer(model):
    """The last layer with a spatial (batch, h, w, channels) output computed by the network itself
    (not the input or its rescaling): where Grad-CAM looks."""
    for layer in reversed(model.layers):
        shape = getattr(layer, "output", None)
        if shape is not None and len(getattr(shape, "shape", ())) == 4 and type(layer).__name__ not in NOT_FEATURES:
            return layer
    raise ValueError("This model has no convolutional feature map (it flattens the image straight away), "
                     "so Grad-CAM cannot show where it looked.")


def grad_cam(classifier, image: np.ndarray, class_index) -> np.ndarray:
    """Heatmap in [0, 1] with the photo's height and width (zero outside the region the model saw).

    `classifier`: a core.image.classify.ImageClassifier (its `explain` calls this). `class_index`:
    one class, or several (a group, e.g. every kind of cat: the score is their summed probability).
    """
    import tensorflow as tf
    explainer = classifier.feature_map_model()
    x = tf.convert_to_tensor(classifier.prepare(image)[None])
    with tf.GradientTape() as tape:
        feature_map, output = explainer(x, training=False)
        # The class score: the logit where the model outputs logits; otherwise the log of the
        # softmax probability (its gradient is the logit's minus the probability-weighted mean,
        # which keeps the signal alive when the probability saturates near 1).
        if isinstance(class_index, (int, np.integer)):
            score = output[:, class_index] if classifier.outputs_logits else tf.math.log(output[:, class_index] + 1e-9)
        else:  # a group: log of its members' probabilities added up
            probabilities = tf.nn.softmax(output) if classifier.outputs_logits else output
            score = tf.math.log(tf.reduce_sum(tf.gather(probabilities, list(class_index), axis=1), axis=1) + 1e-9)
    gradients = tape.gradient(score, feature_map)
    if gradients is None:
        raise ValueError("Grad-CAM found no path from this model's last feature map to its answer.")
    weights = tf.reduce_mean(gradients, axis=(1, 2))                      # α_k
    cam = tf.nn.relu(tf.reduce_sum(feature_map * weights[:, None, None, :], axis=-1))[0].numpy()
    cam = cam / cam.max() if cam.max() > 0 else cam
    return _to_photo(cam, image, classifier.crop_box(image))


def _to_photo(cam: np.ndarray, image: np.ndarray, box) -> np.ndarray:
    """Stretch the small map over the crop box, inside a zero map of the photo's size."""
    from PIL import Image
    height, width = image.shape[:2]
    left, top, right, bottom = (int(round(v)) for v in box)
    crop_w, crop_h = max(1, right - left), max(1, bottom - top)
    stretched = np.asarray(Image.fromarray(cam.astype(np.float32), mode="F").resize(
        (crop_w, crop_h), Image.Resampling.BILINEAR))
    heatmap = np.zeros((height, width), np.float32)
    heatmap[top:top + crop_h, left:left + crop_w] = stretched[:height - top, :width - left]
    peak = heatmap.max()
    return np.clip(heatmap / peak, 0.0, 1.0) if peak > 0 else heatmap  # interpolation lowers the peak


def overlay(image: np.ndarray, heatmap: np.ndarray, opacity: float = 0.5) -> np.ndarray:
    """The photo with the heatmap laid over it in a jet colour map (blue: low, red: high)."""
    colors = jet(heatmap)
    alpha = opacity * np.clip(heatmap * 1.5, 0.15, 1.0)[..., None]  # cold regions stay see-through
    blended = (1 - alpha) * np.asarray(image, np.float32)[..., :3] + alpha * colors
    return blended.clip(0, 255).astype(np.uint8)


def jet(values: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] to RGB 0-255 along the classic jet colour map (blue-cyan-yellow-red)."""
    v = np.clip(values, 0, 1)[..., None]
    r = np.clip(1.5 - np.abs(4 * v - 3), 0, 1)
    g = np.clip(1.5 - np.abs(4 * v - 2), 0, 1)
    b = np.clip(1.5 - np.abs(4 * v - 1), 0, 1)
    return np.concatenate([r, g, b], axis=-1) * 255
