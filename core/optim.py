"""Optimizer and learning-rate schedule registries over `keras.optimizers`.

The update rules are written out next to each entry (and shown in the app): the studio trains
with Keras's own implementations, these strings are what they compute.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from core.params import Param, resolve


@dataclass(frozen=True)
class OptimizerSpec:
    title: str
    build: Callable  # (learning_rate or schedule, **params) -> keras optimizer
    rule: str        # the update rule, in textbook notation
    params: dict[str, Param] = field(default_factory=dict)
    full_batch: bool = False  # one step per epoch over the whole training set


def _sgd(lr, momentum=0.0, nesterov=False):
    import keras
    return keras.optimizers.SGD(lr, momentum=momentum, nesterov=nesterov)


def _rmsprop(lr, rho=0.9):
    import keras
    return keras.optimizers.RMSprop(lr, rho=rho)


def _adagrad(lr):
    import keras
    return keras.optimizers.Adagrad(lr)


def _adam(lr, beta_1=0.9, beta_2=0.999):
    import keras
    return keras.optimizers.Adam(lr, beta_1=beta_1, beta_2=beta_2)


def _adamw(lr, beta_1=0.9, beta_2=0.999, weight_decay=0.004):
    import keras
    return keras.optimizers.AdamW(lr, weight_decay=weight_decay, beta_1=beta_1, beta_2=beta_2)


_MOMENTUM = Param(0.9, "Momentum β", 0.0, 0.999,
                  help="How much of the previous step carries over into the next, like a ball rolling "
                       "downhill: 0 is plain SGD, 0.9 keeps 90%.")
_BETA_1 = Param(0.9, "β₁ (first moment)", 0.0, 0.999,
                help="How much of the previous direction Adam keeps (its momentum); 0.9 is the usual value.")
_BETA_2 = Param(0.999, "β₂ (second moment)", 0.0, 0.99999,
                help="How long Adam remembers the size of past gradients when it scales each step; "
                     "0.999 is the usual value.")

OPTIMIZERS: dict[str, OptimizerSpec] = {
    "gd": OptimizerSpec(
        "Gradient descent (full batch)", _sgd,
        "θ ← θ − α ∇J(θ)   with ∇J over the whole training set: one step per epoch",
        full_batch=True),
    "sgd": OptimizerSpec(
        "Mini-batch SGD", _sgd,
        "θ ← θ − α ∇J_B(θ)   with ∇J_B over one mini-batch B"),
    "momentum": OptimizerSpec(
        "SGD with momentum", lambda lr, momentum: _sgd(lr, momentum),
        "v ← β v − α ∇J(θ);  θ ← θ + v", {"momentum": _MOMENTUM}),
    "nesterov": OptimizerSpec(
        "Nesterov momentum", lambda lr, momentum: _sgd(lr, momentum, nesterov=True),
        "v ← β v − α ∇J(θ + β v);  θ ← θ + v", {"momentum": _MOMENTUM}),
    "rmsprop": OptimizerSpec(
        "RMSprop", _rmsprop,
        "s ← ρ s + (1−ρ) (∇J)²;  θ ← θ − α ∇J / (√s + ε)",
        {"rho": Param(0.9, "ρ (decay)", 0.0, 0.999,
                      help="How long RMSprop remembers the size of past gradients when it scales each "
                           "step; 0.9 is the usual value.")}),
    "adagrad": OptimizerSpec(
        "Adagrad", _adagrad,
        "s ← s + (∇J)²;  θ ← θ − α ∇J / (√s + ε)"),
    "adam": OptimizerSpec(
        "Adam", _adam,
        "m ← β₁m + (1−β₁)∇J;  v ← β₂v + (1−β₂)(∇J)²;  m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ);  "
        "θ ← θ − α m̂ / (√v̂ + ε)",
        {"beta_1": _BETA_1, "beta_2": _BETA_2}),
    "adamw": OptimizerSpec(
        "AdamW", _adamw,
        "Adam's step, plus decoupled weight decay:  θ ← θ − α (m̂ / (√v̂ + ε) + λ θ)",
        {"beta_1": _BETA_1, "beta_2": _BETA_2,
         "weight_decay": Param(0.004, "Weight decay λ", 0.0, 0.5, log_scale=True,
                               help="Gently pulls every weight towards zero after each step so the model "
                                    "stays simple; 0 turns it off.")}),
}

SCHEDULES: dict[str, str] = {
    "constant": "Constant: α stays the same.",
    "step": "Step decay: α halves every `step_epochs` epochs.",
    "cosine": "Cosine decay: α glides from its start value to zero along half a cosine.",
}


def resolve_optimizer_params(key: str, params: dict | None) -> tuple[dict, list[str]]:
    if key not in OPTIMIZERS:
        return {}, [f"Unknown optimizer '{key}'. Choose one of: {', '.join(OPTIMIZERS)}."]
    return resolve(OPTIMIZERS[key].params, params, OPTIMIZERS[key].title)


def learning_rate_schedule(learning_rate: float, schedule: str, steps_per_epoch: int, epochs: int,
                           step_epochs: int = 2):
    """A float for 'constant', else a keras LearningRateSchedule over optimizer steps."""
    import keras
    if schedule == "constant":
        return learning_rate
    if schedule == "step":
        return keras.optimizers.schedules.ExponentialDecay(
            learning_rate, decay_steps=max(1, steps_per_epoch * step_epochs), decay_rate=0.5,
            staircase=True)
    if schedule == "cosine":
        return keras.optimizers.schedules.CosineDecay(learning_rate,
                                                      decay_steps=max(1, steps_per_epoch * epochs))
    raise ValueError(f"Unknown schedule '{schedule}'. Choose one of: {', '.join(SCHEDULES)}.")


def build_optimizer(key: str, learning_rate: float, params: dict | None = None,
                    schedule: str = "constant", steps_per_epoch: int = 1, epochs: int = 1):
    values, problems = resolve_optimizer_params(key, params)
    if problems:
        from core.params import ConfigError
        raise ConfigError(problems)
    lr = learning_rate_schedule(learning_rate, schedule, steps_per_epoch, epochs)
    return OPTIMIZERS[key].build(lr, **values)
