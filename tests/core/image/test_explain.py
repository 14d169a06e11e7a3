"""Grad-CAM points at the evidence: a synthetic case where we know where it is."""
import keras
import numpy as np

from core.image.explain import grad_cam, jet, overlay
from core.image.classify import ImageClassifier


def square_images(n=240, size=32, seed=0):
    """Class 1: a bright square somewhere on noise; class 0: noise only."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 60, (n, size, size, 3)).astype(np.uint8)
    y = np.arange(n) % 2
    for i in np.flatnonzero(y):
        r, c = rng.integers(2, size - 10, 2)
        x[i, r:r + 8, c:c + 8] = 255
    return x, y


def test_grad_cam_peaks_inside_the_square():
    keras.utils.set_random_seed(0)
    x, y = square_images()
    inputs = keras.Input((32, 32, 3))
    h = keras.layers.Rescaling(1 / 255)(inputs)
    h = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(h)
    h = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(h)
    h = keras.layers.GlobalMaxPooling2D()(h)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(h))
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x.astype("float32"), y, epochs=15, batch_size=32, verbose=0)
    classifier = ImageClassifier(model, ["plain", "square"], {})

    photo = np.full((64, 64, 3), 30, np.uint8)  # shown at twice the training size
    photo[36:52, 8:24] = 255
    assert classifier.predict(photo).top[0][0] == "square"
    heatmap = grad_cam(classifier, photo, 1)
    assert heatmap.shape == (64, 64) and heatmap.min() >= 0 and heatmap.max() == 1.0
    peak = np.unravel_index(np.argmax(heatmap), heatmap.shape)
    assert 32 <= peak[0] < 56 and 4 <= peak[1] < 28, peak
    assert heatmap[36:52, 8:24].mean() > 3 * heatmap[:, 40:].mean()


def test_overlay_and_colour_map():
    image = np.zeros((10, 10, 3), np.uint8)
    heat = np.zeros((10, 10))
    heat[5, 5] = 1.0
    blended = overlay(image, heat, opacity=1.0)
    assert blended.shape == (10, 10, 3) and blended.dtype == np.uint8
    assert blended[5, 5, 0] > 100 and blended[5, 5, 2] < 50  # hot spot is red
    assert jet(np.array([0.0]))[0, 2] > 100  # cold is blue


def test_a_model_without_feature_maps_gets_a_plain_reason():
    import pytest
    inputs = keras.Input((8, 8, 1))
    h = keras.layers.Flatten()(keras.layers.Rescaling(1 / 16)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(h))
    classifier = ImageClassifier(model, ["a", "b", "c"], {})
    with pytest.raises(ValueError, match="no convolutional feature map"):
        grad_cam(classifier, np.zeros((16, 16, 3), np.uint8), 0)
