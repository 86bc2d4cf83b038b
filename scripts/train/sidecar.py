"""Files of a trained example for scripts/train/narm.py and attention_rnn.py: <name>.safetensors
(F32, little endian), <name>.model.json and <name>.expected.json (PyTorch's attention for the first
example, which test/unit/examples checks the engine against)."""
import json
import os
import struct

import torch

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples")


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        raw = tensors[name].detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)  # the header is padded to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def write_example(name, architecture, config, tokens, description, examples, tensors, expected):
    """expected: {ids, target_ids, attentions: {part: [layer][head][q][k]}, predicted_ids}."""
    write_safetensors(os.path.join(EXAMPLES, f"{name}.safetensors"), tensors)
    doc = {
        "format": "attention-inspector/model", "version": 1, "name": name, "description": description,
        "architecture": architecture, "config": config, "vocab": {"tokens": tokens, "split": "whitespace"},
        "examples": examples, "weights": {"safetensors": f"{name}.safetensors"},
    }
    with open(os.path.join(EXAMPLES, f"{name}.model.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    ref = {"model": f"{name}.model.json", "text": examples[0]["text"], "target_text": None, **expected, "tolerance": 1e-5}
    with open(os.path.join(EXAMPLES, f"{name}.expected.json"), "w") as f:
        json.dump(ref, f)
        f.write("\n")
    size = sum(os.path.getsize(os.path.join(EXAMPLES, f"{name}{ext}")) for ext in (".model.json", ".safetensors"))
    assert size < 2_000_000, f"{name}: {size} bytes; an example must stay under 2 MB"
    print(f"wrote examples/{name}.model.json + .safetensors ({size / 1024:.0f} KiB) and {name}.expected.json")
