"""Every optimizer lowers a convex loss; schedules give the learning rates they promise."""
import keras
import numpy as np
import pytest

from core.optim import OPTIMIZERS, SCHEDULES, build_optimizer, learning_rate_schedule
from core.params import ConfigError

LEARNING_RATES = {"adagrad": 0.5, "gd": 0.1, "sgd": 0.1, "momentum": 0.05, "nesterov": 0.05}


@pytest.mark.parametrize("key", list(OPTIMIZERS))
def test_lowers_a_convex_quadratic(key):
    """J(θ) = ½ (θ − t)ᵀ A (θ − t) with A positive definite: every optimizer must go downhill."""
    a = keras.ops.convert_to_tensor(np.diag([1.0, 4.0]).astype("float32"))
    target = keras.ops.convert_to_tensor(np.array([1.0, -2.0], "float32"))
    theta = keras.Variable(np.array([4.0, 3.0], "float32"))
    optimizer = build_optimizer(key, LEARNING_RATES.get(key, 0.05))

    def loss():
        d = theta - target
        return 0.5 * keras.ops.sum(d * keras.ops.matmul(a, d))

    import tensorflow as tf
    start = float(loss())
    for _ in range(100):
        with tf.GradientTape() as tape:
            value = loss()
        optimizer.apply_gradients([(tape.gradient(value, theta), theta)])
    assert float(loss()) < 0.05 * start, (key, float(loss()), start)


def test_schedules():
    assert learning_rate_schedule(0.1, "constant", 10, 5) == 0.1
    step = learning_rate_schedule(0.1, "step", steps_per_epoch=10, epochs=10)
    assert np.isclose(float(step(0)), 0.1) and np.isclose(float(step(19)), 0.1)
    assert np.isclose(float(step(20)), 0.05) and np.isclose(float(step(40)), 0.025)
    cosine = learning_rate_schedule(0.1, "cosine", steps_per_epoch=10, epochs=5)
    assert np.isclose(float(cosine(0)), 0.1) and np.isclose(float(cosine(25)), 0.05, atol=1e-3)
    assert float(cosine(50)) < 1e-6
    assert set(SCHEDULES) == {"constant", "step", "cosine"}


def test_bad_optimizer_settings_are_refused():
    with pytest.raises(ConfigError, match="Unknown optimizer 'lbfgs'"):
        build_optimizer("lbfgs", 0.1)
    with pytest.raises(ConfigError, match="Momentum β must be at most 0.999"):
        build_optimizer("momentum", 0.1, {"momentum": 1.5})
