"""Trains examples/melody-lookback: the attention RNN for melodies (Magenta's attention_rnn idea)
on generated melodies made of one repeated motif.

A melody is a motif of 3 to 6 steps (distinct notes of the C major scale, or a rest) played over
and over. Once the first repetition is heard, the next note is the one heard one motif length L
earlier, so the useful keys repeat every L steps; which look-back the attention settles on is
measured after training and written into the description. The window (attn_length 8) holds one
or two motif lengths.

Run: /usr/bin/python3 scripts/train/attention_rnn.py   (CPU, one thread, fixed seed, a few minutes)"""
import os
import random
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sidecar import write_example  # noqa: E402

torch.set_num_threads(1)
SEED = 5
TOKENS = ["rest", "C4", "D4", "E4", "F4", "G4", "A4", "B4", "C5", "D5", "E5"]
INDEX = {t: i for i, t in enumerate(TOKENS)}
V, E, H, A, N = len(TOKENS), 16, 64, 32, 8
LENGTH = 32  # steps per training melody
RULE = " In every case b = L − 2: the key h_i whose previous input (step i − 1) is the note that comes next."


class AttentionRnn(nn.Module):
    """Exactly docs/model-format.md "Architecture attention-rnn"."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(V, E)
        self.cell = nn.LSTMCell(E + H, H)
        self.W1 = nn.Linear(H, A, bias=False)
        self.W2 = nn.Linear(2 * H, A, bias=False)
        self.v = nn.Linear(A, 1, bias=False)
        self.out = nn.Linear(2 * H, V)

    def forward(self, ids, steps=0):
        """ids [b, T] read in order (teacher forcing); then `steps` greedy notes.
        Returns logits [b, T+steps, V], α rows [b, T+steps, T+steps] and the notes read."""
        b, T = ids.shape
        total = T + steps
        x = self.embed(ids)
        h = torch.zeros(b, H, dtype=x.dtype)
        c = torch.zeros(b, H, dtype=x.dtype)
        a = torch.zeros(b, H, dtype=x.dtype)
        outs, keys, logits, alphas, read = [], [], [], [], [ids[:, t] for t in range(T)]
        for t in range(total):
            h, c = self.cell(torch.cat([self.embed(read[t]), a], -1), (h, c))
            lo = max(0, t - N)
            row = torch.zeros(b, total, dtype=x.dtype)
            if t > lo:
                k = torch.stack(outs[lo:t], 1)  # [b, t−lo, H]
                e = self.v(torch.tanh(torch.stack(keys[lo:t], 1) + self.W2(torch.cat([c, h], -1)).unsqueeze(1))).squeeze(-1)
                al = torch.softmax(e, -1)  # [b, t−lo]
                a = (al.unsqueeze(-1) * k).sum(1)
                row[:, lo:t] = al
            else:
                a = torch.zeros(b, H, dtype=x.dtype)
            outs.append(h)
            keys.append(self.W1(h))
            logits.append(self.out(torch.cat([h, a], -1)))
            alphas.append(row)
            if t == len(read) - 1 and len(read) < total:  # primer read: feed the prediction back
                read.append(logits[-1].argmax(-1))
        return torch.stack(logits, 1), torch.stack(alphas, 1), torch.stack(read, 1)


def melody(rng, length=LENGTH, motif_len=None):
    L = motif_len or rng.randint(3, 6)
    motif = rng.sample(range(V), L)  # distinct notes: the note read says where in the motif we are
    return [motif[t % L] for t in range(length)], L


def main():
    rng = random.Random(SEED)
    torch.manual_seed(SEED)
    model = AttentionRnn()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    start = time.time()
    for step in range(500):
        mel = [melody(rng)[0] for _ in range(32)]
        x = torch.tensor(mel)
        logits = model(x[:, :-1])[0]
        loss = nn.functional.cross_entropy(logits.reshape(-1, V), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0:
            print(f"step {step}: loss {loss.item():.3f} ({time.time() - start:.0f} s)")
    model.eval()
    # Held out: greedy continuation of a two-repetition primer; teacher-forced α per look-back.
    ok = 0
    offsets = {}  # L → (most attended look-back b, mean α on b and b + L, b − L inside the window)
    with torch.no_grad():
        for _ in range(200):
            mel, L = melody(rng, 40)
            ok += model(torch.tensor([mel[: 2 * L]]), 40 - 2 * L)[2][0].tolist() == mel
        for L in range(3, 7):
            mass = [0.0] * (N + 1)
            x = torch.tensor([melody(rng, 40, L)[0] for _ in range(50)])
            al = model(x)[1]
            for t in range(2 * L, 40):
                for back in range(1, N + 1):
                    mass[back] += float(al[:, t, t - back].mean()) / (40 - 2 * L)
            b = max(range(1, N + 1), key=lambda k: mass[k])
            offsets[L] = (b, sum(mass[k] for k in range(1, N + 1) if k % L == b % L))
    acc = ok / 200
    for L, (b, m) in offsets.items():
        print(f"  motif length {L}: most attention {b} step(s) back; {m:.2f} on look-backs ≡ {b} (mod {L})")
    print(f"trained in {time.time() - start:.0f} s: greedy continuation exact {acc:.0%}")

    examples = ["C4 E4 G4 rest C4 E4 G4 rest", "A4 F4 D5 B4 C4 A4 F4 D5 B4 C4", "E5 D5 C5 E5 D5 C5"]
    steps = 24
    primer = [INDEX[t] for t in examples[0].split()]
    m64 = AttentionRnn().double()
    m64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    with torch.no_grad():
        logits, al, read = m64(torch.tensor([primer]), steps)
    sd = model.state_dict()
    tensors = {
        "embed": sd["embed.weight"],
        "rnn.weight_ih": sd["cell.weight_ih"], "rnn.weight_hh": sd["cell.weight_hh"],
        "rnn.bias_ih": sd["cell.bias_ih"], "rnn.bias_hh": sd["cell.bias_hh"],
        "attention.W1": sd["W1.weight"], "attention.W2": sd["W2.weight"], "attention.v": sd["v.weight"][0],
        "out.weight": sd["out.weight"], "out.bias": sd["out.bias"],
    }
    description = (
        "Attention RNN for melodies (Magenta's attention_rnn idea): an LSTM whose state attends over its "
        f"last {N} outputs. Trained on generated melodies that repeat one motif of 3 to 6 steps; it continues "
        f"a primer greedily for {steps} steps. What to look for: select a generated note in the piano roll — "
        "the shading repeats with the motif: the weight sits at one look-back b and again L steps further "
        "back when that still fits in the window, so the head grid shows stripes parallel to the diagonal, "
        "L apart. The look-back the training settled on, per motif length L: "
        + "; ".join(f"L = {L}: {b} back ({m:.0%} of α on b, b ± L)" for L, (b, m) in offsets.items())
        + "." + RULE * all(b == L - 2 for L, (b, _) in offsets.items())
        + " Try primers with other motif lengths (the three examples have L = 4, 5 and 3). "
        f"Held out: greedy continuation exact {acc:.0%}."
    )
    config = {"vocab_size": V, "embed_dim": E, "hidden_size": H, "attention_dim": A, "attn_length": N, "generate_steps": steps}
    T = len(primer) + steps
    write_example("melody-lookback", "attention-rnn", config, TOKENS, description, [{"text": t} for t in examples], tensors, {
        "ids": primer, "target_ids": read[0].tolist(),
        "attentions": {"decoder": [[al[0, :T, :T].tolist()]]}, "predicted_ids": logits[0].argmax(-1).tolist(),
    })


if __name__ == "__main__":
    main()
