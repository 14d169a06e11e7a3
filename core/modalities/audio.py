"""Audio: one second of 16 kHz mono sound as a log-mel spectrogram (frames, mel bands, 1), values 0-1."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core.modalities.base import InputRefused, Modality, fill

AUDIO_PREPARE = """\
import numpy as np
# A log-mel spectrogram of one second of 16 kHz mono audio, values in [0, 1]: the studio makes it
# with core.audio.features.clip_features (the recipe and its numbers are in preprocessing.json).
x = np.load("{{example}}")[None].astype(np.float32)  # {{shape}}: one test clip's features
"""


class AudioModality(Modality):
    name = "audio"
    noun = "clips"
    example_file = "example.npy"
    grid = True
    none_of_these = True
    grid_options = {"columns": 4}  # spectrograms are wide

    def training_preprocessing(self) -> dict:
        from core.audio.features import FEATURE_PARAMS
        return {"features": dict(FEATURE_PARAMS, recipe="core.audio.features.clip_features")}

    def describe_input(self, shape, preprocessing) -> str:
        return ("A log-mel spectrogram of one second of 16 kHz mono audio (frames x mel bands x 1, values "
                "0-1); preprocessing.json has the recipe (core.audio.features.clip_features).")

    def prepare_code(self, shape, preprocessing, example, export_dir: Path) -> str:
        return fill(AUDIO_PREPARE, example=example, shape=str((1, *shape)))

    def random_inputs(self, rng, shape, preprocessing):
        return rng.uniform(0, 1, shape)

    def write_example(self, path: Path, example) -> None:
        np.save(path, np.asarray(example, np.float32))

    def pictures(self, examples) -> list:
        # A spectrogram as a picture: time across, pitch up.
        return [(np.flipud(np.asarray(p)[..., 0].T) * 255).astype(np.uint8) for p in examples]

    def import_shape_problem(self, input_shape):
        from core.audio.features import CLIP_FRAMES, N_MELS
        if input_shape[1:] == (CLIP_FRAMES, N_MELS, 1):
            return None
        return (f"(None, {CLIP_FRAMES}, {N_MELS}, 1): the studio's one-second log-mel spectrogram "
                f"({CLIP_FRAMES} frames of 10 ms, {N_MELS} mel bands, values 0-1; core/audio/features.py)")

    def import_preprocessing(self, given, input_shape) -> dict:
        from core.audio.features import FEATURE_PARAMS
        features = {key: value for key, value in given.get("features", {}).items() if key != "recipe"}
        if any(features.get(key, value) != value for key, value in FEATURE_PARAMS.items()):
            raise InputRefused("Refused: preprocessing.json describes audio features other than the "
                                   f"studio's ({FEATURE_PARAMS}); the audio lab can only compute those.")
        return self.training_preprocessing()

    def probe_inputs(self, rng, shape, preprocessing):
        return rng.uniform(0, 1, shape).astype(np.float32)

    def preparation_text(self, preprocessing) -> str:
        return "the loudest second as a log-mel spectrogram (as studio audio runs)"
