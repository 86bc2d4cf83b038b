#!/usr/bin/env python3
"""Trains examples/ut-fill-blanks: a Universal Transformer (one shared layer, ACT halting) on
"fill in the blanks". Input: letters a–h and '?'; each '?' must become the nearest letter to its
left, each letter stays itself. A '?' that ends a run of k blanks is k hops from its letter, so the
model has a reason to ponder longer on some tokens than on others.

    /usr/bin/python3 scripts/train/universal.py

CPU, one thread, fixed seed, about a minute. Writes examples/ut-fill-blanks.{model.json,
safetensors,expected.json}; the expected attention comes from the float64 copy of the model
(test/fixtures/gen_universal.py, the same PyTorch reference the engine's fixtures use)."""
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "fixtures"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from gen_universal import UniversalTransformer, run_reference  # noqa: E402
from train.files import tokenize, write_expected, write_model  # noqa: E402

NAME = "ut-fill-blanks"
LETTERS = list("abcdefgh")
TOKENS = ["<pad>", "?"] + LETTERS
MAX_RUN = 4  # longest run of '?'
PONDER_COST = 0.01  # τ in Graves' loss: task loss + τ · mean(N + R)
STEPS = 1000


def sample(n, rng):
    """A sequence of n tokens and its answer; runs of '?' are 0…MAX_RUN long."""
    seq, ans, last = [], [], None
    while len(seq) < n:
        last = rng.choice(LETTERS)
        seq.append(last)
        ans.append(last)
        for _ in range(rng.randint(0, MAX_RUN)):
            if len(seq) < n:
                seq.append("?")
                ans.append(last)
    return seq, ans


def batch(size, rng):
    n = rng.randint(6, 14)  # one length per batch: no padding anywhere
    pairs = [sample(n, rng) for _ in range(size)]
    ids = torch.tensor([[TOKENS.index(t) for t in s] for s, _ in pairs])
    tgt = torch.tensor([[TOKENS.index(t) for t in a] for _, a in pairs])
    return ids, tgt


def accuracy(model, rng, batches=20):
    right = total = 0
    with torch.no_grad():
        for _ in range(batches):
            ids, tgt = batch(64, rng)
            logits, _, _ = model(ids)
            right += int((logits.argmax(-1) == tgt).all(-1).sum())
            total += ids.shape[0]
    return right / total


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rng = random.Random(0)
    model = UniversalTransformer(vocab=len(TOKENS), d=32, heads=2, d_ff=64, max_steps=8, threshold=0.99,
                                 norm="post", activation="relu", max_positions=32)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    start = time.time()
    for step in range(STEPS):
        ids, tgt = batch(64, rng)
        logits, _, act = model(ids)
        task = F.cross_entropy(logits.reshape(-1, len(TOKENS)), tgt.reshape(-1))
        ponder = (act["N"] + act["R"]).mean()
        loss = task + PONDER_COST * ponder
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 250 == 0:
            print(f"  step {step}: task {task.item():.4f}, ponder {ponder.item():.2f}, {time.time() - start:.0f}s", flush=True)
    model.eval()
    acc = accuracy(model, random.Random(1))
    print(f"  exact-match accuracy on fresh sequences: {acc:.1%}")

    examples = [{"text": "c ? ? ? a ? e ? ? b"}, {"text": "h ? d ? ? ? ? g f ?"}, {"text": "a b ? c ? ? d ? ? ? e"}]
    first = None
    for ex in examples:
        ids = tokenize(ex["text"], TOKENS)
        attns, predicted, trace = run_reference(model, ids)
        want = [TOKENS.index(t) for t in sample_answer(ex["text"])]
        print(f"  {ex['text']!r} → {' '.join(TOKENS[i] for i in predicted)!r} {'ok' if predicted == want else 'WRONG'}; halting steps {trace['haltingStep']}")
        if predicted != want:
            raise SystemExit(f"{NAME}: example {ex['text']!r} is not filled in correctly")
        first = first or (ids, attns, predicted, trace)
    ids, attns, predicted, trace = first
    description = (
        "Universal Transformer with Adaptive Computation Time, trained to fill in blanks: every '?' becomes the nearest letter to its left, "
        "letters stay themselves. One shared layer (d_model 32, 2 heads, post-LN) is applied up to 8 times; a sigmoid unit decides per token "
        "when to stop (threshold 0.99). What to look for: in the view below the heads, the bars (steps per token) are not all equal — "
        f"{describe_halting(examples[0]['text'], trace)}. In the head grid, Layer n is recurrence step n + 1: "
        f"{describe_attention(examples[0]['text'], attns)}. Exact-match accuracy on random sequences: {acc:.1%}."
    )
    config = model.cfg
    vocab = {"tokens": TOKENS, "split": "whitespace"}
    size = write_model(os.path.join(ROOT, "examples"), NAME, "universal", config, vocab, description, examples, model.tensors())
    write_expected(os.path.join(ROOT, "examples"), NAME, examples[0], ids, [], {"encoder": attns}, predicted)
    print(f"  wrote examples/{NAME}.* ({size / 1024:.0f} KiB) in {time.time() - start:.0f}s")


def sample_answer(text):
    out, last = [], None
    for t in text.split():
        last = last if t == "?" else t
        out.append(last)
    return out


def describe_halting(text, trace):
    toks = text.split()
    by_kind = {"letters": [s for t, s in zip(toks, trace["haltingStep"]) if t != "?"],
               "blanks": [s for t, s in zip(toks, trace["haltingStep"]) if t == "?"]}
    mean = {k: sum(v) / len(v) for k, v in by_kind.items()}
    return (f"in the first example letters take {mean['letters']:.1f} steps on average and blanks {mean['blanks']:.1f} "
            f"(range {min(trace['haltingStep'])}–{max(trace['haltingStep'])})")


def describe_attention(text, attns):
    """Which step and head send the blanks to their letter, measured on the first example."""
    toks = text.split()
    near = []
    for i in range(len(toks)):
        j = i
        while toks[j] == "?":
            j -= 1
        near.append(j)
    blanks = [i for i, t in enumerate(toks) if t == "?"]
    best = max(((sum(max(range(len(toks)), key=lambda j: attns[s][h][i][j]) == near[i] for i in blanks), s, h)
                for s in range(len(attns)) for h in range(len(attns[s]))))
    hits, step, head = best
    return (f"at step {step + 1} (Layer {step} in the grid), head {head}, {hits} of the {len(blanks)} blanks of the first example put their "
            f"strongest attention on the nearest letter to their left — the letter they must become")


if __name__ == "__main__":
    main()
