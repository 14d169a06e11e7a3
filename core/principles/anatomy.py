"""Inside a network: activation functions and their slopes, gradient norms layer by layer, and what
each layer outputs for one input.

    norms = gradient_norms(model, x, y)          # [(layer, ‖∂loss/∂W‖), ...] input side first
    deep = deep_mlp("sigmoid", depth=8)           # the classic vanishing-gradient network
    outputs = layer_outputs(model, x[:1])         # [(layer name, its output for this input), ...]

Backpropagation in one line: ∂loss/∂W_l = (∂loss/∂h_l) · h_{l-1}, and ∂loss/∂h_{l-1} = W_lᵀ ·
(∂loss/∂h_l ⊙ f'(z_l)): every layer going back multiplies by f'(z); for a sigmoid f' ≤ 0.25, so
the gradient shrinks geometrically towards the input. ReLU's slope is 1 where it is active.
"""
from __future__ import annotations

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu", "gelu")


def activation_curves(names=ACTIVATIONS, x: np.ndarray | None = None) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """name -> (x, f(x), f'(x)), with the slope from TensorFlow's own gradient of Keras's function."""
    import keras
    import tensorflow as tf
    x = np.linspace(-6, 6, 241).astype("float32") if x is None else np.asarray(x, "float32")
    out = {}
    for name in names:
        inputs = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            y = keras.activations.get(name)(inputs)
        out[name] = (x, np.asarray(y), np.asarray(tape.gradient(y, inputs)))
    return out


def deep_mlp(activation: str, depth: int = 8, units: int = 32, inputs: int = 64, classes: int = 10, seed: int = 0):
    """`depth` dense layers of `units` with `activation`, Glorot initialised: the textbook setting."""
    import keras
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((inputs,))]
    layers += [keras.layers.Dense(units, activation=activation, name=f"dense_{i + 1}") for i in range(depth)]
    layers += [keras.layers.Dense(classes, activation="softmax", name="class_probabilities")]
    return keras.Sequential(layers, name=f"deep_{activation}")


def gradient_norms(model, x, y) -> list[tuple[str, float]]:
    """‖∂loss/∂kernel‖ of every layer with a kernel, input side first, on the batch (x, y)."""
    import keras
    import tensorflow as tf
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    kernels = [(layer.name, layer.kernel) for layer in model.layers if hasattr(layer, "kernel")]
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=False))
    grads = tape.gradient(loss, [k for _, k in kernels])
    return [(name, float(tf.norm(g))) for (name, _), g in zip(kernels, grads)]


def vanishing_gradients(activations=("sigmoid", "relu"), depth: int = 8, samples: int = 256, seed: int = 0):
    """activation -> per-layer gradient norms of a fresh deep MLP on the bundled digits."""
    from core.data import load_dataset
    data = load_dataset("digits")
    x = (data.x[:samples].reshape(samples, -1) / 16.0).astype("float32")  # digits pixels are 0-16
    y = data.y[:samples]
    return {name: gradient_norms(deep_mlp(name, depth, inputs=x.shape[1], seed=seed), x, y)
            for name in activations}


def layer_outputs(model, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Every layer's output for the batch `x` (one forward pass through a probe model)."""
    import keras
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    probe = keras.Model(model.inputs, [layer.output for layer in layers])
    outputs = probe.predict_on_batch(x)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [(layer.name, np.asarray(out)) for layer, out in zip(layers, outputs)]
