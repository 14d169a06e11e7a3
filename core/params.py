"""Typed knobs for registries: one `Param` per hyperparameter, validated the same way everywhere.

Architectures, optimizers and datasets each declare their knobs as a dict of `Param`s. The Train
page draws a widget per knob from that dict, and `resolve` checks what comes back, so adding a
knob is adding one entry.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


class ConfigError(ValueError):
    """A configuration the user can fix. `problems` holds one plain-words message per mistake."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Param:
    default: Any
    label: str
    min: float | None = None
    max: float | None = None
    choices: tuple | None = None
    help: str = ""
    log_scale: bool = False  # draw as a log slider (learning rates, weight decay)

    def check(self, name: str, value: Any) -> tuple[Any, str | None]:
        """Return (coerced value, problem or None)."""
        if self.choices is not None:
            if value not in self.choices:
                return value, f"{self.label}: '{value}' is not one of {', '.join(map(str, self.choices))}."
            return value, None
        if isinstance(self.default, bool):
            return bool(value), None
        kind = int if isinstance(self.default, int) else float
        try:
            number = kind(value)
        except (TypeError, ValueError):
            return value, f"{self.label}: expected a number, got '{value}'."
        except OverflowError:  # int(inf)
            number = float(value)
        if not math.isfinite(number):
            return value, f"{self.label}: expected a finite number, got {value}."
        if kind is int and float(value) != number:
            return value, f"{self.label}: expected a whole number, got {value}."
        if self.min is not None and number < self.min:
            return number, f"{self.label} must be at least {self.min:g} (got {number:g})."
        if self.max is not None and number > self.max:
            return number, f"{self.label} must be at most {self.max:g} (got {number:g})."
        return number, None


def resolve(specs: dict[str, Param], given: dict | None, where: str) -> tuple[dict, list[str]]:
    """Fill defaults, coerce and range-check `given` against `specs`. Unknown keys are problems."""
    given = dict(given or {})
    values, problems = {}, []
    for name in given.keys() - specs.keys():
        problems.append(f"{where}: unknown setting '{name}'.")
    for name, spec in specs.items():
        value, problem = spec.check(name, given.get(name, spec.default))
        values[name] = value
        if problem:
            problems.append(problem)
    return values, problems
