"""How numbers, durations, sizes and metric names are shown to people: one place, every page.

Pages never print a raw float, a byte count or a snake_case metric name; they call these.
"""
from __future__ import annotations

import math
import re

# Metric keys as Keras and the runner write them -> what a person reads.
METRIC_LABELS = {
    "loss": "Training loss", "val_loss": "Validation loss", "test_loss": "Test loss",
    "accuracy": "Training accuracy", "val_accuracy": "Validation accuracy", "test_accuracy": "Test accuracy",
    "d_loss": "Discriminator loss", "g_loss": "Generator loss",
    "learning_rate": "Learning rate", "lr": "Learning rate",
    "fit_seconds": "Training time", "samples_per_second": "Examples per second",
    "parameters": "Parameters", "peak_rss_mb": "Peak memory", "test_examples": "Test examples",
    "epoch": "Epoch", "step": "Step", "batch": "Batch",
}


def metric_label(key: str) -> str:
    """'val_loss' -> 'Validation loss'; an unknown key still loses its underscores."""
    if key in METRIC_LABELS:
        return METRIC_LABELS[key]
    words = re.sub(r"^val_", "validation_", str(key)).replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else ""


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def format_number(value, digits: int = 3, dash: str = "—") -> str:
    """A number for people: thousands separators, a few significant digits, never 'None' or 'nan'.

    616320000 -> '616,320,000'; 6.7342 -> '6.73'; 0.000123 -> '0.000123'; 1.2e-9 -> '1.2e-09'.
    """
    if missing(value):
        return dash
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 1000):
        return f"{int(value):,}"
    value = float(value)
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude < 1e-4:
        return f"{value:.1e}"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(magnitude))))
    return f"{value:.{decimals}f}"


def format_percent(value, decimals: int = 1, dash: str = "—") -> str:
    """0.9731 -> '97.3%'."""
    return dash if missing(value) else f"{float(value):.{decimals}%}"


def format_seconds(seconds, dash: str = "…") -> str:
    """4 -> '4 s'; 97 -> '1 min 37 s'; 4000 -> '1 h 06 min'; under a second: '0.42 s' or '12 ms'."""
    if missing(seconds):
        return dash
    seconds = float(seconds)
    if seconds == 0:
        return "0 s"  # a start at the very beginning (a first word at 0) is not a duration in ms
    if seconds < 0.1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10:
        return f"{seconds:.1f} s" if seconds >= 1 else f"{seconds:.2f} s"
    whole = int(round(seconds))
    if whole >= 3600:
        return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
    return f"{whole // 60} min {whole % 60:02d} s" if whole >= 60 else f"{whole} s"


def format_bytes(size, dash: str = "—") -> str:
    """1536 -> '1.5 KB'; 18_800_000 -> '17.9 MB' (binary units, as the OS reports memory)."""
    if missing(size):
        return dash
    size = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(size) < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} TB"  # pragma: no cover - the loop returns at GB


def format_metric(key: str, value) -> str:
    """A metric's value in its own unit: accuracies as percentages, times as durations, the rest as numbers."""
    if missing(value):
        return "—"
    if "accuracy" in key:
        return format_percent(value)
    if key.endswith("seconds"):
        return format_seconds(value)
    if key.endswith("_mb"):
        return format_bytes(float(value) * 2**20)
    return format_number(value)
