"""Read a PyTorch *legacy* (pre-1.6, non-zip) ``.pth`` state dict into NumPy, without torch.

File layout, all little-endian (see torch/serialization.py, ``_legacy_save``):

    pickle: magic number 0x1950a86a20f9469cfc6c
    pickle: protocol version 1001
    pickle: sys info {"little_endian": True, "type_sizes": {...}, ...}
    pickle: the state dict; each tensor is ``torch._utils._rebuild_tensor_v2(storage, offset,
            size, stride, requires_grad, hooks)`` and each storage a persistent id
            ("storage", torch.FloatStorage, key, location, numel[, view_metadata])
    pickle: list of storage keys, in the order their data follows
    then per key: int64 element count, then count * itemsize bytes of raw data

A pickle can call any importable function, so the pickles are read by an unpickler that knows
only the handful of names a plain state dict needs and refuses everything else.
"""
from __future__ import annotations

import collections
import os
import pickle
from dataclasses import dataclass

import numpy as np

_MAGIC = 0x1950A86A20F9469CFC6C
_PROTOCOL = 1001

# torch.<Name>Storage -> NumPy dtype (always little-endian on disk; big-endian files are refused).
_STORAGE_DTYPES = {
    "FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2",
    "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2",
    "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "?",
}


@dataclass(frozen=True)
class _StorageType:
    """Stands in for ``torch.FloatStorage`` etc. in persistent ids; never to be called."""
    name: str
    dtype: np.dtype

    def __call__(self, *args, **kwargs):
        raise pickle.UnpicklingError(f"refusing to call torch.{self.name}")


@dataclass(frozen=True)
class _StorageRef:
    key: str
    dtype: np.dtype
    numel: int
    offset: int = 0  # elements into the root storage (only for old-style storage views)


@dataclass(frozen=True)
class _TensorRef:
    """A tensor whose storage bytes come after the pickle; materialised once they are read."""
    storage: _StorageRef
    offset: int
    size: tuple
    stride: tuple


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    if not isinstance(storage, _StorageRef):
        raise pickle.UnpicklingError("tensor without a storage persistent id")
    return _TensorRef(storage, int(storage_offset), tuple(map(int, size)), tuple(map(int, stride)))


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name, np.dtype(_STORAGE_DTYPES[name]))
        raise pickle.UnpicklingError(
            f"refusing to load '{module}.{name}': a weights file may only contain tensors "
            "(allowed: torch._utils._rebuild_tensor_v2, torch.*Storage, collections.OrderedDict)")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r:.80}")
        _, storage_type, key, _location, numel = pid[:5]
        view = pid[5] if len(pid) == 6 else None
        root = _StorageRef(str(key), storage_type.dtype, int(numel))
        if view is None:
            return root
        _view_key, offset, view_size = view  # a slice of the root storage (torch < 0.4 files)
        return _StorageRef(root.key, root.dtype, int(view_size), int(offset))


def _load_one(f):
    return _RestrictedUnpickler(f).load()


def load_legacy_state_dict(path) -> dict[str, np.ndarray]:
    """Tensors of a legacy-format ``.pth`` state dict as ``{name: np.ndarray}`` (copies)."""
    with open(path, "rb") as f:
        if f.read(4) == b"PK\x03\x04":
            raise ValueError(f"{path} is a zip-format (torch >= 1.6) checkpoint; "
                             "this reader only handles the legacy format")
        f.seek(0)
        if _load_one(f) != _MAGIC:
            raise ValueError(f"{path} is not a legacy PyTorch file (bad magic number)")
        if _load_one(f) != _PROTOCOL:
            raise ValueError(f"{path}: unsupported legacy protocol version")
        sys_info = _load_one(f)
        if not isinstance(sys_info, dict) or not sys_info.get("little_endian", False):
            raise ValueError(f"{path}: only little-endian files are supported")
        state = _load_one(f)
        keys = _load_one(f)
        if not isinstance(state, dict) or not isinstance(keys, list):
            raise ValueError(f"{path} does not hold a state dict")

        # Storage size per key, as declared by the tensors that use it.
        wanted = {}
        for ref in state.values():
            if isinstance(ref, _TensorRef):
                s = ref.storage
                wanted[s.key] = (s.dtype, max(wanted.get(s.key, (None, 0))[1], s.offset + s.numel))

        file_size = os.fstat(f.fileno()).st_size
        storages = {}
        for key in keys:
            count = int(np.frombuffer(f.read(8), "<i8")[0])
            if key not in wanted:  # torch only lists storages that some tensor uses
                raise ValueError(f"{path}: storage {key} is used by no tensor")
            dtype, numel = wanted[key]
            nbytes = count * dtype.itemsize
            # Check before reading so a corrupt count cannot make us allocate gigabytes.
            if count < numel or nbytes > file_size - f.tell():
                raise ValueError(f"{path}: storage {key} is truncated or inconsistent")
            storages[key] = np.frombuffer(f.read(nbytes), dtype)

    out = {}
    for name, ref in state.items():
        if not isinstance(ref, _TensorRef):
            raise ValueError(f"{path}: entry {name!r} is not a tensor")
        flat = storages[ref.storage.key]
        item = flat.itemsize
        # Bounds check so as_strided can never read past the storage.
        last = ref.storage.offset + ref.offset + sum((n - 1) * s for n, s in zip(ref.size, ref.stride))
        if min(ref.size, default=1) > 0 and (last >= flat.size or min(ref.stride, default=0) < 0):
            raise ValueError(f"{path}: tensor {name!r} lies outside its storage")
        start = flat[ref.storage.offset + ref.offset:]
        view = np.lib.stride_tricks.as_strided(
            start, shape=ref.size, strides=tuple(s * item for s in ref.stride), writeable=False)
        out[name] = np.array(view)  # copy: contiguous, writable, independent of the file buffer
    return out
