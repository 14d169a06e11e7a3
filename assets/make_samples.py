"""Make the small sample uploads in assets/samples/ (committed; re-run to regenerate them).

    python assets/make_samples.py

- shapes.zip: one folder per class (circle, square, triangle), 40 drawn 64x64 PNGs each, random
  size, place, colour and background: a stand-in for "a zip of your own photos".
- reviews.csv: 150 short product reviews (text, label) built from templates with clearly positive
  or negative wording: a stand-in for "a CSV of your own texts". Synthetic, and labelled so.
"""
from __future__ import annotations

import csv
import io
import random
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent / "samples"


def draw_shape(kind: str, rng: random.Random, size: int = 64) -> Image.Image:
    background = tuple(rng.randint(180, 255) for _ in range(3))
    color = tuple(rng.randint(0, 140) for _ in range(3))
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    r = rng.randint(size // 6, size // 3)
    cx, cy = rng.randint(r + 2, size - r - 2), rng.randint(r + 2, size - r - 2)
    if kind == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=color)
    elif kind == "square":
        draw.rectangle([cx - r, cy - r, cx + r, cy + r], fill=color)
    else:
        draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=color)
    return image


def make_shapes_zip(path: Path, per_class: int = 40, seed: int = 0) -> None:
    rng = random.Random(seed)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for kind in ("circle", "square", "triangle"):
            for i in range(per_class):
                buffer = io.BytesIO()
                draw_shape(kind, rng).save(buffer, format="PNG")
                archive.writestr(f"shapes/{kind}/{kind}_{i:03d}.png", buffer.getvalue())


POSITIVE = ["great", "excellent", "wonderful", "love it", "fantastic", "works perfectly", "superb",
            "very happy", "highly recommend", "brilliant"]
NEGATIVE = ["terrible", "awful", "broke after a day", "waste of money", "very disappointed",
            "does not work", "horrible", "returned it", "poor quality", "worst purchase"]
ITEMS = ["headphones", "coffee maker", "phone case", "backpack", "desk lamp", "keyboard",
         "water bottle", "blender", "charger", "umbrella"]
TEMPLATES = ["The {item} is {word}.", "{word}! My new {item} arrived yesterday.",
             "I bought this {item} last week: {word}.", "Honestly, {word}. The {item} is what I expected.",
             "{word} {item}, would say the same again."]


def make_reviews_csv(path: Path, rows: int = 150, seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for i in range(rows):
            label = "positive" if i % 2 == 0 else "negative"
            word = rng.choice(POSITIVE if label == "positive" else NEGATIVE)
            text = rng.choice(TEMPLATES).format(item=rng.choice(ITEMS), word=word)
            writer.writerow([text[0].upper() + text[1:], label])


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    make_shapes_zip(HERE / "shapes.zip")
    make_reviews_csv(HERE / "reviews.csv")
    for file in sorted(HERE.iterdir()):
        print(f"{file.name}: {file.stat().st_size:,} bytes")
