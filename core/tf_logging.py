"""Keep TensorFlow's harmless start-up lines out of the console, and nothing else.

On a computer without an NVIDIA driver, TensorFlow's first device query logs, at ERROR level,
`failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)`: it only
means "no GPU here, training on the CPU", which is what the studio expects. Its C++ log level
(TF_CPP_MIN_LOG_LEVEL) must be set before TensorFlow is imported, so app.py and the runner
(core/train.py) call `quiet_tensorflow()` first thing.

TensorFlow's warning that predict steps were "retraced" is dropped too (see `not_retracing`).

What stays visible: every Python exception (TensorFlow raises its real errors as exceptions; the
runner records them as the run's failure), and on a computer with a GPU driver the C++ errors too
(level 2 hides only info and warnings there: a failing GPU must be heard). A level set by the user
(e.g. TF_CPP_MIN_LOG_LEVEL=0 to debug) is kept as it is.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

LOG_LEVEL_ENV = "TF_CPP_MIN_LOG_LEVEL"
NVIDIA_DRIVER_FILES = ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/nvidia0")


def has_nvidia_driver(files=NVIDIA_DRIVER_FILES) -> bool:
    return any(Path(path).exists() for path in files)


def tensorflow_env(environ=None, gpu_driver: bool | None = None) -> dict[str, str]:
    """The variables to add to `environ` (default: this process's) before TensorFlow is imported."""
    environ = os.environ if environ is None else environ
    if environ.get(LOG_LEVEL_ENV):
        return {}
    gpu_driver = has_nvidia_driver() if gpu_driver is None else gpu_driver
    # 3 hides ERROR lines too: without a driver the only one at start is the cuInit failure above.
    return {LOG_LEVEL_ENV: "2" if gpu_driver else "3"}


def quiet_tensorflow() -> None:
    os.environ.update(tensorflow_env())
    logging.getLogger("tensorflow").addFilter(not_retracing)  # the logger TensorFlow will log to


def not_retracing(record: logging.LogRecord) -> bool:
    """Drop TensorFlow's "N out of the last M calls … triggered tf.function retracing" warning.

    Every model the labs load (a taught run, its "None of these" reader, an occlusion's batch of
    patches) compiles its own predict step once per batch shape: expected, and paid once per
    model. TensorFlow counts those first traces across all models as "retracing" and warned twice
    in one walk through the studio, telling a user to restructure code they cannot see."""
    return "triggered tf.function retracing" not in record.getMessage()
