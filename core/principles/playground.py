"""Optimizers walking a 2-D loss surface: the very `keras.optimizers` the studio trains with.

    path = walk(SURFACES["valley"], "momentum", learning_rate=0.05, steps=100)
    path.points, path.losses, path.diverged, path.steps_to_minimum

Each step: the surface's gradient at θ = (x, y) is handed to the Keras optimizer, which updates θ
by its own rule (see core/optim.py for the rules in textbook notation). Nothing is re-implemented
here, so the paths on the page are the real optimizers' steps.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.optim import build_optimizer
from core.principles.surfaces import Surface

DIVERGED_AT = 1e6      # |θ| or J beyond this: the walk has blown up
REACHED = 1e-3         # J − J_min below this counts as at the minimum


@dataclass
class Path:
    optimizer: str
    points: np.ndarray           # (steps + 1, 2): θ after each step, the start first
    losses: np.ndarray           # J at each point
    diverged: bool
    steps_to_minimum: int | None  # first step with J − J_min < REACHED (None: never)

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])


def walk(surface: Surface, optimizer: str, learning_rate: float, steps: int = 100,
         params: dict | None = None, start: tuple[float, float] | None = None,
         gradient_noise: float = 0.0, seed: int = 0) -> Path:
    """Run `steps` optimizer steps from `start` (the surface's own by default).

    `gradient_noise` adds Gaussian noise to every gradient, the way a mini-batch's gradient
    scatters around the full one.
    """
    import keras
    rng = np.random.default_rng(seed)
    theta = keras.Variable(np.asarray(start or surface.start, dtype="float32"), name="theta")
    keras_optimizer = build_optimizer(optimizer, learning_rate, params)
    points = [np.asarray(theta.numpy(), dtype=np.float64)]
    diverged = False
    for _ in range(steps):
        x, y = points[-1]
        gradient = np.array(surface.gradient(x, y), dtype=np.float64)
        if gradient_noise:
            gradient += rng.normal(0, gradient_noise, 2)
        if not np.all(np.isfinite(gradient)) or np.abs(gradient).max() > DIVERGED_AT ** 2:
            diverged = True
            break
        keras_optimizer.apply([keras.ops.convert_to_tensor(gradient.astype("float32"))], [theta])
        point = np.asarray(theta.numpy(), dtype=np.float64)
        points.append(point)
        if not np.all(np.isfinite(point)) or np.abs(point).max() > DIVERGED_AT:
            diverged = True
            break
    points = np.array(points)
    with np.errstate(over="ignore", invalid="ignore"):
        losses = surface.loss(points[:, 0], points[:, 1])
    diverged = diverged or not np.all(np.isfinite(losses)) or losses[-1] > DIVERGED_AT
    reached = np.flatnonzero(losses - surface.minimum_loss < REACHED)
    return Path(optimizer, points, losses, diverged, int(reached[0]) if len(reached) and not diverged else None)
