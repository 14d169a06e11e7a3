"""Anatomy: activation slopes, vanishing gradients in a deep sigmoid MLP, layer outputs."""
import numpy as np

from core.principles.anatomy import activation_curves, deep_mlp, layer_outputs, vanishing_gradients


def test_activation_slopes_are_the_textbook_derivatives():
    curves = activation_curves(("sigmoid", "tanh", "relu"), np.array([-2.0, 0.0, 3.0]))
    x, y, dy = curves["sigmoid"]
    np.testing.assert_allclose(dy, y * (1 - y), atol=1e-6)          # σ' = σ(1 − σ) ≤ 0.25
    assert dy.max() <= 0.25 + 1e-6
    np.testing.assert_allclose(curves["tanh"][2], 1 - np.tanh(x) ** 2, atol=1e-6)
    np.testing.assert_allclose(curves["relu"][2], [0.0, 0.0, 1.0])


def test_gradients_vanish_towards_the_input_of_a_deep_sigmoid_mlp():
    norms = vanishing_gradients(("sigmoid", "relu"), depth=8)
    sigmoid = [n for _, n in norms["sigmoid"]]
    relu = [n for _, n in norms["relu"]]
    assert len(sigmoid) == 9                                      # 8 hidden layers + the output layer
    assert sigmoid[0] < sigmoid[-2] / 100                         # first layer: < 1 % of the last hidden
    # About 3x smaller per layer going back: the slope of log10(norm) against depth.
    assert np.polyfit(np.arange(8), np.log10(sigmoid[:-1]), 1)[0] > 0.3
    assert relu[0] > sigmoid[0] * 100                              # ReLU keeps it alive


def test_layer_outputs_walk_the_forward_pass():
    model = deep_mlp("relu", depth=2, units=4, inputs=3, classes=2)
    outputs = layer_outputs(model, np.ones((1, 3), "float32"))
    assert [name for name, _ in outputs] == ["dense_1", "dense_2", "class_probabilities"]
    assert outputs[-1][1].shape == (1, 2) and np.isclose(outputs[-1][1].sum(), 1.0)
