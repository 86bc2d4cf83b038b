"""Shared plumbing of the example trainers: seeding, timing, checking the examples and writing
the files (model JSON, safetensors, expected attention)."""
import copy
import os
import random
import time

import numpy as np
import torch

from .files import tokenize, write_expected, write_model

EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples")


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


class Timer:
    """Wall-clock and CPU seconds: on a shared machine the CPU time is the one that says how long
    the training really takes."""

    def __enter__(self):
        self.start, self.cpu_start = time.time(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.seconds = time.time() - self.start
        self.cpu_seconds = time.process_time() - self.cpu_start

    def __str__(self):
        return f"{self.cpu_seconds:.0f} s CPU ({self.seconds:.0f} s wall)"


def as_f64(model):
    """A float64 copy for the reference numbers (the weights themselves are the float32 ones)."""
    return copy.deepcopy(model).double().eval()


def check_seq2seq_examples(name, run, examples, answers, tgt_tokens, eos):
    """run(example) → {ids, target_ids, attentions, predicted_ids}. answers[i] is the expected
    output text. Greedy examples must decode to it; teacher-forced ones must predict every next
    token. Returns the results, raising if any example is wrong."""
    results = []
    for ex, answer in zip(examples, answers):
        r = run(ex)
        want = tokenize(answer, tgt_tokens)
        if "target_text" in ex:
            got = r["predicted_ids"]
            ok = got == r["target_ids"][1:] + [eos] and r["target_ids"][1:] == want
        else:
            got = r["target_ids"][1:]
            ok = got == want and r["predicted_ids"][-1] == eos
        shown = " ".join(tgt_tokens[i] for i in got)
        print(f"  [{name}] {ex['text']!r} → {shown!r} {'ok' if ok else 'WRONG, expected ' + repr(answer)}")
        if not ok:
            raise SystemExit(f"{name}: example {ex['text']!r} is not produced correctly")
        results.append(r)
    return results


def check_encoder_examples(name, run, examples, answers, tokens):
    """Masked-LM / decoder-only examples: answers[i] is {position: expected token}."""
    results = []
    for ex, answer in zip(examples, answers):
        r = run(ex)
        bad = {p: tokens[r["predicted_ids"][p]] for p, t in answer.items() if tokens[r["predicted_ids"][p]] != t}
        shown = {p: tokens[r["predicted_ids"][p]] for p in answer}
        print(f"  [{name}] {ex['text']!r} → {shown} {'ok' if not bad else 'WRONG, expected ' + repr(answer)}")
        if bad:
            raise SystemExit(f"{name}: example {ex['text']!r} is not predicted correctly")
        results.append(r)
    return results


def save(name, architecture, config, vocab, description, examples, tensors, first_result, extra=None):
    size = write_model(EXAMPLES_DIR, name, architecture, config, vocab, description, examples, tensors)
    r = first_result
    write_expected(EXAMPLES_DIR, name, examples[0], r["ids"], r["target_ids"], r["attentions"], r["predicted_ids"], extra)
    print(f"  wrote examples/{name}.model.json + .safetensors ({size / 1024:.0f} KiB) and {name}.expected.json")
