"""Trains examples/show-attend-tell-shapes: Show, Attend and Tell (Xu et al. 2015, soft attention)
on synthetic 24×24 scenes of one or two coloured shapes with template captions.

A scene is one or two objects (colour, shape, quadrant) drawn by the same rules as the engine's
front end (src/engine/models/scene.ts). The caption names the objects in reading order:
"a red circle above a blue square" when the first is in the upper row, "… beside …" when both are
in the same row, "a green triangle" for one object. The words a caption says depend on where each
object is, so the decoder has to look: the attention for "red"/"circle" should land on that shape.

Run: /usr/bin/python3 scripts/train/show_attend_tell.py   (CPU, one thread, fixed seed, ~2 minutes)"""
import os
import random
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from files import write_expected, write_model  # noqa: E402

torch.set_num_threads(1)
SEED = 11
NAME = "show-attend-tell-shapes"
EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples")

SIZE = 24
SCENE = {
    "colours": {"red": [1, 0.15, 0.1], "green": [0.1, 0.8, 0.2], "blue": [0.2, 0.4, 1], "yellow": [1, 0.9, 0.1]},
    "shapes": ["circle", "square", "triangle"],
    "positions": {"top-left": [6, 6], "top-right": [6, 18], "bottom-left": [18, 6], "bottom-right": [18, 18]},
    "radius": 4.5,
}
COLOURS, SHAPES, POSITIONS = list(SCENE["colours"]), SCENE["shapes"], list(SCENE["positions"])
SRC = ["<pad>"] + COLOURS + SHAPES + POSITIONS
TGT = ["<pad>", "<s>", "</s>", "a", "above", "beside"] + COLOURS + SHAPES
BOS, EOS = 1, 2
CONV = [{"channels": 16, "kernel": 3, "pool": 2}, {"channels": 32, "kernel": 3, "pool": 2}]
E, H, A = 16, 64, 32
D = CONV[-1]["channels"]
GRID = SIZE // 4
MAX_LEN = 10


def draw(objects):
    """[3, SIZE, SIZE] float32, as scene.ts: pixel centres at +0.5, later objects on top."""
    img = np.zeros((3, SIZE, SIZE), dtype=np.float32)
    r = SCENE["radius"]
    ys, xs = np.meshgrid(np.arange(SIZE) + 0.5, np.arange(SIZE) + 0.5, indexing="ij")
    for colour, shape, pos in objects:
        cy, cx = SCENE["positions"][pos]
        dy, dx = ys - cy, xs - cx
        if shape == "circle":
            m = dy * dy + dx * dx <= r * r
        elif shape == "square":
            m = (np.abs(dy) <= 0.8 * r) & (np.abs(dx) <= 0.8 * r)
        else:
            m = (dy >= -r) & (dy <= 0.8 * r) & (np.abs(dx) <= (dy + r) / 2)
        for ch in range(3):
            img[ch][m] = SCENE["colours"][colour][ch]
    return img


def caption(objects):
    """Reading order: the upper object first, or the left one when both share a row."""
    obj = sorted(objects, key=lambda o: SCENE["positions"][o[2]])
    words = ["a", obj[0][0], obj[0][1]]
    if len(obj) == 2:
        same_row = SCENE["positions"][obj[0][2]][0] == SCENE["positions"][obj[1][2]][0]
        words += ["beside" if same_row else "above", "a", obj[1][0], obj[1][1]]
    return words


def random_scene(rng):
    n = rng.choice([1, 2, 2, 2])
    pos = rng.sample(POSITIONS, n)
    colours = rng.sample(COLOURS, n)  # two objects never share a colour: "the red one" is unique
    objs = [(colours[i], rng.choice(SHAPES), pos[i]) for i in range(n)]
    rng.shuffle(objs)
    return objs


