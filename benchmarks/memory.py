"""Memory of a large image upload (#8): imported to disk, trained streamed from disk.

    python benchmarks/memory.py                        # 10,000 images, CNN at 64x64, 2 epochs
    python benchmarks/memory.py --transfer             # the same images, transfer learning (224x224)
    python benchmarks/memory.py --baseline             # also train from an old in-memory images.npz
    python benchmarks/memory.py --images 2000 --size 32

1. Generates a zip of N PNG images in 10 classes (5 shapes x 2 colours on noise, drawn by code,
   in a temp dir: nothing is committed).
2. Imports it through `core.data.uploads.import_image_zip` in a child process, whose peak RSS
   (getrusage) is printed: the zip's bytes are in memory (as with Streamlit's uploader), the
   decoded images go straight to disk.
3. Launches a real run through `core.training.launch` in a temp MODEL_STUDIO_DATA and samples the
   runner process's RSS with psutil every 0.2 s until it ends. RSS includes file-backed pages:
   TensorFlow's shared libraries and the pages of the memory-mapped images file the runner has
   read (the kernel can drop those at any time), so RSS minus those ("anonymous") is printed too.
`--baseline` stores the same images the old way (one images.npz, loaded whole, cast to float32)
and trains on it too, to compare. Target: peak runner RSS under 2 GB.
"""
from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

SHAPES = ("circle", "square", "triangle", "bar", "cross")
COLOURS = ((200, 40, 40), (40, 60, 200))

IMPORT_CHILD = r"""
import json, resource, sys, time
from core.data import uploads
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
report = uploads.import_image_zip(data, title="memory benchmark", image_size=int(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": resource.getrusage(
    resource.RUSAGE_SELF).ru_maxrss / 1024, "before_mb": before, "key": report.dataset_key,
    "images": sum(report.class_counts.values())}))
"""

OLD_FORMAT_CHILD = r"""
import json, sys
import numpy as np
from core.data import IMAGE, uploads
new = uploads.upload_meta(sys.argv[1])
folder = uploads._upload_folder(sys.argv[1])
x, y = np.load(folder / "images.npy"), np.load(folder / "labels.npy")
report = uploads._store_arrays(IMAGE, "images.npz", x, y, "memory benchmark (images.npz)",
                               new["class_names"], new["class_counts"], {}, image_size=new["image_size"])
print(json.dumps({"key": report.dataset_key}))
"""


