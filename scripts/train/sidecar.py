"""Files of a trained example for scripts/train/narm.py and attention_rnn.py: <name>.safetensors
(F32, little endian), <name>.model.json and <name>.expected.json (PyTorch's attention for the first
example, which test/unit/examples checks the engine against), written by files.py's writers."""
import os

from files import write_expected, write_model

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples")


def write_example(name, architecture, config, tokens, description, examples, tensors, expected):
    """tensors: {name: torch.Tensor}; expected: {ids, target_ids, attentions: {part: [layer][head][q][k]}, predicted_ids}."""
    arrays = {k: t.detach().float().contiguous().numpy() for k, t in tensors.items()}
    vocab = {"tokens": tokens, "split": "whitespace"}
    size = write_model(EXAMPLES, name, architecture, config, vocab, description, examples, arrays)
    write_expected(EXAMPLES, name, examples[0], expected["ids"], expected["target_ids"], expected["attentions"], expected["predicted_ids"])
    print(f"wrote examples/{name}.model.json + .safetensors ({size / 1024:.0f} KiB) and {name}.expected.json")
