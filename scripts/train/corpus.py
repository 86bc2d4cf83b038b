"""A small templated English corpus for the masked-LM example. Every sentence has one word that
its context determines: a colour, an animal's sound, a capital, a pronoun or a verb that agrees with a distant subject."""
import torch

BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
B_PAD, B_UNK, B_CLS, B_SEP, B_MASK = range(5)

COLOURS = {"sky": "blue", "grass": "green", "banana": "yellow", "snow": "white", "coal": "black",
           "tomato": "red", "sea": "blue", "lemon": "yellow", "leaf": "green", "milk": "white"}
SOUNDS = {"cow": "moo", "dog": "woof", "cat": "meow", "duck": "quack", "sheep": "baa", "owl": "hoot"}
CAPITALS = {"france": "paris", "italy": "rome", "spain": "madrid", "germany": "berlin",
            "japan": "tokyo", "egypt": "cairo", "peru": "lima"}
HE = ["john", "tom", "peter", "david"]
SHE = ["mary", "anna", "lucy", "emma"]
THINGS = ["keys", "book", "bag", "hat", "phone"]
NOUNS = {"dog": "dogs", "cat": "cats", "key": "keys", "book": "books", "bird": "birds", "box": "boxes"}
PLACES = ["table", "door", "window", "tree", "house", "chair"]
ADJS = ["small", "old", "new", "big", "happy", "red"]
FILLER_SUBJ = ["the cat", "the dog", "a bird", "the girl", "the boy"]
FILLER_VERB = ["sat on", "looked at", "slept under", "ran to"]
FILLER_OBJ = ["the mat", "the rug", "the bed", "the tree", "the door"]


def _pick(g, seq):
    return seq[int(torch.randint(0, len(seq), (1,), generator=g))]


def sentence(g):
    """→ (words, index of the word the context determines, or None for a filler sentence)."""
    kind = int(torch.randint(0, 6, (1,), generator=g))
    if kind == 0:
        obj = _pick(g, list(COLOURS))
        w = f"the {obj} is {COLOURS[obj]}".split()
        return w, 3
    if kind == 1:
        a = _pick(g, list(SOUNDS))
        w = f"the {a} says {SOUNDS[a]}".split()
        return w, 3
    if kind == 2:
        c = _pick(g, list(CAPITALS))
        w = f"the capital of {c} is {CAPITALS[c]}".split()
        return w, 5
    if kind == 3:
        he = bool(torch.randint(0, 2, (1,), generator=g))
        name = _pick(g, HE if he else SHE)
        w = f"{name} lost {'his' if he else 'her'} {_pick(g, THINGS)}".split()
        return w, 2
    if kind == 4:  # agreement across an attractor: the verb agrees with the first noun
        n1, n2 = _pick(g, list(NOUNS)), _pick(g, list(NOUNS))
        plural1, plural2 = bool(torch.randint(0, 2, (1,), generator=g)), bool(torch.randint(0, 2, (1,), generator=g))
        s1 = NOUNS[n1] if plural1 else n1
        s2 = NOUNS[n2] if plural2 else n2
        w = f"the {s1} near the {_pick(g, PLACES) if torch.rand(1, generator=g) < 0.3 else s2} {'are' if plural1 else 'is'} {_pick(g, ADJS)}".split()
        return w, 5
    w = f"{_pick(g, FILLER_SUBJ)} {_pick(g, FILLER_VERB)} {_pick(g, FILLER_OBJ)}".split()
    return w, None


def bert_vocab():
    words = set()
    for d in (COLOURS, SOUNDS, CAPITALS, NOUNS):
        words |= set(d) | set(d.values())
    words |= set(HE + SHE + THINGS + PLACES + ADJS)
    for group in (FILLER_SUBJ, FILLER_VERB, FILLER_OBJ):
        for phrase in group:
            words |= set(phrase.split())
    words |= set("the is says capital of lost his her near are".split())
    return BERT_SPECIALS + sorted(words)


def mlm_batch(g, batch, tokens, p_key=0.6):
    """→ ids [B, n] (with [MASK]s), labels [B, n] (the original ids), masked [B, n] bool, pad [B, n] bool.
    With probability p_key the determined word is masked (plus sometimes one more token);
    otherwise 15% of the words, at least one."""
    index = {t: i for i, t in enumerate(tokens)}
    rows, labels, masks = [], [], []
    for _ in range(batch):
        words, key = sentence(g)
        ids = [B_CLS] + [index[w] for w in words] + [B_SEP]
        m = [False] * len(ids)
        if key is not None and torch.rand(1, generator=g) < p_key:
            m[1 + key] = True
            if torch.rand(1, generator=g) < 0.3:
                m[1 + int(torch.randint(0, len(words), (1,), generator=g))] = True
        else:
            for i in range(1, len(ids) - 1):
                m[i] = bool(torch.rand(1, generator=g) < 0.15)
            if not any(m):
                m[1 + int(torch.randint(0, len(words), (1,), generator=g))] = True
        labels.append(ids)
        rows.append([B_MASK if mi else t for t, mi in zip(ids, m)])
        masks.append(m)
    n = max(len(r) for r in rows)
    pad = lambda r, v: r + [v] * (n - len(r))  # noqa: E731
    ids = torch.tensor([pad(r, B_PAD) for r in rows])
    return ids, torch.tensor([pad(r, B_PAD) for r in labels]), torch.tensor([pad(m, False) for m in masks]), ids == B_PAD
