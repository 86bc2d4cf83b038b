"""Writing the project's files: a minimal safetensors writer (and reader, to check round trips),
the `<name>.model.json` document and the `<name>.expected.json` reference attention."""
import json
import os
import struct

import numpy as np


def write_safetensors(path, tensors):
    """tensors: {name: np.ndarray}; every tensor is stored as little-endian F32.

    Layout: u64 LE header length, JSON header {name: {dtype, shape, data_offsets}} padded with
    spaces to a multiple of 8, then the raw bytes (offsets relative to the end of the header)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype='<f4')
        raw = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        assert meta["dtype"] == "F32"
        a, b = meta["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(meta["shape"])
    return out


def write_model(out_dir, name, architecture, config, vocab, description, examples, tensors):
    """Writes <name>.model.json + <name>.safetensors; returns the pair's size in bytes."""
    os.makedirs(out_dir, exist_ok=True)
    st = f"{name}.safetensors"
    write_safetensors(os.path.join(out_dir, st), tensors)
    doc = {
        "format": "attention-inspector/model",
        "version": 1,
        "name": name,
        "description": description,
        "architecture": architecture,
        "config": config,
        "vocab": vocab,
        "examples": examples,
        "weights": {"safetensors": st},
    }
    jp = os.path.join(out_dir, f"{name}.model.json")
    with open(jp, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    # Round trip: what we wrote is what we trained.
    back = read_safetensors(os.path.join(out_dir, st))
    assert sorted(back) == sorted(tensors)
    for k, v in tensors.items():
        assert np.array_equal(back[k], np.asarray(v, dtype=np.float32)), k
    size = os.path.getsize(jp) + os.path.getsize(os.path.join(out_dir, st))
    assert size < 2_000_000, f"{name}: {size} bytes, the pair must stay under 2 MB"
    return size


def write_expected(out_dir, name, example, ids, target_ids, attentions, predicted_ids, extra=None):
    """The reference a test compares the engine against: PyTorch's attention for one example.

    attentions: {"encoder" | "decoder" | "cross": [layer][head][query][key]} (nested lists);
    extra: architecture-specific reference values (e.g. the masked-LM top-5), merged in."""
    doc = {
        "model": f"{name}.model.json",
        "text": example.get("text"),
        "target_text": example.get("target_text"),
        "ids": [int(i) for i in ids],
        "target_ids": [int(i) for i in target_ids],
        "attentions": attentions,
        "predicted_ids": [int(i) for i in predicted_ids],
        "tolerance": 1e-5,
        **(extra or {}),
    }
    with open(os.path.join(out_dir, f"{name}.expected.json"), "w") as f:
        json.dump(doc, f)
        f.write("\n")


def tokenize(text, tokens, lowercase=False, unk=None):
    """The whitespace tokenizer of docs/model-format.md: split on whitespace, look each piece up."""
    index = {t: i for i, t in enumerate(tokens)}
    if lowercase:
        text = text.lower()
    out = []
    for piece in text.split():
        if piece in index:
            out.append(index[piece])
        elif unk is not None:
            out.append(index[unk])
        else:
            raise KeyError(f"token {piece!r} is not in the vocabulary")
    return out
