#!/usr/bin/python3
"""Writes numpy-written.safetensors with json + numpy only, following the safetensors spec the way the reference
package lays files out (metadata first, tensors sorted by name, compact JSON, space padding to 8 bytes), so that
SafetensorsTests reads a file no PathoFed code wrote. Run from this folder; the output is committed."""
import json, struct
import numpy as np

tensors = {
    "attention.w": np.arange(6, dtype="<f4").reshape(2, 3) / 4,
    "classifier.b": np.array([-1.5, 3.25], dtype="<f4"),
    "empty": np.zeros((0, 4), dtype="<f4"),
}
header, offset, data = {"__metadata__": {"format": "pt", "writer": "numpy"}}, 0, b""
for name in sorted(tensors):
    raw = tensors[name].tobytes()
    header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(raw)]}
    offset += len(raw)
    data += raw
encoded = json.dumps(header, separators=(",", ":")).encode()
encoded += b" " * (-len(encoded) % 8)
with open("numpy-written.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(encoded)) + encoded + data)
