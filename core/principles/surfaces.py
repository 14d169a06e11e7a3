"""2-D loss surfaces J(x, y) for watching optimizers walk: a registry of formulas and gradients.

    surface = SURFACES["rosenbrock"]
    surface.loss(x, y), surface.gradient(x, y)   # NumPy, element-wise, so a whole grid at once

The gradients are written out by hand (the textbook derivatives), so the picture shows exactly the
slope each optimizer is given.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Surface:
    title: str
    formula: str                     # J(x, y), as shown on the page
    description: str
    loss: Callable
    gradient: Callable               # (x, y) -> (∂J/∂x, ∂J/∂y)
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    log_colors: bool = False         # steep walls: colour by log(J) so the floor stays visible

    def grid(self, points: int = 120):
        """(xs, ys, J on the grid) for a contour plot."""
        xs = np.linspace(*self.x_range, points)
        ys = np.linspace(*self.y_range, points)
        gx, gy = np.meshgrid(xs, ys)
        return xs, ys, self.loss(gx, gy)

    @property
    def minimum_loss(self) -> float:
        return float(min(self.loss(np.float64(x), np.float64(y)) for x, y in self.minima))


def _himmelblau(x, y):
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def _himmelblau_gradient(x, y):
    a, b = x * x + y - 11, x + y * y - 7
    return 4 * x * a + 2 * b, 2 * a + 4 * y * b


SURFACES: dict[str, Surface] = {
    "bowl": Surface(
        "Convex bowl", "J = x² + y²",
        "One minimum, the same slope in every direction: every optimizer finds it.",
        lambda x, y: x * x + y * y, lambda x, y: (2 * x, 2 * y),
        (-4.0, 3.0), ((0.0, 0.0),), (-5.0, 5.0), (-5.0, 5.0)),
    "valley": Surface(
        "Ill-conditioned valley", "J = ½ (x² + 25 y²)",
        "25 times steeper across than along. A step size safe across the walls is tiny along the "
        "floor, so gradient descent crawls (and zig-zags once α > 1/25); momentum builds up speed "
        "along the floor while swinging across it; Adam scales each direction by its own slope, so "
        "it heads straight down at about α per step.",
        lambda x, y: 0.5 * (x * x + 25 * y * y), lambda x, y: (x, 25 * y),
        (-4.5, 1.5), ((0.0, 0.0),), (-5.0, 5.0), (-2.5, 2.5)),
    "rosenbrock": Surface(
        "Rosenbrock's banana", "J = (1 − x)² + 100 (y − x²)²",
        "A long, curved, almost flat valley: easy to fall into, slow to follow to its end at (1, 1).",
        lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
        lambda x, y: (-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)),
        (-1.5, 2.0), ((1.0, 1.0),), (-2.0, 2.0), (-1.0, 3.0), log_colors=True),
    "saddle": Surface(
        "Saddle point", "J = x² − y² + ¼ y⁴",
        "Flat in the middle but not a minimum: starting almost on the ridge, gradient descent "
        "lingers at the saddle (0, 0); momentum and adaptive steps escape to a minimum at y = ±√2.",
        lambda x, y: x * x - y * y + 0.25 * y ** 4, lambda x, y: (2 * x, -2 * y + y ** 3),
        (-3.0, 0.01), ((0.0, np.sqrt(2.0)), (0.0, -np.sqrt(2.0))), (-3.5, 3.5), (-2.5, 2.5)),
    "several_minima": Surface(
        "Several minima (Himmelblau)", "J = (x² + y − 11)² + (x + y² − 7)²",
        "Four equally good minima: which one an optimizer ends in depends on where it starts and how "
        "it moves.",
        _himmelblau, _himmelblau_gradient,
        (-0.5, -0.5), ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848127)),
        (-5.0, 5.0), (-5.0, 5.0), log_colors=True),
}
