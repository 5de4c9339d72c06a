"""Minimal safetensors reader/writer (the `safetensors` Python package is not installed).

Format (https://github.com/huggingface/safetensors): 8-byte little-endian header length N, then N
bytes of JSON header {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}
padded with spaces to a multiple of 8, then the raw little-endian tensor data. Offsets are relative
to the end of the header.
"""

import json
import struct

import numpy as np
import torch

_DTYPES = {
    torch.float32: ("F32", 4),
    torch.bfloat16: ("BF16", 2),
    torch.float16: ("F16", 2),
}
_BY_NAME = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}


def tensor_bytes(t):
    """Raw little-endian bytes of a CPU tensor (bf16 via its int16 bit pattern)."""
    t = t.contiguous()
    if t.dtype == torch.bfloat16 or t.dtype == torch.float16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    if t.dtype == torch.float32:
        return t.numpy().astype("<f4").tobytes()
    raise ValueError(f"unsupported dtype {t.dtype}")


def write(path, tensors, metadata=None):
    """Write tensors (an ordered dict name -> tensor) to path. Tensors are laid out in sorted name
    order, like the reference implementation, so the bytes depend only on the contents."""
    header = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    blobs = []
    off = 0
    for name in sorted(tensors):
        t = tensors[name]
        dt, _ = _DTYPES[t.dtype]
        b = tensor_bytes(t)
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":"), sort_keys=False).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    return off


def read(path):
    """Read a safetensors file into a dict name -> torch tensor (original dtype)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = _BY_NAME[info["dtype"]]
        b, e = info["data_offsets"]
        raw = data[base + b : base + e]
        if dt == torch.float32:
            t = torch.from_numpy(np.frombuffer(raw, dtype="<f4").copy())
        else:
            t = torch.from_numpy(np.frombuffer(raw, dtype="<i2").copy()).view(dt)
        out[name] = t.reshape(info["shape"])
    return out
