"""Make the small sample uploads in assets/samples/ (committed; re-run to regenerate them).

    python assets/make_samples.py

- shapes.zip: one folder per class (circle, square, triangle), 40 drawn 64x64 PNGs each, random
  size, place, colour and background: a stand-in for "a zip of your own photos".
- sounds.zip: one folder per class (whistle, knock, hiss), 16 WAV clips each at 16 kHz: tones
  gliding up or down, decaying low thumps, bursts of filtered noise, each at a random pitch, length,
  place and level over a faint noise floor: a stand-in for "a zip of your own sound recordings".
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


def make_sound(kind: str, rng: random.Random, rate: int = 16000):
    import numpy as np
    n = int(rate * rng.uniform(0.6, 1.0))
    t = np.arange(n) / rate
    length = rng.uniform(0.25, 0.5)
    envelope = np.clip(1 - np.abs(t - n / rate / 2) / (length / 2), 0, 1)
    if kind == "whistle":      # a tone gliding between two pitches
        f0, f1 = rng.uniform(900, 2500), rng.uniform(900, 2500)
        phase = 2 * np.pi * np.cumsum(np.linspace(f0, f1, n)) / rate
        sound = np.sin(phase) * envelope
    elif kind == "knock":      # a few decaying low thumps
        sound = np.zeros(n)
        for start in sorted(rng.uniform(0.05, n / rate - 0.2) for _ in range(rng.randint(1, 3))):
            s = t - start
            sound += np.where(s > 0, np.sin(2 * np.pi * rng.uniform(80, 220) * s) * np.exp(-s * 30), 0)
    else:                      # hiss: noise, brightened by differencing
        noise = np.random.default_rng(rng.randint(0, 1 << 30)).standard_normal(n)
        sound = np.diff(noise, prepend=0) * envelope
    sound = sound / (np.abs(sound).max() + 1e-9) * rng.uniform(0.2, 0.8)
    floor = np.random.default_rng(rng.randint(0, 1 << 30)).standard_normal(n) * 0.003
    return (sound + floor).astype("float32")


def make_sounds_zip(path: Path, per_class: int = 16, seed: int = 0) -> None:
    import soundfile
    rng = random.Random(seed)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for kind in ("whistle", "knock", "hiss"):
            for i in range(per_class):
                buffer = io.BytesIO()
                soundfile.write(buffer, make_sound(kind, rng), 16000, format="WAV", subtype="PCM_16")
                info = zipfile.ZipInfo(f"sounds/{kind}/{kind}_{i:02d}.wav", date_time=(2026, 1, 1, 0, 0, 0))
                archive.writestr(info, buffer.getvalue(), zipfile.ZIP_DEFLATED)


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
    make_sounds_zip(HERE / "sounds.zip")
    for file in sorted(HERE.iterdir()):
        print(f"{file.name}: {file.stat().st_size:,} bytes")
