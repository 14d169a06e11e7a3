"""Make assets/samples/odd_one_out.zip, the Meaning lab's bundled image map (committed; re-run to
regenerate it):

    python assets/make_image_map_sample.py

Fashion-MNIST test images (Zalando, MIT licence; Debian's dataset-fashion-mnist, read by
core.data.bundled) of three things that look nothing alike: trousers, sneakers and bags, 16 each,
one folder per label. Two are misfiled on purpose: a sneaker in bag/ and a bag in trouser/, the
mistakes the map's "odd ones out" should find. File names do not give them away (the page says
which they are once the user has looked).
"""
from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent / "samples"
sys.path.insert(0, str(HERE.parent.parent))  # run as a script: the studio's own reader of the IDX files
CLASSES = {"trouser": 1, "sneaker": 7, "bag": 8}   # Fashion-MNIST class ids
PER_CLASS = 16
MISFILED = {"bag": "sneaker", "trouser": "bag"}     # folder -> the class of the one image put in it by mistake


def pick(y: np.ndarray, class_id: int, count: int, skip: int = 0) -> np.ndarray:
    return np.flatnonzero(y == class_id)[skip:skip + count]


def make(path: Path) -> list[str]:
    """Write the zip; returns the names of the misfiled images."""
    from core.data.bundled import _read_idx, fashion_mnist_dir
    root = fashion_mnist_dir()
    x = _read_idx(root / "t10k-images-idx3-ubyte.gz")
    y = _read_idx(root / "t10k-labels-idx1-ubyte.gz")
    rng = np.random.default_rng(0)
    misfiled = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder, class_id in CLASSES.items():
            chosen = [(i, False) for i in pick(y, class_id, PER_CLASS)]
            if folder in MISFILED:  # one image of another class, from past the ones used for that class
                chosen.append((pick(y, CLASSES[MISFILED[folder]], 1, skip=PER_CLASS)[0], True))
            for number, (index, wrong) in enumerate(rng.permutation(np.array(chosen, dtype=object))):
                name = f"clothes/{folder}/{folder}_{number:02d}.png"
                buffer = io.BytesIO()
                Image.fromarray(255 - x[index]).save(buffer, format="PNG")  # dark item on white, like a photo
                archive.writestr(name, buffer.getvalue())
                if wrong:
                    misfiled.append(name)
    return misfiled


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    print("misfiled:", make(HERE / "odd_one_out.zip"))
