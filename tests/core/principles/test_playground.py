"""The playground's paths are the real Keras optimizers: they match NumPy's textbook rules step by step."""
import numpy as np
import pytest

from core.principles.playground import walk
from core.principles.surfaces import SURFACES

EPS = 1e-7  # Keras's default epsilon


def reference(rule: str, gradient, start, lr: float, steps: int, beta=0.9, rho=0.9, beta_1=0.9,
              beta_2=0.999, weight_decay=0.004):
    """Each optimizer's update rule written out in NumPy (the form core/optim.py shows on screen)."""
    theta = np.array(start, dtype=np.float64)
    v = np.zeros(2)                      # momentum / RMS / Adam's first moment
    s = np.full(2, 0.1) if rule == "adagrad" else np.zeros(2)  # Keras starts Adagrad's sum at 0.1
    points = [theta.copy()]
    for t in range(1, steps + 1):
        g = np.array(gradient(*theta))
        if rule == "gd":
            theta = theta - lr * g                                   # θ ← θ − α∇J
        elif rule == "momentum":
            v = beta * v - lr * g                                    # v ← βv − α∇J; θ ← θ + v
            theta = theta + v
        elif rule == "nesterov":
            v = beta * v - lr * g                                    # look-ahead form of Nesterov
            theta = theta + beta * v - lr * g
        elif rule == "rmsprop":
            s = rho * s + (1 - rho) * g * g                          # s ← ρs + (1−ρ)g²
            theta = theta - lr * g / np.sqrt(s + EPS)
        elif rule == "adagrad":
            s = s + g * g                                            # s ← s + g²
            theta = theta - lr * g / np.sqrt(s + EPS)
        elif rule in ("adam", "adamw"):
            if rule == "adamw":
                theta = theta - lr * weight_decay * theta            # decoupled weight decay
            v = beta_1 * v + (1 - beta_1) * g                        # m
            s = beta_2 * s + (1 - beta_2) * g * g                    # v
            m_hat, v_hat = v / (1 - beta_1 ** t), s / (1 - beta_2 ** t)
            # Keras folds the bias corrections into the step size, which moves ε by √(1−β₂ᵗ).
            theta = theta - lr * m_hat / (np.sqrt(v_hat) + EPS / np.sqrt(1 - beta_2 ** t))
        points.append(theta.copy())
    return np.array(points)


@pytest.mark.parametrize("rule", ["gd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw"])
@pytest.mark.parametrize("surface", ["valley", "rosenbrock"])
def test_each_path_is_the_optimizers_own_update_rule(rule, surface):
    s = SURFACES[surface]
    lr = {"rosenbrock": 0.0005}.get(surface, 0.02) if rule in ("gd", "momentum", "nesterov") else 0.05
    params = {"momentum": 0.9} if rule in ("momentum", "nesterov") else None
    path = walk(s, rule, lr, steps=12, params=params)
    expected = reference(rule, s.gradient, s.start, lr, 12)
    np.testing.assert_allclose(path.points, expected, rtol=2e-4, atol=2e-5)


def test_adam_reaches_the_bottom_of_the_bowl():
    path = walk(SURFACES["bowl"], "adam", 0.2, steps=300)
    assert not path.diverged and path.steps_to_minimum is not None and path.final_loss < 1e-3


def test_gradient_descent_with_too_large_a_step_is_reported_as_diverged():
    # Across the valley J'' = 25: steps above 2/25 = 0.08 overshoot further each time.
    assert walk(SURFACES["valley"], "gd", 0.1, steps=200).diverged
    assert not walk(SURFACES["valley"], "gd", 0.07, steps=200).diverged


def test_momentum_escapes_the_saddle_where_gradient_descent_lingers():
    gd = walk(SURFACES["saddle"], "gd", 0.01, steps=150)
    momentum = walk(SURFACES["saddle"], "momentum", 0.01, steps=150, params={"momentum": 0.9})
    assert abs(gd.points[-1, 1]) < 0.5                   # still near the ridge y = 0
    assert abs(abs(momentum.points[-1, 1]) - np.sqrt(2)) < 0.2   # down in a minimum


def test_noisy_gradients_scatter_the_path_reproducibly():
    a = walk(SURFACES["bowl"], "gd", 0.1, steps=20, gradient_noise=2.0, seed=1)
    b = walk(SURFACES["bowl"], "gd", 0.1, steps=20, gradient_noise=2.0, seed=1)
    clean = walk(SURFACES["bowl"], "gd", 0.1, steps=20)
    np.testing.assert_array_equal(a.points, b.points)
    assert np.abs(a.points - clean.points).max() > 0.05
