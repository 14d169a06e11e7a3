"""Custom layers used by the studio's architectures, registered so `.keras` files load safely."""
from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="model_studio")
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned vector per position, so attention (which ignores order) can tell them apart."""

    def build(self, input_shape):
        self.positions = self.add_weight(shape=(input_shape[-2], input_shape[-1]),
                                         initializer="glorot_uniform", name="positions")

    def call(self, x):
        return x + self.positions

    def compute_mask(self, inputs, mask=None):
        return mask
