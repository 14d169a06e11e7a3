"""Classes gathered into the groups a person names: ImageNet's tabby, tiger cat, Egyptian cat and
Persian cat are one "cat" to a room, so the Image Lab says "cat 92 % (tabby 38 %, tiger cat 30 %, …)"
and says "Not sure" only when the group, too, is unsure.

    answers = grouped(probabilities, class_names, imagenet_groups())
    answers[0].name, answers[0].probability, answers[0].members   # 'cat', 0.92, [('tabby', 0.38), ...]

The grouping of ImageNet's classes is assets/models/imagenet_groups.json, made from WordNet's noun
hierarchy by assets/make_imagenet_groups.py; a class in no group is a group of its own.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import numpy as np

from core import paths


@dataclass(frozen=True)
class GroupAnswer:
    name: str
    probability: float                     # the members' probabilities added up
    members: tuple[tuple[str, float], ...]  # the group's classes the model named, most likely first

    @property
    def is_group(self) -> bool:
        """More than one class of the group is among the answers (else it reads as the class)."""
        return len(self.members) > 1


@functools.lru_cache(maxsize=1)
def imagenet_groups() -> dict[int, str]:
    """ImageNet class index -> its group's name (classes in no group are absent)."""
    data = json.loads((paths.ASSETS_DIR / "models" / "imagenet_groups.json").read_text(encoding="utf-8"))
    return {int(index): name for index, name in data["groups"].items()}


def grouped(probabilities: np.ndarray, class_names: list[str], groups: dict[int, str], k: int = 5,
            shown_members: int = 3, floor: float = 0.01) -> list[GroupAnswer]:
    """The `k` likeliest groups. A member is listed when it has at least `floor` of the probability."""
    totals: dict[str, float] = {}
    members: dict[str, list[tuple[str, float]]] = {}
    for index in np.argsort(-probabilities):
        p = float(probabilities[index])
        name = groups.get(int(index), class_names[index])
        totals[name] = totals.get(name, 0.0) + p
        if p >= floor or not members.get(name):
            members.setdefault(name, []).append((class_names[index], p))
    best = sorted(totals, key=lambda name: -totals[name])[:k]
    return [GroupAnswer(name, totals[name], tuple(members[name][:shown_members])) for name in best]


def describe(answer: GroupAnswer) -> str:
    """'tabby 38 %, tiger cat 30 %, Egyptian cat 24 %': what the group's probability is made of."""
    from core.formatting import format_percent
    return ", ".join(f"{label} {format_percent(p, 0)}" for label, p in answer.members)


def shown_group(prediction) -> GroupAnswer | None:
    """The group the headline names (several of its kinds among the answers), else None."""
    group = prediction.groups[0] if getattr(prediction, "groups", None) else None
    return group if group is not None and group.is_group else None


def members_of(name: str, groups: dict[int, str]) -> tuple[int, ...]:
    """Every class index of a group (what Grad-CAM explains for the group as a whole)."""
    return tuple(sorted(index for index, group in groups.items() if group == name))


def reading(prediction) -> str:
    """What the Image Lab's headline says, in a word: the group (several of its kinds named), the
    class, or "not sure"."""
    if not prediction.sure:
        return "not sure"
    group = shown_group(prediction)
    return group.name if group is not None else prediction.top[0][0]
