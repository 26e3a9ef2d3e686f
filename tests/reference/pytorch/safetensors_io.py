"""A tiny safetensors writer and reader (the `safetensors` package is not installed here).

Layout: u64 little-endian header length N, N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then the data,
offsets relative to the first byte after the header.
"""
import json
import struct

import numpy as np

# uint16 arrays are bfloat16 bit patterns (numpy has no bfloat16): the only 16-bit data these scripts write.
_DTYPES = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int32"): "I32", np.dtype("int64"): "I64",
           np.dtype("uint16"): "BF16"}


def save(path, tensors, metadata=None):
    """Writes {name: numpy array} in the given order, little-endian, row-major."""
    header, chunks, offset = {}, [], 0
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _DTYPES[array.dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # keep the data 8-byte aligned, as the reference writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)


def load(path):
    """Reads every tensor into {name: numpy array}."""
    reverse = {v: k for k, v in _DTYPES.items()}
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    header.pop("__metadata__", None)
    result = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        result[name] = np.frombuffer(data[begin:end], dtype=reverse[info["dtype"]].newbyteorder("<")).reshape(info["shape"])
    return result
