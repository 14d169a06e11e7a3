"""A run's checkpoint, and resuming from it.

`checkpoint.keras` holds the model with its optimizer state; its sidecar `checkpoint.json`
({"epoch": N, "step": S, "elapsed": T, "bytes": B, "sha256": H}) says how far training had got
when it was written. Resuming reads the sidecar, not the metric rows (they may be ahead of the
checkpoint), and the size and hash tell a damaged or half-written checkpoint from a good one
without importing TensorFlow.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from core.storage import naming

CHECKPOINT, SIDECAR = "checkpoint.keras", "checkpoint.json"
ADAPTER_CHECKPOINT = "checkpoint.npz"   # a fine-tuning run's: its LoRA adapters and optimizer state only
CHECKPOINT_FILES = (CHECKPOINT, ADAPTER_CHECKPOINT)


class ResumeError(ValueError):
    """This run cannot be resumed; the message says why and what to do instead."""


@dataclass(frozen=True)
class CheckpointState:
    epoch: int          # epochs completed in the checkpoint; training continues with epoch + 1
    step: int           # optimizer steps done
    elapsed: float      # seconds of training so far (curves against time continue from here)


def damaged(reason: str) -> ResumeError:
    return ResumeError(f"The checkpoint of this run is damaged ({reason}); it cannot be resumed. "
                       "Launch it again from its settings.")


def save_checkpoint(model, path: Path, state: CheckpointState) -> None:
    """Write the model (with its optimizer state) and its sidecar next to each other."""
    write_checkpoint(path, state, model.save)


def write_checkpoint(path: Path, state: CheckpointState, write) -> None:
    """`write(partial_path)` writes the checkpoint file; then the sidecar beside it. A reader never
    sees half a file, and a failed write (a full disk) leaves no partial files behind."""
    path = Path(path)
    partial, partial_info = path.with_suffix(".tmp" + path.suffix), path.with_name(SIDECAR + ".tmp")
    try:
        write(partial)
        info = {"epoch": state.epoch, "step": state.step, "elapsed": state.elapsed,
                "bytes": partial.stat().st_size, "sha256": _sha256(partial)}
        partial_info.write_text(json.dumps(info), encoding="utf-8")
        os.replace(partial, path)
        os.replace(partial_info, path.with_name(SIDECAR))
    except BaseException as err:
        for leftover in (partial, partial_info):
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                pass
        if isinstance(err, OSError):
            raise naming(err, path)
        raise


def read_checkpoint(run_dir: Path, name: str | None = None) -> CheckpointState | None:
    """The state saved in the run's checkpoint (`name`: its file, by default the model's, else the
    one found), after checking its size and hash; None if the run never saved one. Raises
    ResumeError when it is damaged. Cheap: no TensorFlow."""
    name = name or next((n for n in CHECKPOINT_FILES if (Path(run_dir) / n).exists()), CHECKPOINT)
    model_file, sidecar = Path(run_dir) / name, Path(run_dir) / SIDECAR
    if not model_file.exists() and not sidecar.exists():
        return None
    if not model_file.exists():
        raise damaged(f"{name} is missing")
    if not sidecar.exists():
        raise damaged(f"{SIDECAR} is missing; it may have been saved by an older version")
    try:
        info = json.loads(sidecar.read_text(encoding="utf-8"))
        state = CheckpointState(int(info["epoch"]), int(info["step"]), float(info["elapsed"]))
        size, digest = int(info["bytes"]), str(info["sha256"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise damaged(f"{SIDECAR} cannot be read: {err}") from None
    actual = model_file.stat().st_size
    if actual != size:
        raise damaged(f"{name} is {'truncated' if actual < size else 'changed'}: "
                      f"{actual:,} bytes instead of {size:,}")
    if _sha256(model_file) != digest:
        raise damaged(f"{name} does not match what was saved")
    return state


def check_loads(run_dir: Path) -> None:
    """Load the checkpoint (safe mode) the way a user's model would be loaded; ResumeError if not."""
    import keras
    try:
        keras.models.load_model(Path(run_dir) / CHECKPOINT, safe_mode=True)
    except Exception as err:  # noqa: BLE001 - whatever Keras raises, the checkpoint is unusable
        raise damaged(f"Keras cannot load it: {type(err).__name__}: {err}") from None


def restore(model, run_dir: Path) -> CheckpointState:
    """Put the checkpoint's weights and optimizer state into `model` (built and compiled the same
    way as the run's, never deserialized from the file); returns how far it had got."""
    state = read_checkpoint(run_dir)
    if state is None:
        raise ResumeError("This run stopped before its first checkpoint was saved; it cannot be resumed. "
                          "Launch it again from its settings.")
    model.optimizer.build(model.trainable_variables)  # else Keras skips the saved optimizer state
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.load_weights(Path(run_dir) / CHECKPOINT)
    except Exception as err:  # noqa: BLE001
        raise damaged(f"its weights do not load: {type(err).__name__}: {err}") from None
    skipped = [str(w.message) for w in caught if "Skipping variable loading" in str(w.message)]
    if skipped:
        raise damaged(skipped[0].strip())
    return state


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
