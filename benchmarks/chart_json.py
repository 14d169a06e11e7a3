"""How long Plotly takes to write the studio's largest charts as JSON, with and without orjson.

    python benchmarks/chart_json.py

Streamlit sends every chart as `plotly.io.to_json(figure)`, on every rerun that draws it. Plotly
writes it with orjson when that package is installed and with the standard json module otherwise.
The charts: the optimizer playground (7 optimizers x 200 steps, an animation of 80 frames over the
loss surface's heatmap), a 10-minute clip's waveform with 200 words, and a 64-image grid.
Prints, per chart: its JSON size, the median of 5 writes with each engine, and the ratio.

Measured 2026-12-07 (2 cores): playground 1.69 MB, json 128 ms / orjson 125 ms (1.0x); waveform
0.19 MB, 10.5 / 8.9 ms (1.2x); image grid 3.0 / 2.8 ms. Plotly's time goes into building the dict
(to_plotly_json, base64 of arrays), not into the encoder, so the studio does not declare orjson;
its tests read a chart's spec with json.loads, so they pass with either engine.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def charts():
    from core import charts
    from core.principles.playground import walk
    from core.principles.surfaces import SURFACES
    surface = SURFACES["rosenbrock"]
    optimizers = ["gd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw"]
    paths = {key: walk(surface, key, 0.002, 200, {}, tuple(surface.start), 0.0) for key in optimizers}
    yield "optimizer playground (80 frames)", charts.optimizer_paths_figure(surface, paths, {k: k for k in optimizers})
    rate = 16_000
    samples = np.random.default_rng(0).normal(0, 0.1, 600 * rate).astype(np.float32)
    # The Audio Lab draws the words on the waveform up to 200 of them.
    words = [SimpleNamespace(text=f"word{i}", start=i * 0.4, end=i * 0.4 + 0.3, probability=0.9) for i in range(200)]
    yield "waveform of 10 minutes, 200 words", charts.waveform_figure(samples, rate, words)
    images = np.random.default_rng(1).random((64, 28, 28, 1)).astype(np.float32)
    yield "image grid, 64 of 28x28", charts.image_grid_figure(images, [f"image {i}" for i in range(64)])


def timed(figure, engine: str, repeats: int = 5) -> float:
    import plotly.io as pio
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        pio.to_json(figure, validate=False, engine=engine)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    import plotly.io as pio
    try:
        import orjson  # noqa: F401
        engines = ["json", "orjson"]
    except ImportError:
        engines = ["json"]
        print("orjson is not installed: only the json engine is timed")
    for name, figure in charts():
        size = len(pio.to_json(figure, validate=False))
        seconds = {engine: timed(figure, engine) for engine in engines}
        line = f"{name}: {size / 1e6:.2f} MB of JSON; " + ", ".join(
            f"{engine} {1000 * s:.1f} ms" for engine, s in seconds.items())
        if len(seconds) == 2:
            line += f"; orjson {seconds['json'] / seconds['orjson']:.1f}x faster"
        print(line)


if __name__ == "__main__":
    main()
