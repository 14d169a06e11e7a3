"""The throttled checkpoint: saved at most every `min_interval` seconds, and always at the end."""
import keras
import numpy as np

from core.training.callbacks import Checkpoint


def _fit(callback, epochs=4):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = np.random.default_rng(0).normal(size=(32, 3)), np.arange(32) % 2
    model.fit(x, y, epochs=epochs, verbose=0, callbacks=[callback])
    return model


def test_saves_once_at_the_end_when_epochs_are_fast(tmp_path, monkeypatch):
    saves = []
    checkpoint = Checkpoint(tmp_path / "checkpoint.keras", min_interval=3600)
    original = checkpoint._save
    monkeypatch.setattr(checkpoint, "_save", lambda: (saves.append(1), original()))
    model = _fit(checkpoint)
    assert len(saves) == 1 and not list(tmp_path.glob("*.tmp.keras"))
    reloaded = keras.models.load_model(tmp_path / "checkpoint.keras", safe_mode=True)
    for a, b in zip(reloaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)  # the final weights, not an earlier epoch's


def test_saves_every_epoch_when_the_interval_allows(tmp_path, monkeypatch):
    saves = []
    checkpoint = Checkpoint(tmp_path / "checkpoint.keras", min_interval=0)
    original = checkpoint._save
    monkeypatch.setattr(checkpoint, "_save", lambda: (saves.append(1), original()))
    _fit(checkpoint, epochs=3)
    assert len(saves) == 3  # one per epoch; nothing left unsaved at the end