class ShowAttendTell(nn.Module):
    """Exactly docs/model-format.md "Architecture show-attend-tell"."""

    def __init__(self):
        super().__init__()
        layers, c_in = [], 3
        for st in CONV:
            layers += [nn.Conv2d(c_in, st["channels"], st["kernel"], padding=st["kernel"] // 2), nn.ReLU(), nn.MaxPool2d(st["pool"])]
            c_in = st["channels"]
        self.cnn = nn.Sequential(*layers)
        self.init_h, self.init_c = nn.Linear(D, H), nn.Linear(D, H)
        self.att_enc, self.att_dec = nn.Linear(D, A), nn.Linear(H, A)
        self.v = nn.Parameter(torch.randn(A) * 0.1)
        self.gate = nn.Linear(H, 1)
        self.embed = nn.Embedding(len(TGT), E)
        self.rnn = nn.LSTMCell(E + D, H)
        self.out = nn.Linear(H + D, len(TGT))

    def annotations(self, img):  # [B, 3, S, S] → [B, L, D]
        return self.cnn(img).flatten(2).transpose(1, 2)

    def step(self, a, wa, y, h, c):
        e = torch.tanh(wa + self.att_dec(h)[:, None]) @ self.v  # [B, L]
        alpha = torch.softmax(e, -1)
        z = torch.sigmoid(self.gate(h)) * (alpha[:, :, None] * a).sum(1)  # [B, D]
        h, c = self.rnn(torch.cat([self.embed(y), z], -1), (h, c))
        return self.out(torch.cat([h, z], -1)), h, c, alpha

    def forward(self, img, inputs):  # teacher forcing: inputs [B, T] → logits [B, T, V], α [B, T, L]
        a = self.annotations(img)
        m = a.mean(1)
        h, c = torch.tanh(self.init_h(m)), torch.tanh(self.init_c(m))
        wa = self.att_enc(a)
        logits, alphas = [], []
        for t in range(inputs.shape[1]):
            lg, h, c, al = self.step(a, wa, inputs[:, t], h, c)
            logits.append(lg)
            alphas.append(al)
        return torch.stack(logits, 1), torch.stack(alphas, 1)

    def greedy(self, img):  # one image [1, 3, S, S] → decoder inputs, predictions, α rows
        a = self.annotations(img)
        m = a.mean(1)
        h, c = torch.tanh(self.init_h(m)), torch.tanh(self.init_c(m))
        wa = self.att_enc(a)
        inputs, predicted, alphas = [BOS], [], []
        t = 0
        while t < len(inputs):
            lg, h, c, al = self.step(a, wa, torch.tensor([inputs[t]]), h, c)
            nxt = int(lg.argmax(-1))
            predicted.append(nxt)
            alphas.append(al[0].tolist())
            if nxt != EOS and len(inputs) < MAX_LEN:
                inputs.append(nxt)
            t += 1
        return inputs, predicted, alphas


def batch(rng, n):
    scenes = [random_scene(rng) for _ in range(n)]
    imgs = torch.tensor(np.stack([draw(s) for s in scenes]))
    caps = [[BOS] + [TGT.index(w) for w in caption(s)] + [EOS] for s in scenes]
    T = max(len(c) for c in caps)
    seq = torch.zeros(n, T, dtype=torch.long)
    for i, c in enumerate(caps):
        seq[i, : len(c)] = torch.tensor(c)
    return scenes, imgs, seq


def cell_mass(alpha_row, pos):
    """Share of α on the 3×3 grid cells around an object's centre (its 12×12-pixel quadrant)."""
    cy, cx = SCENE["positions"][pos]
    al = np.array(alpha_row).reshape(GRID, GRID)
    r0, c0 = int(cy) // 4 - 1, int(cx) // 4 - 1
    return float(al[max(0, r0): r0 + 3, max(0, c0): c0 + 3].sum())


def main():
    rng = random.Random(SEED)
    torch.manual_seed(SEED)
    model = ShowAttendTell()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    start = time.time()
    steps = 2500
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    for step in range(steps):
        _, imgs, seq = batch(rng, 48)
        logits, alphas = model(imgs, seq[:, :-1])
        target = seq[:, 1:]
        loss = nn.functional.cross_entropy(logits.reshape(-1, len(TGT)), target.reshape(-1), ignore_index=0)
        # Xu et al.'s doubly stochastic regulariser, lightly: every location gets some attention overall.
        mask = (target != 0).float()[:, :, None]
        loss = loss + 0.002 * ((1 - (alphas * mask).sum(1)) ** 2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 250 == 0:
            print(f"step {step} loss {loss.item():.4f} ({time.time() - start:.0f}s)", flush=True)
    model.eval()
    # Held-out scenes: exact-match greedy captions, and where the attention goes for object words.
    test_rng = random.Random(SEED + 1)
    exact, mass = 0, []
    with torch.no_grad():
        for _ in range(300):
            s = random_scene(test_rng)
            inputs, predicted, alphas = model.greedy(torch.tensor(draw(s))[None])
            words = [TGT[i] for i in predicted]
            exact += words == caption(s) + ["</s>"]
            for t, w in enumerate(words):
                for colour, shape, pos in s:
                    if w in (colour, shape) and sum(1 for o in s if w in (o[0], o[1])) == 1:
                        mass.append(cell_mass(alphas[t], pos))
    acc = exact / 300
    on_object = float(np.mean(mass))
    print(f"greedy exact match {acc:.3f}; α on the named object's quadrant (colour/shape words): {on_object:.3f}; {time.time() - start:.0f}s")

    texts = ["red circle top-left blue square bottom-right", "yellow triangle top-right green circle top-left", "blue square bottom-left"]
    examples = [{"text": t} for t in texts]
    sd = {
        "decoder.init_h.weight": model.init_h.weight, "decoder.init_h.bias": model.init_h.bias,
        "decoder.init_c.weight": model.init_c.weight, "decoder.init_c.bias": model.init_c.bias,
        "attention.encoder.weight": model.att_enc.weight, "attention.encoder.bias": model.att_enc.bias,
        "attention.decoder.weight": model.att_dec.weight, "attention.decoder.bias": model.att_dec.bias,
        "attention.v": model.v, "decoder.gate.weight": model.gate.weight, "decoder.gate.bias": model.gate.bias,
        "decoder.embed": model.embed.weight, "decoder.out.weight": model.out.weight, "decoder.out.bias": model.out.bias,
        "decoder.rnn.weight_ih": model.rnn.weight_ih, "decoder.rnn.weight_hh": model.rnn.weight_hh,
        "decoder.rnn.bias_ih": model.rnn.bias_ih, "decoder.rnn.bias_hh": model.rnn.bias_hh,
    }
    for i in range(len(CONV)):
        sd[f"encoder.conv.{i}.weight"] = model.cnn[3 * i].weight
        sd[f"encoder.conv.{i}.bias"] = model.cnn[3 * i].bias
    tensors = {k: v.detach().numpy().astype(np.float32) for k, v in sd.items()}
    config = {"image_size": SIZE, "scene": SCENE, "conv": CONV, "src_vocab_size": len(SRC), "tgt_vocab_size": len(TGT),
              "embed_dim": E, "hidden_size": H, "attention_dim": A, "gate": True, "bos_id": BOS, "eos_id": EOS, "max_caption_length": MAX_LEN}
    description = (
        "Show, Attend and Tell with soft attention, trained on synthetic 24×24 scenes: one or two coloured shapes "
        "(circle, square, triangle) in the four quadrants, captioned in reading order (\"a red circle above a blue square\", "
        "\"… beside …\" when both share a row). The input text describes the scene as colour-shape-position triples "
        "(positions: top-left, top-right, bottom-left, bottom-right); the model draws it, runs a 2-stage CNN to a 6×6 grid "
        "of 32-dim annotations and captions it with an LSTM. What to look for: in the image view, pick the word \"red\" or "
        "\"circle\": the attention lands on that shape's quadrant; the second \"a\" already moves to the second object, "
        "which is named next, while \"above\"/\"beside\" and </s> look at the empty quadrants. "
        f"Held-out greedy exact-match accuracy {acc * 100:.1f}%; on average {on_object * 100:.0f}% of α for a colour or shape "
        "word falls on the 3×3 cells around that object."
    )
    vocab = {"tokens": SRC, "target_tokens": TGT, "split": "whitespace"}
    size = write_model(EXAMPLES, NAME, "show-attend-tell", config, vocab, description, examples, tensors)
    # Reference for the first example: the float64 copy of the float32 weights.
    ref = ShowAttendTell().double()
    ref.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    first = texts[0].split()
    objs = [tuple(first[i:i + 3]) for i in range(0, len(first), 3)]
    with torch.no_grad():
        inputs, predicted, alphas = ref.greedy(torch.tensor(draw(objs), dtype=torch.float64)[None])
    write_expected(EXAMPLES, NAME, examples[0], [SRC.index(w) for w in first], inputs, {"cross": [[alphas]]}, predicted)
    print(f"{NAME}: {size} bytes; first example → {' '.join(TGT[i] for i in predicted)}")
    for t in texts:
        w = t.split()
        with torch.no_grad():
            _, p, al = model.greedy(torch.tensor(draw([tuple(w[i:i + 3]) for i in range(0, len(w), 3)]))[None])
        print(t, "→", " ".join(TGT[i] for i in p))


if __name__ == "__main__":
    main()
