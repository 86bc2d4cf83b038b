"""Trains examples/narm-sessions: NARM (Li et al. 2017) on synthetic shopping sessions.

Six categories with five products each, plus one "search:<category>" item per category. A session
is a search click somewhere early on, then products browsed at random from any category; the next
click is a product of the *searched* category. Some sessions hold a second, later search, which
then decides. Only the search click says what comes next, so the local encoder's attention should
go to it (and to the later one when there are two), however many clicks follow it.

Run: /usr/bin/python3 scripts/train/narm.py   (CPU, one thread, fixed seed, about a minute)"""
import os
import random
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sidecar import write_example  # noqa: E402

torch.set_num_threads(1)
SEED = 7
CATEGORIES = ["shoes", "shirts", "hats", "bags", "books", "games"]
PER = 5
TOKENS = [f"{c}-{i}" for c in CATEGORIES for i in range(1, PER + 1)] + [f"search:{c}" for c in CATEGORIES]
INDEX = {t: i for i, t in enumerate(TOKENS)}
V, E, H = len(TOKENS), 16, 32
SEARCH0 = len(CATEGORIES) * PER  # id of search:<first category>


class Narm(nn.Module):
    """Exactly docs/model-format.md "Architecture narm" (α normalised with a softmax)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(V, E)
        self.gru = nn.GRU(E, H, batch_first=True)
        self.A1 = nn.Linear(H, H, bias=False)
        self.A2 = nn.Linear(H, H, bias=False)
        self.v = nn.Linear(H, 1, bias=False)
        self.B = nn.Parameter(torch.randn(E, 2 * H) * 0.1)

    def forward(self, ids):  # ids [b, n] → logits [b, V], α [b, n] (query = the last click)
        h = self.gru(self.embed(ids))[0]  # [b, n, H]
        e = self.v(torch.sigmoid(self.A1(h[:, -1:]) + self.A2(h))).squeeze(-1)  # [b, n]
        a = torch.softmax(e, -1)
        c = torch.cat([h[:, -1], (a.unsqueeze(-1) * h).sum(1)], -1)  # [b, 2H]  [c_g ; c_l]
        return c @ (self.embed.weight @ self.B).T, a


def session(rng):
    n = rng.randint(4, 10)
    cat = rng.randrange(len(CATEGORIES))
    clicks = [rng.randrange(SEARCH0) for _ in range(n)]
    at = rng.randrange(0, n - 2)
    clicks[at] = SEARCH0 + cat
    if rng.random() < 0.3 and at < n - 2:  # a second, later search wins
        cat = (cat + rng.randrange(1, len(CATEGORIES))) % len(CATEGORIES)
        clicks[rng.randrange(at + 1, n)] = SEARCH0 + cat
    return clicks, cat * PER + rng.randrange(PER)


def batch(rng, size):
    n = rng.randint(4, 10)  # one length per batch: no padding inside the GRU
    xs, ys = [], []
    while len(xs) < size:
        s, y = session(rng)
        if len(s) == n:
            xs.append(s)
            ys.append(y)
    return torch.tensor(xs), torch.tensor(ys)


def searches(ids):
    return [j for j, i in enumerate(ids) if i >= SEARCH0]


def main():
    rng = random.Random(SEED)
    torch.manual_seed(SEED)
    model = Narm()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    start = time.time()
    for step in range(2500):
        x, y = batch(rng, 64)
        loss = nn.functional.cross_entropy(model(x)[0], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 500 == 0:
            print(f"step {step}: loss {loss.item():.3f}")
    model.eval()
    # Held-out check: is the top item in the searched category, and where does α go?
    hits, mass, total = 0, 0.0, 2000
    with torch.no_grad():
        for _ in range(total):
            s, y = session(rng)
            logits, a = model(torch.tensor([s]))
            hits += int(logits[0].argmax()) // PER == y // PER
            mass += float(a[0, searches(s)[-1]])
    acc, mean_alpha = hits / total, mass / total
    print(f"trained in {time.time() - start:.0f} s: top item in the searched category {acc:.1%}; mean α on the deciding search {mean_alpha:.2f}")

    examples = [
        "search:shoes books-2 games-1 hats-4 books-5 games-3",
        "hats-1 search:bags games-3 shirts-2 shirts-5 books-1 hats-2 games-5",
        "search:hats books-3 shoes-1 search:games bags-2 shirts-4",
    ]
    ids = [INDEX[t] for t in examples[0].split()]
    m64 = Narm().double()
    m64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    with torch.no_grad():  # float64 reference: α after every prefix (row t = session ending at t)
        rows, predicted = [], []
        for t in range(len(ids)):
            logits, a = m64(torch.tensor([ids[: t + 1]]))
            rows.append(a[0].tolist() + [0.0] * (len(ids) - t - 1))
            predicted.append(int(logits[0].argmax()))
    sd = model.state_dict()
    tensors = {
        "embed": sd["embed.weight"],
        "gru.weight_ih": sd["gru.weight_ih_l0"], "gru.weight_hh": sd["gru.weight_hh_l0"],
        "gru.bias_ih": sd["gru.bias_ih_l0"], "gru.bias_hh": sd["gru.bias_hh_l0"],
        "attention.A1": sd["A1.weight"], "attention.A2": sd["A2.weight"], "attention.v": sd["v.weight"][0],
        "decoder.B": sd["B"],
    }
    description = (
        "NARM session recommender on synthetic shopping sessions: six categories of five products, "
        "plus a search:<category> item each. A session starts browsing, holds a search somewhere, then "
        "random products from any category; the next click is a product of the searched category "
        "(the later search when there are two). What to look for: the attention bars put most of α "
        "on the search click, however many clicks follow it, and the top recommendations are the "
        "five products of that category. In the head grid (row t = the session cut after click t) "
        "α jumps to the search as soon as it is clicked, and moves to a second search. "
        f"Held out: top item in the searched category {acc:.0%}, mean α on the deciding search {mean_alpha:.2f}."
    )
    config = {"vocab_size": V, "embed_dim": E, "hidden_size": H, "top_k": 5}
    write_example("narm-sessions", "narm", config, TOKENS, description, [{"text": t} for t in examples], tensors,
                  {"ids": ids, "target_ids": [], "attentions": {"encoder": [[rows]]}, "predicted_ids": predicted})


if __name__ == "__main__":
    main()
