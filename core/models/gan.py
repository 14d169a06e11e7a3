"""DCGAN (Radford et al., 2015): a generator that draws images from noise, a discriminator that
tells them from real ones, trained against each other.

    gan = DCGAN(build_generator(32, (28, 28, 1)), build_discriminator((28, 28, 1)), latent_dim=32)
    gan.compile(d_optimizer=Adam(2e-4, beta_1=0.5), g_optimizer=Adam(2e-4, beta_1=0.5))
    gan.fit(images_in_minus1_to_1, epochs=10)

Each step: D learns  max log D(x) + log(1 − D(G(z)));  G learns  max log D(G(z))  (the
"non-saturating" form, which gives G useful gradients while D is still winning).
"""
from __future__ import annotations

import keras


def build_generator(latent_dim: int, shape: tuple, filters: int = 64):
    """z -> image in [-1, 1]: a dense layer to a quarter-size map, then two stride-2 up-convolutions."""
    height, width, channels = shape
    return keras.Sequential([
        keras.Input((latent_dim,)),
        keras.layers.Dense((height // 4) * (width // 4) * filters, name="project"),
        keras.layers.LeakyReLU(0.2),
        keras.layers.Reshape((height // 4, width // 4, filters)),
        keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same", name="up_1"),
        keras.layers.BatchNormalization(momentum=0.9),
        keras.layers.LeakyReLU(0.2),
        keras.layers.Conv2DTranspose(filters // 2, 4, strides=2, padding="same", name="up_2"),
        keras.layers.BatchNormalization(momentum=0.9),
        keras.layers.LeakyReLU(0.2),
        keras.layers.Conv2D(channels, 3, padding="same", activation="tanh", name="image"),
    ], name="generator")


def build_discriminator(shape: tuple, filters: int = 64):
    """image -> one logit: real (high) or generated (low)."""
    return keras.Sequential([
        keras.Input(shape),
        keras.layers.Conv2D(filters // 2, 4, strides=2, padding="same", name="down_1"),
        keras.layers.LeakyReLU(0.2),
        keras.layers.Conv2D(filters, 4, strides=2, padding="same", name="down_2"),
        keras.layers.LeakyReLU(0.2),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(1, name="real_or_fake"),
    ], name="discriminator")


class DCGAN(keras.Model):
    def __init__(self, generator, discriminator, latent_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.generator, self.discriminator, self.latent_dim = generator, discriminator, latent_dim
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(optimizer=g_optimizer, **kwargs)  # model.optimizer: the generator's
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def train_step(self, real):
        import tensorflow as tf
        if isinstance(real, tuple):
            real = real[0]
        batch = tf.shape(real)[0]
        z = tf.random.normal((batch, self.latent_dim))
        with tf.GradientTape() as tape:                     # D: real -> 1, generated -> 0
            fake = self.generator(z, training=True)
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = (self.bce(tf.ones_like(real_logits), real_logits)
                      + self.bce(tf.zeros_like(fake_logits), fake_logits))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        z = tf.random.normal((batch, self.latent_dim))
        with tf.GradientTape() as tape:                     # G: make D say 1 for generated images
            fake_logits = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = self.bce(tf.ones_like(fake_logits), fake_logits)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}