def drawing(label: int, size: int, rng) -> bytes:
    from PIL import Image, ImageDraw
    noise = rng.integers(150, 256, (size, size, 3), dtype=np.uint8)
    image = Image.fromarray(noise)
    draw = ImageDraw.Draw(image)
    shape, colour = SHAPES[label % 5], COLOURS[label // 5]
    r = int(rng.integers(size // 6, size // 3))
    cx, cy = (int(v) for v in rng.integers(r + 1, size - r - 1, 2))
    box = [cx - r, cy - r, cx + r, cy + r]
    if shape == "circle":
        draw.ellipse(box, fill=colour)
    elif shape == "square":
        draw.rectangle(box, fill=colour)
    elif shape == "triangle":
        draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=colour)
    elif shape == "bar":
        draw.rectangle([cx - r, cy - r // 4, cx + r, cy + r // 4], fill=colour)
    else:
        draw.rectangle([cx - r, cy - r // 4, cx + r, cy + r // 4], fill=colour)
        draw.rectangle([cx - r // 4, cy - r, cx + r // 4, cy + r], fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def make_zip(path: Path, images: int, size: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:  # PNGs are compressed already
        for i in range(images):
            label = i % 10
            archive.writestr(f"{SHAPES[label % 5]}_{'red' if label < 5 else 'blue'}/{i:05d}.png",
                             drawing(label, size, rng))


def child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=os.environ, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def train_and_watch(config) -> dict:
    """Launch a real run and sample its runner's memory every 0.2 s until it ends."""
    import psutil

    from core.runs import RunStore
    from core.training import launch
    store = RunStore()
    started = time.perf_counter()
    run_id = launch(config)
    process = psutil.Process(store.get_run(run_id).pid)
    peak_rss = peak_anon = 0
    while (run := store.get_run(run_id)).is_active:
        try:
            info = process.memory_info()
        except psutil.NoSuchProcess:
            break
        peak_rss, peak_anon = max(peak_rss, info.rss), max(peak_anon, info.rss - info.shared)
        time.sleep(0.2)
    run = store.get_run(run_id)
    if run.status != "completed":
        raise SystemExit(f"run {run_id} ended {run.status}: {run.error}")
    return {"seconds": time.perf_counter() - started, "fit_seconds": run.results["fit_seconds"],
            "peak_rss_mb": peak_rss / 2**20, "peak_anon_mb": peak_anon / 2**20,
            "runner_ru_maxrss_mb": run.results["peak_memory_mb"],
            "test_accuracy": run.results["test_accuracy"], "train_examples": run.results["train_examples"]}


def report_run(label: str, r: dict) -> None:
    print(f"{label}: {r['seconds']:.1f} s from launch to end ({r['fit_seconds']:.1f} s fitting, "
          f"{r['train_examples']:,} training examples); peak runner RSS {r['peak_rss_mb']:,.0f} MB "
          f"(anonymous {r['peak_anon_mb']:,.0f} MB; getrusage {r['runner_ru_maxrss_mb']:,.0f} MB); "
          f"test accuracy {r['test_accuracy']:.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=64, help="pixels of the generated images and of the upload")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--transfer", action="store_true", help="train by transfer learning (Image Lab)")
    parser.add_argument("--baseline", action="store_true", help="also train from an old in-memory images.npz")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="memory-benchmark-") as tmp:
        os.environ["MODEL_STUDIO_DATA"] = str(Path(tmp) / "data")
        if args.transfer:  # the converted EfficientNet, if this machine has one already
            models = ROOT / "data" / "models"
            if models.is_dir():
                (Path(tmp) / "data").mkdir()
                (Path(tmp) / "data" / "models").symlink_to(models, target_is_directory=True)
        zip_path = Path(tmp) / "images.zip"
        start = time.perf_counter()
        make_zip(zip_path, args.images, args.size)
        print(f"zip: {args.images:,} PNG images of {args.size}x{args.size} in 10 classes, "
              f"{zip_path.stat().st_size / 2**20:.0f} MB, made in {time.perf_counter() - start:.0f} s")

        upload_size = 224 if args.transfer else args.size  # the Image Lab imports photos at 224
        imported = child(IMPORT_CHILD, str(zip_path), str(upload_size))
        decoded_mb = imported["images"] * upload_size ** 2 * 3 / 2**20
        print(f"import: {imported['images']:,} images at {upload_size}x{upload_size} in "
              f"{imported['seconds']:.1f} s; peak RSS of the importing process {imported['peak_mb']:,.0f} MB "
              f"({imported['before_mb']:,.0f} MB before the import, zip bytes included; the decoded "
              f"images are {decoded_mb:,.0f} MB, on disk)")

        from core.training import RunConfig
        if args.transfer:
            config = RunConfig(dataset=imported["key"], architecture="efficientnet_transfer",
                               arch_params={"augment_copies": 0}, epochs=args.epochs, batch_size=32,
                               validation_split=0.1, name="memory benchmark (transfer)")
        else:
            config = RunConfig(dataset=imported["key"], architecture="cnn", epochs=args.epochs, batch_size=64,
                               validation_split=0.1, name="memory benchmark (CNN)")
        label = "transfer learning, streamed" if args.transfer else f"CNN at {upload_size}x{upload_size}, streamed"
        report_run(f"train ({label})", train_and_watch(config))
        if args.baseline:
            old = child(OLD_FORMAT_CHILD, imported["key"].split(":", 1)[1])
            report_run("train (same, from an old images.npz in memory)",
                       train_and_watch(dataclasses.replace(config, dataset=old["key"])))


if __name__ == "__main__":
    main()
