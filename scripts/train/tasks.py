"""Task generators. Every batch holds sequences of one source length (and one target length), so
no padding is ever needed; all randomness comes from the torch.Generator passed in."""
import calendar
import datetime

import torch

SPECIALS = ["<pad>", "<s>", "</s>", "<unk>"]
PAD, BOS, EOS, UNK = 0, 1, 2, 3


# ---------- sequence reversal (letters and digits, whitespace-separated: "h e l l o") ----------

REVERSE_SYMBOLS = list("abcdefghijklmnopqrstuvwxyz0123456789")
REVERSE_TOKENS = SPECIALS + REVERSE_SYMBOLS


def reverse_batch(g, batch, min_len, max_len, first_symbol=len(SPECIALS), symbols=len(REVERSE_SYMBOLS)):
    """→ src [B, L], tgt_in [B, L+1] = BOS + reversed, tgt_out [B, L+1] = reversed + EOS."""
    L = int(torch.randint(min_len, max_len + 1, (1,), generator=g))
    src = torch.randint(first_symbol, first_symbol + symbols, (batch, L), generator=g)
    rev = src.flip(1)
    tgt_in = torch.cat([torch.full((batch, 1), BOS), rev], 1)
    tgt_out = torch.cat([rev, torch.full((batch, 1), EOS)], 1)
    return src, tgt_in, tgt_out


# ---------- dates: "25 november 2026" → "2026 - 11 - 25" ----------

MONTHS = [calendar.month_name[i].lower() for i in range(1, 13)]
MONTH_ABBR = [calendar.month_abbr[i].lower() for i in range(1, 13)]
YEARS = [str(y) for y in range(1950, 2050)]


def ordinal(d):
    suffix = "th" if 11 <= d % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    return f"{d}{suffix}"


def _unique(seq):
    seen, out = set(), []
    for s in seq:
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


DATE_SRC_TOKENS = _unique(
    SPECIALS + [str(d) for d in range(1, 32)] + [ordinal(d) for d in range(1, 32)] + MONTHS + MONTH_ABBR
    + ["the", "of", ",", "/"] + YEARS
)
DATE_TGT_TOKENS = SPECIALS + YEARS + ["-"] + [f"{d:02d}" for d in range(1, 32)]

# Each format is one fixed number of tokens, so a batch of one format needs no padding.
DATE_FORMATS = [
    lambda d, m, y: f"{d} {MONTHS[m - 1]} {y}",                 # 25 november 2026
    lambda d, m, y: f"{MONTHS[m - 1]} {d} , {y}",               # november 25 , 2026
    lambda d, m, y: f"{MONTH_ABBR[m - 1]} {d} {y}",             # nov 25 2026
    lambda d, m, y: f"the {ordinal(d)} of {MONTHS[m - 1]} {y}",  # the 25th of november 2026
    lambda d, m, y: f"{d} / {m} / {y}",                          # 25 / 11 / 2026
]


def date_target(d, m, y):
    return f"{y} - {m:02d} - {d:02d}"


def random_date(g):
    start = datetime.date(1950, 1, 1).toordinal()
    end = datetime.date(2049, 12, 31).toordinal()
    day = datetime.date.fromordinal(start + int(torch.randint(0, end - start + 1, (1,), generator=g)))
    return day.day, day.month, day.year


def dates_batch(g, batch, fmt=None):
    """One format per batch → src [B, n], tgt_in [B, 6], tgt_out [B, 6]."""
    if fmt is None:
        fmt = int(torch.randint(0, len(DATE_FORMATS), (1,), generator=g))
    si = {t: i for i, t in enumerate(DATE_SRC_TOKENS)}
    ti = {t: i for i, t in enumerate(DATE_TGT_TOKENS)}
    src, tgt = [], []
    for _ in range(batch):
        d, m, y = random_date(g)
        src.append([si[w] for w in DATE_FORMATS[fmt](d, m, y).split()])
        tgt.append([ti[w] for w in date_target(d, m, y).split()])
    src, tgt = torch.tensor(src), torch.tensor(tgt)
    tgt_in = torch.cat([torch.full((batch, 1), BOS), tgt], 1)
    tgt_out = torch.cat([tgt, torch.full((batch, 1), EOS)], 1)
    return src, tgt_in, tgt_out
