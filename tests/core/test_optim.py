"""Every optimizer lowers a convex loss; schedules give the learning rates they promise."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from core.optim import OPTIMIZERS, SCHEDULES, build_optimizer, learning_rate_schedule
from core.params import ConfigError

LEARNING_RATES = {"adagrad": 0.5, "gd": 0.1, "sgd": 0.1, "momentum": 0.05, "nesterov": 0.05}


def _quadratic():
    """J(θ) = ½ (θ − t)ᵀ A (θ − t), A positive definite: one minimum, J = 0 at θ = t."""
    a = keras.ops.convert_to_tensor(np.diag([1.0, 4.0]).astype("float32"))
    target = keras.ops.convert_to_tensor(np.array([1.0, -2.0], "float32"))
    theta = keras.Variable(np.array([4.0, 3.0], "float32"))

    def loss():
        d = theta - target
        return 0.5 * keras.ops.sum(d * keras.ops.matmul(a, d))
    return theta, loss


def _descend(optimizer, theta, loss, steps):
    for _ in range(steps):
        with tf.GradientTape() as tape:
            value = loss()
        optimizer.apply_gradients([(tape.gradient(value, theta), theta)])


@pytest.mark.parametrize("key", list(OPTIMIZERS))
def test_lowers_a_convex_quadratic(key):
    theta, loss = _quadratic()
    optimizer = build_optimizer(key, LEARNING_RATES.get(key, 0.05))
    start = float(loss())
    _descend(optimizer, theta, loss, 100)
    assert float(loss()) < 0.05 * start, (key, float(loss()), start)
    assert int(optimizer.iterations) == 100


@pytest.mark.parametrize("key", list(OPTIMIZERS))
def test_fits_a_logistic_regression(key):
    """The optimizers as the runner uses them: model.fit on a linearly separable problem."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (200, 2)).astype("float32")
    y = (x[:, 0] + 2 * x[:, 1] > 0).astype("int64")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(build_optimizer(key, LEARNING_RATES.get(key, 0.05)), "sparse_categorical_crossentropy")
    batch_size = 200 if OPTIMIZERS[key].full_batch else 20
    epochs = 30 if OPTIMIZERS[key].full_batch else 5
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0).history["loss"]
    assert history[-1] < 0.6 * history[0], (key, history)


def test_knobs_reach_the_keras_optimizer():
    assert build_optimizer("momentum", 0.1, {"momentum": 0.5}).momentum == 0.5
    nesterov = build_optimizer("nesterov", 0.1)
    assert nesterov.nesterov and nesterov.momentum == 0.9
    assert build_optimizer("sgd", 0.1).momentum == 0.0
    assert build_optimizer("rmsprop", 0.1, {"rho": 0.5}).rho == 0.5
    adam = build_optimizer("adam", 0.1, {"beta_1": 0.8, "beta_2": 0.99})
    assert (adam.beta_1, adam.beta_2) == (0.8, 0.99)
    adamw = build_optimizer("adamw", 0.1, {"weight_decay": 0.01})
    assert isinstance(adamw, keras.optimizers.AdamW) and adamw.weight_decay == 0.01
    assert float(build_optimizer("adagrad", 0.25).learning_rate) == 0.25
    assert [k for k, spec in OPTIMIZERS.items() if spec.full_batch] == ["gd"]
    assert all(spec.rule for spec in OPTIMIZERS.values())


def test_schedules_give_the_promised_learning_rates():
    assert set(SCHEDULES) == {"constant", "step", "cosine"}
    assert learning_rate_schedule(0.1, "constant", 10, 5) == 0.1
    step = learning_rate_schedule(0.1, "step", steps_per_epoch=10, epochs=10)  # halves every 2 epochs
    for at, expected in [(0, 0.1), (19, 0.1), (20, 0.05), (39, 0.05), (40, 0.025), (60, 0.0125)]:
        assert np.isclose(float(step(at)), expected), (at, float(step(at)))
    cosine = learning_rate_schedule(0.1, "cosine", steps_per_epoch=10, epochs=5)
    assert np.isclose(float(cosine(0)), 0.1) and np.isclose(float(cosine(25)), 0.05, atol=1e-3)
    values = [float(cosine(at)) for at in range(0, 51, 5)]
    assert values == sorted(values, reverse=True)  # glides down monotonically
    assert float(cosine(50)) < 1e-6  # ~0 at the end of training
    with pytest.raises(ValueError, match="Unknown schedule 'wiggly'"):
        learning_rate_schedule(0.1, "wiggly", 10, 5)


def test_the_optimizer_follows_its_schedule_step_by_step():
    theta, loss = _quadratic()
    optimizer = build_optimizer("sgd", 0.1, schedule="step", steps_per_epoch=5, epochs=10)
    assert np.isclose(float(optimizer.learning_rate), 0.1)
    _descend(optimizer, theta, loss, 10)  # two epochs of five steps
    assert np.isclose(float(optimizer.learning_rate), 0.05)
    theta, loss = _quadratic()
    optimizer = build_optimizer("adam", 0.1, schedule="cosine", steps_per_epoch=5, epochs=4)
    _descend(optimizer, theta, loss, 20)
    assert float(optimizer.learning_rate) < 1e-6


def test_bad_optimizer_settings_are_refused():
    with pytest.raises(ConfigError, match="Unknown optimizer 'lbfgs'. Choose one of: gd, sgd"):
        build_optimizer("lbfgs", 0.1)
    with pytest.raises(ConfigError, match="Momentum β must be at most 0.999"):
        build_optimizer("momentum", 0.1, {"momentum": 1.5})
    with pytest.raises(ConfigError, match="unknown setting 'momentum'"):
        build_optimizer("adam", 0.1, {"momentum": 0.9})
    with pytest.raises(ConfigError, match="expected a number, got 'high'"):
        build_optimizer("rmsprop", 0.1, {"rho": "high"})
